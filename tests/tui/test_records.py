"""Issue 12 on the board: the customer opened from a promise's detail (notes, every promise), the complaint key
(p) on open and closed promises, and the kudos texts on the stats screen."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from promisetrack.clock import FixedClock
from promisetrack.service import Desk
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.screens.board import BoardScreen
from promisetrack.tui.screens.complaint import ClearComplaintForm, ComplaintForm
from promisetrack.tui.screens.customer import CustomerScreen
from promisetrack.tui.screens.detail import DetailScreen
from promisetrack.tui.screens.stats import StatsScreen
from tests.conftest import MONDAY, at
from tests.tui.conftest import SIZE, settle, table_text, type_text


async def test_enter_on_the_customer_line_opens_the_customer_with_notes_and_history(
        seeded: Desk, clock: FixedClock) -> None:
    clock.set(at(2, 10))
    old, _ = seeded.add("Maria Lopez", "Old repair", "2026-11-03 12:00", phone="+44 7700 900101")
    seeded.done(old.id)
    clock.set(MONDAY)
    seeded.edit_customer(old.customer.id, note="prefers [b]email[/b]")
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1002)
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        line = detail.query_one("#detail-customer")
        line.focus()
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerScreen)
        assert "Maria Lopez" in str(screen.query_one("#customer-title").render())
        assert "prefers [b]email[/b]" in str(screen.query_one("#customer-notes").render())
        promises = table_text(screen.query_one("#customer-promises", DataTable))
        assert "Old repair" in promises and "Call back with the repair quote" in promises  # archived one included
        await pilot.press("escape")
        assert app.screen is detail
        await pilot.press("o")  # the same from anywhere in the detail
        await settle(pilot)
        assert isinstance(app.screen, CustomerScreen)


async def test_p_sets_and_clears_the_complaint(seeded: Desk) -> None:
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1004)
        await pilot.press("p")
        assert isinstance(app.screen, ComplaintForm)
        await type_text(pilot, "refund still missing")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen) and seeded.get(1004).complaint
        await pilot.press("p")
        assert isinstance(app.screen, ClearComplaintForm)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not seeded.get(1004).complaint
        assert [e.kind.value for e in seeded.get(1004).events][-2:] == ["complaint", "complaint"]


async def test_a_complaint_on_a_closed_promise_from_its_detail(seeded: Desk) -> None:
    seeded.done(1005)
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1002)
        await pilot.press("enter")
        await settle(pilot)
        history = app.screen.query_one("#history", DataTable)
        history.focus()
        history.move_cursor(row=history.get_row_index("1005"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.pid == 1005
        await pilot.press("p")
        assert isinstance(app.screen, ComplaintForm)
        app.screen.query_one("#note", Input).value = "cable was the wrong one"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert seeded.get(1005).complaint and isinstance(app.screen, DetailScreen)
        assert "complaint: cable was the wrong one" in table_text(app.screen.query_one("#timeline", DataTable))


async def test_stats_show_what_the_kudos_said(seeded: Desk) -> None:
    seeded.kudos("ben", "stayed late", "Lena [b]Park[/b]")
    seeded.kudos("ana", "covered my shift")
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, StatsScreen)
        text = str(app.screen.query_one("#kudos-texts").render())
        assert "ben — stayed late (customer Lena [b]Park[/b])" in text
        assert "ana — covered my shift (from ana)" in text
