"""Keys that look rather than change: / filter, m mine, enter detail, ? help, the command palette, t role-play."""

from __future__ import annotations

from datetime import timedelta

from textual.command import CommandPalette
from textual.widgets import DataTable, Input

from promisetrack.clock import FixedClock
from promisetrack.service import Desk
from promisetrack.tui.app import PromiseTrackApp, palette_title
from promisetrack.tui.screens.board import BOARD_BINDINGS, BoardScreen
from promisetrack.tui.screens.detail import DetailScreen
from promisetrack.tui.screens.help import HelpScreen
from promisetrack.tui.screens.new_promise import NewPromiseForm
from promisetrack.tui.widgets.summary_bar import SummaryBar
from tests.conftest import at
from tests.tui.conftest import SIZE, board_ids, settle, table_text, toasts, type_text


async def test_filter_by_text(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("slash")
        assert app.focused is app.board.query_one("#filter", Input)
        await type_text(pilot, "lopez")
        assert board_ids(app) == [1002, 1005]
        assert "showing 2: “lopez”" in str(app.board.query_one(SummaryBar).render())
        await pilot.press("enter")  # back to the list, the filter stays
        assert isinstance(app.focused, DataTable) and board_ids(app) == [1002, 1005]
        await pilot.press("slash")
        app.board.query_one("#filter", Input).value = "900104"  # a phone number
        await pilot.pause()
        assert board_ids(app) == [1001]
        app.board.query_one("#filter", Input).value = "nobody"
        await pilot.pause()
        assert board_ids(app) == [] and app.board.query_one("#empty").display
        await pilot.press("escape")
        assert board_ids(app) == [1001, 1002, 1003, 1005, 1004]
        assert not app.board.query_one("#filter").has_class("-shown")


async def test_only_mine(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("m")
        assert board_ids(app) == [1002, 1005, 1004]  # ana's
        assert "showing 3: mine" in str(app.board.query_one(SummaryBar).render())
        assert "5 open" in str(app.board.query_one(SummaryBar).render())  # the counts stay the desk's
        await pilot.press("m")
        assert len(board_ids(app)) == 5


async def test_enter_opens_the_detail_with_timeline_and_other_promises(app: PromiseTrackApp, seeded: Desk) -> None:
    seeded.contact(1002, "left a voicemail", "phone")
    seeded.reschedule(1002, "eod", "needs the manager")
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1002)
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.pid == 1002
        info = str(app.screen.query_one("#detail-info").render())
        assert "Maria Lopez" in info and "+44 7700 900101" in info and "maria@example.com" in info
        assert "today 17:00 (in 6h 30m)    originally today 11:30" in info
        timeline = table_text(app.screen.query_one("#timeline", DataTable))
        assert "ana | created | due today 11:30, owner ana, callback" in timeline
        assert "contacted | phone: left a voicemail" in timeline
        assert "rescheduled | due today 11:30 → today 17:00: needs the manager" in timeline
        history = table_text(app.screen.query_one("#history", DataTable))
        assert "1005 | Send the missing cable | open | tomorrow 15:00" in history
        await pilot.press("c")  # the promise keys work on the promise shown
        await type_text(pilot, "ok")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "contacted | phone: ok" in table_text(app.screen.query_one("#timeline", DataTable))
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen) and app.board.cursor_pid == 1002


async def test_help_lists_every_key(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        keys = str(app.screen.query_one("#help-keys").render())
        for binding in BOARD_BINDINGS:
            assert binding.tooltip in keys
        for key in ("n", "c", "r", "d", "x", "a", "f", "u", "/", "m", "enter", "?", "t", "ctrl+p", "esc"):
            assert f"{key:>7}  " in keys
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)


async def test_command_palette_offers_the_same_actions(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        titles = [c.title for c in app.get_system_commands(app.board)]
        for binding in BOARD_BINDINGS:
            if binding.action != "app.quit":
                assert palette_title(binding) in titles
        assert "Reschedule — agree a new due with the customer" in titles
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "new promise")
        await pilot.pause(0.3)  # the palette searches in the background
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NewPromiseForm)


async def test_role_play_moves_a_fixed_clock_on_an_hour(app: PromiseTrackApp, clock: FixedClock) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert "(role-play: t = +1h)" in str(app.board.query_one(SummaryBar).render())
        await pilot.press("t")
        assert clock.now() == at(23, 11, 30)
        assert "Mon 23 Nov 11:30" in str(app.board.query_one(SummaryBar).render())
        assert app.board.table.get_cell("1002", "due").plain.startswith("due now")
        assert any("the clock is now Mon 23 Nov 11:30" in t for t in toasts(app))


async def test_role_play_never_moves_the_real_clock(seeded: Desk) -> None:
    class RealClock:
        def now(self):
            return at(23, 10, 30)

    seeded.clock = RealClock()
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("t")
        assert any("needs --demo or --now" in t for t in toasts(app))
        assert "role-play" not in str(app.board.query_one(SummaryBar).render())
        assert seeded.now() == at(23, 10, 30) + timedelta(0)
