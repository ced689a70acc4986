"""Snapshots of the board, the new-promise form and the detail view (with assertions in ``run_before`` too).

Regenerate after a deliberate change of layout: ``pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from promisetrack.service import Desk
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.screens.detail import DetailScreen
from promisetrack.tui.screens.new_promise import NewPromiseForm
from tests.tui.conftest import SIZE, board_ids, cell, settle, type_text


def test_board(snap_compare, seeded: Desk) -> None:
    seeded.flag(1004, "waiting on the bank [confirm]")
    seeded.add("Ben [bold]Markup[/bold] Test", "[@click=app.quit]Swap[/] the kettle", "+2bd", phone="+44 7700 900129",
               complaint=True)

    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()  # app.run(auto_pilot=…) starts this before the board has mounted
        app = pilot.app
        assert isinstance(app, PromiseTrackApp)
        assert board_ids(app) == [1001, 1002, 1004, 1003, 1005, 1006]
        assert cell(app, 1006, "customer") == "! Ben [bold]Markup[/bold] Test"
        await pilot.press("down", "down")
        assert app.board.cursor_pid == 1004

    assert snap_compare(PromiseTrackApp(seeded), run_before=run_before, terminal_size=SIZE)


def test_new_promise_form(snap_compare, seeded: Desk) -> None:
    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()  # app.run(auto_pilot=…) starts this before the board has mounted
        app = pilot.app
        await pilot.press("n")
        assert isinstance(app.screen, NewPromiseForm)
        await type_text(pilot, "mar")
        await pilot.press("down", "enter")
        app.screen.query_one("#what", Input).value = "Weekend delivery of the cable"
        app.screen.query_one("#due", Input).value = "sat 10am"
        await pilot.pause()
        assert app.screen.query_one("#phone", Input).value == "+44 7700 900101"
        assert "Sat 28 Nov is a closed day" in str(app.screen.query_one("#due-warnings").render())
        app.screen.query_one("#due", Input).focus()
        await pilot.pause()

    assert snap_compare(PromiseTrackApp(seeded), run_before=run_before, terminal_size=SIZE)


def test_detail_view(snap_compare, seeded: Desk) -> None:
    seeded.contact(1002, "left a voicemail", "phone")
    seeded.reschedule(1002, "eod", "needs the manager's approval")
    seeded.flag(1002, "waiting on the manager")

    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()  # app.run(auto_pilot=…) starts this before the board has mounted
        app = pilot.app
        assert isinstance(app, PromiseTrackApp)
        app.board.table.select_pid(1002)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.pid == 1002
        assert "blocked" in str(app.screen.query_one("#detail-info").render())

    assert snap_compare(PromiseTrackApp(seeded), run_before=run_before, terminal_size=SIZE)
