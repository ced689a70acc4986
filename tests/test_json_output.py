"""``--json`` on every command that prints: each command's keys are the README's (its "JSON output" table), and the
text tables line up with wide characters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from promisetrack.cli import main
from promisetrack.commands.output import cell as _cell
from promisetrack.commands.output import pad as _pad
from promisetrack.commands.output import text_width as _width
from promisetrack.service import open_desk
from tests.conftest import write_settings

ROOT = Path(__file__).resolve().parent.parent
NOW = "2026-11-23 10:30"


def readme_keys() -> dict[str, list[str]]:
    """The README's JSON output table: {command: the first backquoted list of its keys cell}."""
    text = (ROOT / "README.md").read_text(encoding="utf-8").split("### JSON output", 1)[1]
    rows = [line for line in text.split("\n| command | keys |", 1)[1].splitlines()[2:]]
    table: dict[str, list[str]] = {}
    for line in rows:
        if not line.startswith("|"):
            break
        first, keys = line.strip().strip("|").split(" | ", 1)
        names = [name.strip() for name in re.findall(r"`([^`]+)`", keys)[0].split(",")]
        for command in re.findall(r"`(\w+)`", first):
            table[command] = names
    return table


class Desk:
    def __init__(self, data: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data, self.capsys = data, capsys

    def json(self, *args: str, code: int = 0) -> object:
        assert main(["--data", str(self.data), "--now", NOW, "--user", "ana", *args, "--json"]) == code
        return json.loads(self.capsys.readouterr().out)


@pytest.fixture
def desk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Desk:
    write_settings(tmp_path / "desk")
    return Desk(tmp_path / "desk", capsys)


def test_every_command_prints_the_readme_keys(desk: Desk, tmp_path: Path) -> None:
    table = readme_keys()
    promise = table["show"]
    assert table["list"] == promise
    changed = [*promise, *table["add"]]
    outputs = {
        "add": desk.json("add", "--customer", "Ann", "--what", "Ring back", "--due", "sat 11am"),
        "contact": desk.json("contact", "1001", "--note", "told them"),
        "reschedule": desk.json("reschedule", "1001", "--due", "fri", "--note", "later"),
        "reassign": desk.json("reassign", "1001", "--owner", "ben"),
        "flag": desk.json("flag", "1001", "--note", "supplier"),
        "wait": desk.json("wait", "1001", "--note", "bring it"),
        "resume": desk.json("resume", "1001"),
        "note": desk.json("note", "1001", "--text", "fyi"),
        "done": desk.json("done", "1001", "--csat", "5"),
    }
    desk.json("add", "--customer", "Bo", "--what", "Part", "--due", "fri")
    outputs["cancel"] = desk.json("cancel", "1002", "--reason", "not needed")
    outputs["undo"] = desk.json("undo")
    outputs["kudos"] = desk.json("kudos", "ben", "--note", "great")
    outputs["check"] = desk.json("check")
    outputs["export"] = desk.json("export", "--week", "2026-W48", "--out", str(tmp_path / "out"))
    outputs["ics"] = desk.json("ics", "--out", str(tmp_path / "open.ics"))
    outputs["report"] = desk.json("report")
    outputs["notice"] = desk.json("notice", "1002", "--template", "running_late", "--due", "mon 12:00")
    for command in ("add", "contact", "reschedule", "done", "cancel", "reassign", "flag", "wait", "resume", "note"):
        assert table[command] == ["message", "warnings"], command  # documented as the promise's keys plus these
        assert set(outputs[command]) == set(changed), command  # JSON objects: the keys, in any order
    for command in ("undo", "kudos", "check", "export", "ics", "report", "notice"):
        assert set(outputs[command]) == set(table[command]), command
    assert set(desk.json("show", "1001")) == set(promise)
    assert all(set(p) == set(promise) for p in desk.json("list", "--status", "all"))
    assert outputs["add"]["warnings"] and "closed day" in " ".join(outputs["add"]["warnings"])
    assert outputs["done"]["outcome"] == "renegotiated" and outputs["done"]["message"] == "1001 done — renegotiated"
    assert outputs["undo"]["message"].startswith("undid") and outputs["undo"]["removed"] is False
    assert [f["path"].rsplit(".", 1)[1] for f in outputs["export"]["files"]] == ["csv", "xlsx", "md", "ics"]
    assert all(f["bytes"] == Path(f["path"]).stat().st_size > 0 for f in outputs["export"]["files"])
    assert outputs["check"]["ok"] is True and outputs["check"]["problems"] == []
    assert outputs["ics"]["events"] == len(desk.json("list"))


def test_list_closed_shows_the_outcome(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    desk.json("add", "--customer", "Ann", "--what", "Ring back", "--due", "fri")
    desk.json("done", "1001")
    assert main(["--data", str(desk.data), "--now", NOW, "list", "--status", "closed"]) == 0
    row = capsys.readouterr().out.splitlines()[1]
    assert " kept " in row and " done " not in row


def test_columns_line_up_with_wide_characters(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("Ann", "王小明 🙂", "Zoë"):
        desk.json("add", "--customer", name, "--what", "Ring back", "--due", "fri")
    assert main(["--data", str(desk.data), "--now", NOW, "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    starts = {_width(line[: line.index("Ring back")]) for line in lines[1:]}
    assert len(starts) == 1, lines  # WHAT starts in the same terminal column on every row


def test_a_cell_is_cut_by_terminal_cells_never_inside_a_wide_character() -> None:
    assert _width("王小明") == 6 and _width("abc") == 3
    assert _cell("王小明王小明", 5) == "王小…" and _cell("王小明", 4) == "王 …"  # a space where 明 would straddle
    assert _pad("王", 4) == "王  " and _pad("abcdef", 4) == "abc…"


def test_complaint_and_rate_print_the_promise_keys(desk: Desk) -> None:
    table = readme_keys()
    assert table["complaint"] == table["rate"] == ["message", "warnings"]
    desk.json("add", "--customer", "Ann", "--what", "Ring back", "--due", "fri")
    desk.json("done", "1001", "--csat", "2")
    complained = desk.json("complaint", "1001", "--note", "rude")
    cleared = desk.json("complaint", "1001", "--clear")
    rated = desk.json("rate", "1001", "--csat", "5")
    for doc in (complained, cleared, rated):
        assert set(doc) == {*table["show"], "message", "warnings"}
    assert (complained["complaint"], cleared["complaint"], rated["csat"]) == (True, False, 5)
    assert rated["message"] == "1001 rated 5 (the outcome is unchanged)"


def test_customers_and_kudos_lists_line_up_with_wide_characters(desk: Desk,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    for name, email in (("Ann", "ann@example.com"), ("王小明 🙂", "wang@example.com")):
        desk.json("add", "--customer", name, "--what", "Ring back", "--due", "fri", "--email", email)
    for person in ("Ben", "王小明"):
        desk.json("kudos", person, "--note", "great")
    base = ["--data", str(desk.data), "--now", NOW]
    assert main([*base, "customers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len({_width(line[: line.rindex(" 2026-11-23")]) for line in lines[1:]}) == 1, lines  # OPEN … lined up
    assert main([*base, "kudos", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len({_width(line[: line.index("great")]) for line in lines}) == 1, lines


def test_list_columns_hold_six_digit_ids_and_the_longest_due_words(desk: Desk,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A desk of months has ids past 10000, and "overdue 14d 23h" is about the longest "when": header and rows stay
    in line, every id in full."""
    with open_desk(desk.data, user="ana").store.transaction() as tx:
        tx.next_ids("promise", 102489 - 1001)
    desk.json("add", "--customer", "Ann", "--what", "Ring back", "--due", "2026-11-27 17:00")
    assert main(["--data", str(desk.data), "--now", "2026-12-12T16:30", "list"]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert row.startswith("102489  ") and "overdue 14d 23h" in row
    for title, value in (("DUE", "Fri 27"), ("WHEN", "overdue 14d"), ("RISK", "overdue  ana"), ("OWNER", "ana "),
                         ("CUSTOMER", "Ann "), ("WHAT", "Ring back")):
        assert row[header.index(title):].startswith(value), (title, header, row)
