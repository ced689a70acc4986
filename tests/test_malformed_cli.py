"""Malformed input through the real CLI, in a subprocess: every case is either a clear error (exit 1 or 2, one line on
stderr, no traceback) or stored literally (and read back exactly by ``show --json``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import write_settings

NOW = "2026-11-23 10:30"
ADD = ("add", "--customer", "Jo Bloggs", "--due", "fri 5pm")
Arg = str | bytes


def run(data: Path, *args: Arg, user: str = "Ana") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROMISETRACK_USER": user}
    env.pop("PROMISETRACK_DATA", None)
    return subprocess.run(
        [sys.executable, "-m", "promisetrack", "--data", str(data), "--now", NOW, *args],
        capture_output=True, text=True, errors="replace", env=env, timeout=60,
    )


@dataclass(frozen=True)
class Case:
    args: tuple[Arg, ...]
    status: int | None = None  # the exit status of a clear error; None: it is stored
    words: str = ""  # in the error line, or the value stored (field=value)
    setup: Callable[[Path], None] | None = None  # damages the data dir first (a fresh one for this case)


def _write(name: str, payload: bytes) -> Callable[[Path], None]:
    def setup(data: Path) -> None:
        (data / name).write_bytes(payload)

    return setup


def _settings(extra: str) -> Callable[[Path], None]:
    return lambda data: (data / "settings.toml").write_text(extra, encoding="utf-8")


LONG = "x" * 2001
CASES: dict[str, Case] = {
    # due phrases
    "due in the past": Case((*ADD[:3], "--what", "x", "--due", "2020-01-01"), 2, "is in the past"),
    "due unreadable": Case((*ADD[:3], "--what", "x", "--due", "someday"), 2, "can't read the due"),
    "due empty": Case((*ADD[:3], "--what", "x", "--due", ""), 2, "the due is empty"),
    "due 31 Feb": Case((*ADD[:3], "--what", "x", "--due", "31 Feb"), 2, "can't read the due"),
    "due ambiguous 1/2": Case((*ADD[:3], "--what", "x", "--due", "1/2"), 2, "is ambiguous"),
    "due 25 o'clock": Case((*ADD[:3], "--what", "x", "--due", "fri 25:00"), 2, "can't read the due"),
    "due off the calendar": Case((*ADD[:3], "--what", "x", "--due", "+99999999d"), 2, "too far"),
    "due absurdly many hours": Case((*ADD[:3], "--what", "x", "--due", "+999999999999h"), 2, "too far"),
    "due in the year 9999": Case((*ADD[:3], "--what", "x", "--due", "9999-12-31 23:59"), 2, "more than 5 years"),
    "due wrong weekday": Case((*ADD[:3], "--what", "x", "--due", "Mon 1 Dec 2026"), 2, "wrong weekday"),
    "due +0bd": Case((*ADD[:3], "--what", "x", "--due", "+0bd"), 2, "would be overdue at once"),
    "due in 0 hours": Case((*ADD[:3], "--what", "x", "--due", "in 0 hours"), 2, "would be overdue at once"),
    "--data empty": Case(("--data", "", "list"), 2, "--data is empty: give a folder"),
    "--data blank": Case(("--data", "  ", "add", "--customer", "Jo", "--what", "x", "--due", "fri"), 2,
                         "--data is empty: give a folder"),
    "--user empty": Case(("--user", "", "list"), 2, "--user is empty: give a name"),
    "--user blank": Case(("--user", "   ", "list"), 2, "--user is empty: give a name"),
    "--now unreadable": Case(("--now", "whenever", "list"), 2, "--now: can't read"),
    "--now in year 1": Case(("--now", "0001-01-01 00:00", "list"), 2, "pick a moment"),
    "--now off the calendar": Case(("--now", "+99999999d", "list"), 2, "too far"),
    # ids
    "id a word": Case(("show", "abc"), 2, "a promise id is a number"),
    "id empty": Case(("show", ""), 2, "a promise id is a number"),
    "id a float": Case(("done", "1e3"), 2, "a promise id is a number"),
    "id negative": Case(("show", "--", "-1"), 2, "no promise -1"),
    "id unknown": Case(("contact", "99999999999999999999", "--note", "x"), 2, "no open or recent promise"),
    "id with a hash": Case(("show", "#1001"), None, "id=1001"),
    # csat
    "csat 6": Case(("done", "1001", "--csat", "6"), 2, "csat must be from 1 to 5"),
    "csat 0": Case(("done", "1001", "--csat", "0"), 2, "csat must be from 1 to 5"),
    "csat a word": Case(("done", "1001", "--csat", "great"), 2, "whole number"),
    "csat 4.5": Case(("done", "1001", "--csat", "4.5"), 2, "whole number"),
    # very long text
    "what too long": Case((*ADD, "--what", LONG), 2, "2001 characters long"),
    "customer too long": Case(("add", "--customer", "y" * 201, "--what", "x", "--due", "fri"), 2, "keep it under 200"),
    "note 100k long": Case(("contact", "1001", "--note", "z" * 100_000), 2, "keep it under 2000"),
    "what at the limit": Case((*ADD, "--what", "x" * 2000), None, "what=" + "x" * 2000),
    # control characters
    "bell in what": Case((*ADD, "--what", "ring\x07ring"), 2, "contains a control character"),
    "ANSI escape in customer": Case(("add", "--customer", "\x1b[31mRed", "--what", "x", "--due", "fri"), 2,
                                    "contains a control character"),
    "escape in --user": Case(("--user", "Ev\x1b[2Jil", "list"), 2, "--user contains a control character"),
    "C1 control (8-bit CSI) in note": Case(("note", "1001", "--text", "a\x9b2Jb"), 2, "contains a control character"),
    "newline and tab folded": Case((*ADD, "--what", "two\nlines\tand a tab"), None, "what=two lines and a tab"),
    "right-to-left override": Case((*ADD, "--what", "\u202eevil"), None, "what=\u202eevil"),
    # markup: stored as typed, never interpreted
    "markup bold": Case((*ADD, "--what", "[bold]big[/bold]"), None, "what=[bold]big[/bold]"),
    "markup closing tag": Case((*ADD, "--what", "[/]"), None, "what=[/]"),
    "markup click action": Case((*ADD, "--what", "[@click=app.quit]x[/]"), None, "what=[@click=app.quit]x[/]"),
    "markup in the owner": Case((*ADD, "--what", "x", "--owner", "[red]Ana[/]"), None, "owner=[red]Ana[/]"),
    # formula prefixes: stored as typed (the export makes them inert)
    "formula =": Case((*ADD, "--what", "=HYPERLINK(\"http://x\")"), None, "what==HYPERLINK(\"http://x\")"),
    "formula +": Case((*ADD, "--what", "+44 7700 900101"), None, "what=+44 7700 900101"),
    "formula -": Case((*ADD, "--what=-2+3"), None, "what=-2+3"),
    "formula @": Case((*ADD, "--what", "@SUM(A1:A9)"), None, "what=@SUM(A1:A9)"),
    # bytes that are not UTF-8, on the command line and in files
    "non-UTF-8 what": Case((*ADD, "--what", b"caf\xe9"), 2, "not valid text"),
    "non-UTF-8 customer": Case(("add", "--customer", b"\xff\xfe", "--what", "x", "--due", "fri"), 2, "not valid text"),
    "non-UTF-8 data file": Case(("list",), 1, "not UTF-8", _write("promisetrack.json", b'{"meta": "\xff"}')),
    "non-UTF-8 settings": Case(("list",), 1, "cannot read", _write("settings.toml", b'timezone = "\xff"\n')),
    "email without @": Case((*ADD, "--what", "x", "--email", "jo.example.com"), 2, "has no @"),
    "unknown channel": Case(("contact", "1001", "--note", "x", "--channel", "pigeon"), 2, "invalid choice"),
    "unknown status": Case(("list", "--status", "lost"), 2, "invalid choice"),
    "report month 13": Case(("report", "--month", "2026-13"), 2, "there is no month 2026-13"),
    "report week 60": Case(("report", "--week", "2026-W60"), 2, "no ISO week"),
    # settings.toml with bad values
    "settings: hours not a section": Case(("list",), 1, "hours must be a section", _settings('hours = "9-5"\n')),
    "settings: risk not a section": Case(("list",), 1, "risk must be a section", _settings("risk = 5\n")),
    "settings: staff not a list": Case(("list",), 1, "staff must be a list", _settings('staff = "Ana"\n')),
    "settings: capacity a word": Case(("list",), 1, "daily_capacity is not a number",
                                      _settings('[risk]\ndaily_capacity = "lots"\n')),
    "settings: capacity negative": Case(("list",), 1, "daily_capacity is out of range",
                                        _settings("[risk]\ndaily_capacity = -3\n")),
    "settings: min_hours nan": Case(("list",), 1, "min_hours is out of range", _settings("[risk]\nmin_hours = nan\n")),
    "settings: min_hours inf": Case(("list",), 1, "min_hours is out of range", _settings("[risk]\nmin_hours = inf\n")),
    "settings: fraction above 1": Case(("list",), 1, "window_fraction is out of range",
                                       _settings("[risk]\nwindow_fraction = 3\n")),
    "settings: half a backup": Case(("list",), 1, "backups_kept is not a whole number",
                                    _settings("[store]\nbackups_kept = 2.5\n")),
    "settings: days as text": Case(("list",), 1, "archive_after_days is not a number",
                                   _settings('[store]\narchive_after_days = "two weeks"\n')),
    "settings: bool as number": Case(("list",), 1, "lead_samples is not a number",
                                     _settings("[risk]\nlead_samples = true\n")),
    "settings: holidays not a list": Case(("list",), 1, "dates must be a list",
                                          _settings('[holidays]\ndates = "2026-12-25"\n')),
    "settings: unknown zone": Case(("list",), 1, "unknown timezone", _settings('timezone = "Mars/Base"\n')),
    "settings: zone a number": Case(("list",), 1, "timezone must be text", _settings("timezone = 5\n")),
    "settings: backwards hours": Case(("list",), 1, "closing time must be after",
                                      _settings('[hours]\nmon = "17:00-09:00"\n')),
    "settings: not TOML": Case(("list",), 1, "not valid TOML", _settings("x = = 1\n")),
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A desk with two open promises (1001, 1002), shared by the cases that need no damage of their own."""
    data = tmp_path_factory.mktemp("malformed") / "desk"
    write_settings(data)
    for what in ("Call back with the quote", "Replacement part arrives"):
        result = run(data, *ADD, "--what", what)
        assert result.returncode == 0, result.stderr
    return data


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_input_is_a_clear_error_or_stored_literally(name: str, shared: Path, tmp_path: Path) -> None:
    case = CASES[name]
    data = shared
    if case.setup is not None:
        data = tmp_path / "desk"
        write_settings(data)
        case.setup(data)
    result = run(data, *case.args)
    assert "Traceback" not in result.stderr + result.stdout, result.stderr

    if case.status is not None:
        assert result.returncode == case.status, (result.returncode, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert case.words in lines[0], lines[0]
        return

    assert result.returncode == 0, result.stderr
    field, _, expected = case.words.partition("=")
    pid = case.args[1] if case.args[0] == "show" else result.stdout.strip()
    shown = run(data, "show", pid, "--json")
    assert shown.returncode == 0, shown.stderr
    assert str(json.loads(shown.stdout)[field]) == expected
