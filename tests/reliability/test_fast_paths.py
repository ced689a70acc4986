"""The everyday commands stay fast as the desk ages: ``add``, ``list`` and ``done`` import no Textual (nor the
other heavy modules they do not need), and neither they nor the board read the archive or every customer."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from promisetrack.store import FileStore
from tests.reliability.conftest import NOW, cli_env, run_cli

# Runs one CLI command in this interpreter, then prints which of the watched modules got imported.
PROBE = """
import io, json, sys, contextlib
from promisetrack.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
watched = ("textual", "rich", "promisetrack.tui", "promisetrack.metrics", "promisetrack.export", "dateutil",
           "filelock", "tinydb", "xlsxwriter", "platformdirs", "psycopg", "promisetrack.commands", "promisetrack.demo",
           "promisetrack.store.postgres")
print(json.dumps({"code": code, "modules": sorted({m for m in sys.modules for w in watched
                                                  if m == w or m.startswith(w + ".")})}))
"""

NEVER = {"textual", "rich", "promisetrack.tui", "promisetrack.metrics", "promisetrack.export", "dateutil",
         "xlsxwriter", "platformdirs", "psycopg", "promisetrack.demo", "promisetrack.ahead",
         "promisetrack.store.postgres"}  # psycopg: only a desk on a database loads it
# The CLI's command table (promisetrack.cli.COMMANDS) imports the module of the command asked for, and only that one.
KEPT_WHOLE = ("promisetrack.commands", "promisetrack.store.postgres")  # named in full by imported(), not cut
EVERYDAY_COMMAND_MODULES = {"promisetrack.commands", "promisetrack.commands.output", "promisetrack.commands.promises"}


def imported(data: Path, *args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "--data", str(data), "--now", NOW, *args],
        capture_output=True, text=True, env=cli_env(), timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["code"] == 0
    return {name.split(".")[0] if not name.startswith("promisetrack")
            else name if name.startswith(KEPT_WHOLE) else ".".join(name.split(".")[:2])
            for name in result["modules"]}


@pytest.fixture
def used(desk_dir: Path) -> Path:
    for name in ("Maria Lopez", "Tom Becker"):
        assert run_cli(desk_dir, "add", "--customer", name, "--what", "Ring back", "--due", "tomorrow").returncode == 0
    return desk_dir


@pytest.mark.parametrize(
    "args",
    [
        ("add", "--customer", "Jo", "--what", "Call back", "--due", "fri 5pm", "--phone", "+44 7700 1"),
        ("list",),
        ("list", "--json"),
        ("done", "1001", "--csat", "5"),
        ("contact", "1002", "--note", "Left a voicemail"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_everyday_commands_import_no_textual_and_nothing_heavy(used: Path, args: tuple[str, ...]) -> None:
    modules = imported(used, *args)
    assert not modules & NEVER, modules & NEVER
    assert {m for m in modules if m.startswith("promisetrack.commands")} == EVERYDAY_COMMAND_MODULES
    if os.name == "posix":
        assert "filelock" not in modules, "POSIX locks with flock itself"
    if args[0] == "list":
        assert "tinydb" not in modules, "reading needs no TinyDB"


def test_a_month_or_numeric_date_still_reaches_dateutil(used: Path) -> None:
    assert "dateutil" in imported(used, "add", "--customer", "Jo", "--what", "x", "--due", "Dec 1 3pm")


def test_list_and_the_board_read_neither_the_archive_nor_the_customers(used: Path, monkeypatch: pytest.MonkeyPatch
                                                                       ) -> None:
    from promisetrack.clock import FixedClock
    from promisetrack.service import open_desk
    from tests.conftest import MONDAY

    desk = open_desk(used, user="Ana", clock=FixedClock(MONDAY))
    with FileStore(used).transaction() as tx:  # an archive month, so that there is something not to read
        tx.archive(1002, datetime(2026, 10, 15, 12, tzinfo=UTC))
    touched: list[str] = []
    monkeypatch.setattr(FileStore, "_archived_promises", lambda self, months: touched.append("archive") or {})
    monkeypatch.setattr(FileStore, "_customer_records",
                        lambda self, number, raw=None: touched.append("customers") or {})
    assert [row.promise.id for row in desk.listing()] == [1001]
    assert len(desk.board()) == 1 and desk.check_promise(MONDAY.replace(hour=16), "Ana", "other") == []
    assert touched == []


def test_every_command_in_the_table_names_a_function_that_runs_it() -> None:
    from promisetrack.cli import AHEAD, COMMANDS, DEMO, DESKLESS, LOGIN, build_parser, load

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    commands = set(sub.choices)
    assert commands == {name for name in COMMANDS if name is not None} | set(DESKLESS)
    for module, name in [*COMMANDS.values(), *DESKLESS.values(), *DEMO, LOGIN, AHEAD]:
        assert callable(load(module, name)), (module, name)
