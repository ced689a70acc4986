"""The CLI contract, through the real entry point (``python -m promisetrack``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from promisetrack import cli as command_line
from tests.conftest import write_settings

NOW = "2026-11-23 10:30"


class Cli:
    def __init__(self, data: Path) -> None:
        self.data = data

    def __call__(self, *args: str, now: str = NOW, user: str = "ana") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PROMISETRACK_USER": user}
        env.pop("PROMISETRACK_DATA", None)
        return subprocess.run(
            [sys.executable, "-m", "promisetrack", "--data", str(self.data), "--now", now, *args],
            capture_output=True, text=True, env=env, timeout=60,
        )

    def ok(self, *args: str, **kw: str) -> str:
        result = self(*args, **kw)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def json(self, *args: str, **kw: str):
        return json.loads(self.ok(*args, "--json", **kw))


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    write_settings(tmp_path / "desk")
    return Cli(tmp_path / "desk")


def test_add_prints_the_id_alone_and_show_json_has_the_contract(cli: Cli) -> None:
    out = cli.ok("add", "--customer", "Maria Lopez", "--what", "Part arrives", "--due", "fri",
                 "--phone", "+44 7700 900101", "--email", "maria@example.com", "--category", "delivery",
                 "--complaint")
    assert out == "1001\n"
    doc = cli.json("show", "1001")
    assert doc["id"] == 1001
    assert doc["customer"] == {"name": "Maria Lopez", "phone": "+44 7700 900101", "email": "maria@example.com"}
    assert doc["what"] == "Part arrives" and doc["owner"] == "ana" and doc["category"] == "delivery"
    assert doc["created_at"].startswith("2026-11-23T10:30") and doc["created_at"].endswith("+00:00")
    assert doc["original_due"] == doc["due"] == "2026-11-27T17:00:00+00:00"
    assert doc["status"] == "open" and doc["risk"] == "ok" and doc["risk_reasons"] == []
    assert doc["outcome"] is None and doc["csat"] is None and doc["complaint"] is True
    assert doc["closed_at"] is None and [e["kind"] for e in doc["events"]] == ["created"]


def test_reality_check_warns_on_stderr_and_still_adds(cli: Cli) -> None:
    result = cli("add", "--customer", "Bob", "--what", "Call back", "--due", "sat 11am")
    assert result.returncode == 0 and result.stdout == "1001\n"
    assert "warning:" in result.stderr and "closed day" in result.stderr


def test_a_wall_time_the_clocks_skip_or_repeat_is_warned_on_stderr(cli: Cli) -> None:
    result = cli("add", "--customer", "Bob", "--what", "Call back", "--due", "2027-03-28 01:30")
    assert result.returncode == 0 and result.stdout == "1001\n"
    assert result.stderr.splitlines()[0] == (
        "warning: 01:30 does not exist on Sun 28 Mar 2027 (clocks go forward): taken as 02:30"
    )
    assert cli.json("show", "1001")["due"] == "2027-03-28T02:30:00+01:00"
    result = cli("reschedule", "1001", "--due", "2027-10-31 01:30", "--note", "later")
    assert result.returncode == 0 and result.stderr.splitlines()[0] == (
        "warning: 01:30 happens twice on Sun 31 Oct 2027 (clocks go back): taken as the first, 01:30 BST (+01:00)"
    )


def test_a_week_of_commands(cli: Cli) -> None:
    for name in ("Ann", "Bo", "Cy", "Di", "Ed"):
        cli.ok("add", "--customer", name, "--what", "thing", "--due", "wed")
    cli.ok("contact", "1001", "--note", "told them", "--channel", "email")
    out = cli.ok("reschedule", "1002", "--due", "fri 3pm", "--note", "supplier late")
    assert "now due Fri 27 15:00 (originally Wed 25 17:00)" in out
    assert "done — kept" in cli.ok("done", "1003", "--csat", "5", now="2026-11-24 12:00")
    cli.ok("cancel", "1004", "--reason", "not needed")
    cli.ok("reassign", "1005", "--owner", "ben")
    cli.ok("flag", "1005", "--note", "waiting on supplier")
    listed = cli.json("list")
    assert [p["id"] for p in listed] == [1005, 1001, 1002]  # at risk (blocked) first, then by due
    assert listed[0]["risk"] == "at_risk" and listed[0]["risk_reasons"] == ["blocked: waiting on supplier"]
    cli.ok("flag", "1005", "--clear")
    assert [p["id"] for p in cli.json("list", "--owner", "ben")] == [1005]
    closed = {p["id"]: p["outcome"] for p in cli.json("list", "--status", "closed")}
    assert closed == {1003: "kept", 1004: "cancelled"}
    assert [p["id"] for p in cli.json("list", "--status", "overdue", now="2026-11-26 09:00")] == [1001, 1005]
    text = cli.ok("list")
    assert "1001" in text and "Ann" in text
    shown = cli.ok("show", "1002")
    assert "timeline" in shown and "rescheduled  due Wed 25 17:00 → Fri 27 15:00: supplier late" in shown
    # undo takes the latest change by time: the done logged with the clock at Tue 12:00
    assert cli.ok("undo") == "undid the closing of promise 1003\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "--customer", "X", "--what", "y", "--due", "someday"), "can't read the due"),
        (("add", "--customer", "X", "--what", "y", "--due", "2020-01-01"), "in the past"),
        (("add", "--customer", " ", "--what", "y", "--due", "fri"), "customer name is required"),
        (("show", "4242"), "no promise 4242"),
        (("done", "1001", "--csat", "0"), "csat must be from 1 to 5, not 0"),
        (("done", "1001", "--csat", "6"), "csat must be from 1 to 5, not 6"),
        (("done", "x1"), "a promise id is a number"),
        (("cancel", "1001", "--reason", ""), "reason is required"),
        (("list", "--status", "late"), "invalid choice"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(cli: Cli, args, message: str) -> None:
    cli.ok("add", "--customer", "Ann", "--what", "thing", "--due", "fri")
    before = (cli.data / "promisetrack.json").read_bytes()
    result = cli(*args)
    assert result.returncode == 2, result
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert (cli.data / "promisetrack.json").read_bytes() == before


def test_closing_a_closed_promise_exits_2(cli: Cli) -> None:
    cli.ok("add", "--customer", "Ann", "--what", "thing", "--due", "fri")
    cli.ok("done", "1001")
    result = cli("done", "1001")
    assert result.returncode == 2 and "already done" in result.stderr


def test_corrupt_file_is_a_data_problem_exit_1_and_untouched(cli: Cli) -> None:
    cli.ok("add", "--customer", "Ann", "--what", "thing", "--due", "fri")
    path = cli.data / "promisetrack.json"
    path.write_bytes(path.read_bytes()[:40])
    result = cli("add", "--customer", "Bo", "--what", "thing", "--due", "fri")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert str(path) in result.stderr
    assert path.read_bytes().__len__() == 40
    check = cli("check")
    assert check.returncode == 1 and "problem:" in check.stdout


def test_check_on_a_healthy_dir(cli: Cli) -> None:
    cli.ok("add", "--customer", "Ann", "--what", "thing", "--due", "fri")
    assert "healthy" in cli.ok("check")


def test_bad_now_is_a_clear_error(cli: Cli) -> None:
    result = cli("list", now="yesterdayish")
    assert result.returncode == 2 and "--now" in result.stderr


def test_markup_and_formulas_are_stored_literally(cli: Cli) -> None:
    cli.ok("add", "--customer", "[bold]Eve[/bold]", "--what", "=HYPERLINK(\"x\")", "--due", "fri")
    doc = cli.json("show", "1001")
    assert doc["customer"]["name"] == "[bold]Eve[/bold]" and doc["what"] == '=HYPERLINK("x")'


@pytest.mark.parametrize("argv", [
    [], ["--data", "x", "--now", "2026-11-23T10:30", "--user", "ana"], ["--demo"],
    ["--data=x", "add", "--customer", "Ann", "--what", "Ring back", "--due", "fri", "--json"],
    ["--user", "list", "list", "--status", "closed"],  # a global option's value named like a command
    ["--us", "list", "add", "--customer", "Ann", "--what", "x", "--due", "fri"],  # an abbreviated option
    ["--u", "list", "add", "--customer", "Ann", "--what", "x", "--due", "fri"], ["--demo", "--n", "fri", "check"],
    ["--da", "list", "--dem", "list"],
    ["done", "1001", "--csat", "5"], ["customer", "merge", "1", "2"], ["db", "add-staff", "Ana Lopez", "--shop", "x"],
    ["serve", "--port", "8001"], ["kudos", "--list", "--month", "2026-11"], ["report", "--week", "2026-W48"],
])
def test_a_command_line_parses_the_same_with_its_own_command_only(argv: list[str]) -> None:
    """``parser_for`` builds the parser of the command named (or none, for the board): the same result as the
    parser of every command."""
    assert command_line.parser_for(argv).parse_args(argv) == command_line.build_parser().parse_args(argv)


def test_help_and_unknown_commands_see_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["--data", "x", "-h"]):
        with pytest.raises(SystemExit) as exit_:
            command_line.parser_for(argv).parse_args(argv)
        listed = capsys.readouterr().out
        assert exit_.value.code == 0 and all(re.search(rf"\n    {name}\s", listed) for name in command_line.SUBPARSERS)
    with pytest.raises(SystemExit) as exit_:
        command_line.main(["frobnicate"])
    assert exit_.value.code == 2 and "invalid choice: 'frobnicate'" in capsys.readouterr().err
    assert set(command_line.SUBPARSERS) == {name for name in command_line.COMMANDS if name} | set(command_line.DESKLESS)
