"""A board (a Desk held open) while another process writes: it notices, refreshes, and never writes back what it
read before — every change is made on the file as it is under the lock (``Desk._change`` re-reads in the
transaction)."""

from __future__ import annotations

from pathlib import Path

import pytest

from promisetrack.clock import FixedClock
from promisetrack.errors import PromiseError
from promisetrack.service import Desk, open_desk
from promisetrack.store import FileStore
from tests.conftest import MONDAY
from tests.reliability.conftest import run_cli

RESCHEDULE = ("reschedule", "1001", "--due", "wed 4pm", "--note", "supplier late")


@pytest.fixture
def board(desk_dir: Path) -> Desk:
    """The board's desk, with two promises made and read (so it holds a snapshot)."""
    desk = open_desk(desk_dir, user="Ana", clock=FixedClock(MONDAY))
    desk.add("Maria Lopez", "Call back with the repair quote", "tomorrow 3pm", phone="+44 7700 900101")
    desk.add("Tom Becker", "Replacement part arrives", "fri 5pm", email="tom@example.org")
    assert [row.promise.id for row in desk.board()] == [1001, 1002]
    assert not desk.changed()
    return desk


def test_the_board_notices_another_process_and_refreshes(board: Desk, desk_dir: Path) -> None:
    version = board.version()
    assert run_cli(desk_dir, *RESCHEDULE, user="Ben").returncode == 0
    assert run_cli(desk_dir, "add", "--customer", "Priya Shah", "--what", "Refund", "--due", "thu").returncode == 0
    assert board.changed() and board.version() != version
    rows = {row.promise.id: row.promise for row in board.board()}
    assert sorted(rows) == [1001, 1002, 1003]
    assert rows[1001].due.strftime("%a %H:%M") == "Wed 16:00"
    assert not board.changed()


def test_a_change_through_a_stale_desk_lands_on_the_fresh_file(board: Desk, desk_dir: Path) -> None:
    stale_due = board.get(1001).due
    assert run_cli(desk_dir, *RESCHEDULE, user="Ben").returncode == 0
    # The board has not refreshed; it logs a contact on what it last saw.
    board.contact(1001, "Told her the new date", "phone")
    saved = FileStore(desk_dir).read().promises[1001]
    kinds = [(e["kind"], e["by"]) for e in saved["events"]]
    assert kinds == [("created", "Ana"), ("rescheduled", "Ben"), ("contacted", "Ana")]
    assert saved["due"] != stale_due.isoformat(), "the other desk's reschedule survives"
    assert saved["due"] == board.get(1001).due.isoformat()


def test_a_stale_desk_cannot_act_on_what_another_desk_closed(board: Desk, desk_dir: Path) -> None:
    assert run_cli(desk_dir, "done", "1002", "--csat", "5", user="Ben").returncode == 0
    before = FileStore(desk_dir).path.read_bytes()
    for act in (lambda: board.contact(1002, "called"), lambda: board.reassign(1002, "Chloe"),
                lambda: board.done(1002, 4)):
        with pytest.raises(PromiseError, match="already done"):
            act()
    assert FileStore(desk_dir).path.read_bytes() == before, "nothing written back"
    assert board.get(1002).status.value == "done"


def test_adds_from_a_stale_desk_take_fresh_ids_and_keep_the_others(board: Desk, desk_dir: Path) -> None:
    assert run_cli(desk_dir, "add", "--customer", "Jo", "--what", "Ring back", "--due", "tomorrow").stdout == "1003\n"
    promise, _ = board.add("Maria Lopez", "Order the blue fabric", "fri", phone="+44 7700 900101")
    assert promise.id == 1004
    assert sorted(FileStore(desk_dir).read().promises) == [1001, 1002, 1003, 1004]
    assert promise.customer.id == board.get(1001).customer.id  # linked to the customer it already knew


def test_undo_from_a_stale_desk_respects_a_later_change_by_someone_else(board: Desk, desk_dir: Path) -> None:
    board.contact(1002, "Left a voicemail")
    assert run_cli(desk_dir, "reassign", "1002", "--owner", "Ben", user="Ben").returncode == 0
    with pytest.raises(PromiseError, match="Ben changed it after you"):
        board.undo()
    assert FileStore(desk_dir).read().promises[1002]["owner"] == "Ben"


def test_the_minute_tick_of_a_stale_board_uses_the_fresh_file_after_a_refresh(board: Desk, desk_dir: Path) -> None:
    rows = {row.promise.id: row for row in board.board()}
    assert run_cli(desk_dir, "flag", "1002", "--note", "waiting on the supplier", user="Ben").returncode == 0
    assert board.changed()  # the board's tick checks this first and re-reads instead of re-assessing
    fresh = {row.promise.id: row for row in board.board()}
    assert any(reason.startswith("blocked") for reason in fresh[1002].assessment.reasons)
    assert rows[1002].assessment.reasons != fresh[1002].assessment.reasons
