"""Corrupt, truncated, empty, wrong-schema and future-schema files: every command stops with one clear line that
names the newest good backup, ``promisetrack check`` reports it, and nothing is overwritten — not the damaged file,
not a backup."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.reliability.conftest import assert_clean_error, run_cli, snapshot_files


def _edit(change: Callable[[dict], object]) -> Callable[[bytes], bytes]:
    def damage(raw: bytes) -> bytes:
        tables = json.loads(raw)
        change(tables)
        return json.dumps(tables).encode()

    return damage


DAMAGE: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    # name: (what happens to the live file's bytes, words the message must hold)
    "corrupt": (lambda raw: raw[:100] + b"\x00\x13garbage" + raw[100:], "damaged (not valid JSON"),
    "truncated": (lambda raw: raw[: len(raw) // 2], "cut short"),
    "empty": (lambda raw: b"", "empty (0 bytes)"),
    "blank": (lambda raw: b"\n  \n", "empty (only blank space)"),
    "not UTF-8": (lambda raw: raw.replace(b"Ring back", b"Ring \xff\xfe back"), "not UTF-8"),
    "a list, not a data file": (lambda raw: b"[1, 2, 3]", "not a promisetrack data file"),
    "another program's TinyDB file": (lambda raw: b'{"_default": {"1": {"a": 1}}}', "no meta table"),
    "a table that is not records": (_edit(lambda t: t.__setitem__("promises", [1, 2])), "is not a set of numbered"),
    "a record missing a field": (_edit(lambda t: t["promises"]["1001"].pop("due")), "a record in it cannot be read"),
    "a garbled date": (_edit(lambda t: t["promises"]["1002"].__setitem__("created_at", "yesterday-ish")),
                       "a record in it cannot be read"),
    "future schema": (_edit(lambda t: t["meta"]["1"].__setitem__("schema", 99)), "written by a newer promisetrack"),
}


@pytest.fixture
def backed_up(desk_dir: Path) -> Path:
    """Two promises saved, so that the first version of today's file sits in backups/ as the newest good one."""
    for name in ("Maria Lopez", "Tom Becker"):
        result = run_cli(desk_dir, "add", "--customer", name, "--what", "Ring back", "--due", "tomorrow")
        assert result.returncode == 0, result.stderr
    return desk_dir


RECORD_DAMAGE = {"a record missing a field": 1001, "a garbled date": 1002}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_live_file_stops_every_command_and_names_the_backup(backed_up: Path, damage: str) -> None:
    change, words = DAMAGE[damage]
    live = backed_up / "promisetrack.json"
    live.write_bytes(change(live.read_bytes()))
    [backup] = sorted((backed_up / "backups").iterdir())
    before = snapshot_files(backed_up)
    damaged_record = RECORD_DAMAGE.get(damage)

    commands = [
        ["list"],
        ["show", str(damaged_record or 1001)],
        ["done", str(damaged_record or 1001)],
        ["undo"],
        ["report", "--month", "2026-11"],
    ]
    add = ["add", "--customer", "Jo", "--what", "Ring back", "--due", "fri", "--phone", "+44 7700 5"]
    if damaged_record is None:
        commands.append(add)
    for args in commands:
        line = assert_clean_error(run_cli(backed_up, *args), 1)
        assert words in line and f"newest good backup is {backup}" in line, (args, line)
        assert "Nothing was changed" in line

    checked = run_cli(backed_up, "check")
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
    assert words in checked.stdout and str(backup) in checked.stdout
    assert snapshot_files(backed_up) == before, "nothing overwritten: not the damaged file, not a backup"

    if damaged_record is not None:
        # A damaged record stops what reads it. `add` reads only the owner's open dues and the category's closed
        # promises: it may go ahead, and then it carries the damaged record over exactly as it found it.
        result = run_cli(backed_up, *add)
        if result.returncode:
            assert words in assert_clean_error(result, 1)
        saved = json.loads(live.read_bytes())["promises"][str(damaged_record)]
        assert saved == json.loads(before["promisetrack.json"])["promises"][str(damaged_record)]


def test_with_no_backup_yet_the_message_says_so(desk_dir: Path) -> None:
    assert run_cli(desk_dir, "add", "--customer", "Jo", "--what", "Ring back", "--due", "fri").returncode == 0
    (desk_dir / "promisetrack.json").write_bytes(b"{")
    line = assert_clean_error(run_cli(desk_dir, "list"), 1)
    assert "cut short" in line and "There is no backup yet." in line


def test_a_damaged_backup_is_passed_over_for_an_older_good_one(backed_up: Path) -> None:
    backups = backed_up / "backups"
    [good] = list(backups.iterdir())
    newer = backups / "promisetrack-2099-01-01.json"
    newer.write_bytes(b'{"meta": ')
    (backed_up / "promisetrack.json").write_bytes(b"")
    line = assert_clean_error(run_cli(backed_up, "list"), 1)
    assert f"newest good backup is {good}" in line
    checked = run_cli(backed_up, "check").stdout
    assert f"the backup {newer} cannot be used" in checked


@pytest.mark.parametrize("where", ["archive", "customers"])
def test_a_damaged_archive_or_customer_file_is_reported_and_kept(backed_up: Path, where: str) -> None:
    folder = backed_up / where
    folder.mkdir(exist_ok=True)
    damaged = folder / ("2026-10.json" if where == "archive" else "0000.json")
    damaged.write_bytes(b'{"meta": {"1": {"schema": 1}}, "promises": {"1": ')
    before = snapshot_files(backed_up)
    checked = run_cli(backed_up, "check")
    assert checked.returncode == 1 and f"{damaged} cannot be used: it is cut short" in checked.stdout
    assert "have no backups" in checked.stdout
    assert run_cli(backed_up, "list").returncode == 0, "the board and list do not need them"
    if where == "archive":
        line = assert_clean_error(run_cli(backed_up, "report", "--month", "2026-10"), 1)
    else:
        line = assert_clean_error(run_cli(backed_up, "add", "--customer", "Jo", "--what", "x", "--due", "fri",
                                          "--phone", "+44 20 7946 0000"), 1)
    assert f"{damaged} cannot be used" in line
    assert snapshot_files(backed_up) == before
