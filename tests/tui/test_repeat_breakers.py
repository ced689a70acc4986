"""Repeat breakers on the board (issue 10): the supervisor review shows them in a group of their own on top, and the
detail view lists the customer's archived promises too.

Olu Ade broke two promises (made Mon 2 and Tue 3 Nov, done late with no contact), archived since; on top of the
board's seeded desk (tests/tui/conftest.py, ids 1003–1007) Olu has a new promise, 1008, at Mon 23 Nov 10:30.
"""

from __future__ import annotations

import pytest

from promisetrack.clock import FixedClock
from promisetrack.risk import REPEAT_BREAKER
from promisetrack.service import Desk
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.screens.detail import DetailScreen
from promisetrack.tui.screens.review import REPEAT_GROUP, ReviewScreen
from tests.conftest import MONDAY, at
from tests.tui.conftest import SIZE, settle, table_text

OLU = "+44 7700 900200"


@pytest.fixture
def broken_twice(desk: Desk, clock: FixedClock) -> Desk:
    for made, due, done in ((at(2, 9), "2026-11-02 12:00", at(3, 9)), (at(3, 10), "2026-11-03 12:00", at(4, 9))):
        clock.set(made)
        pid = desk.add("Olu Ade", "Swap the kettle", due, phone=OLU, category="repair")[0].id
        clock.set(done)
        desk.done(pid)
    clock.set(MONDAY)
    return desk


@pytest.fixture
def app(broken_twice: Desk, seeded: Desk) -> PromiseTrackApp:
    promise, warnings = seeded.add("Olu Ade", "Replace the lid", "fri 5pm", phone=OLU)
    assert promise.id == 1008 and warnings == [REPEAT_BREAKER]
    assert {1001, 1002}.isdisjoint(seeded.store.read().promises)  # archived
    return PromiseTrackApp(seeded)


async def test_the_review_shows_repeat_breakers_in_a_group_on_top(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("v")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        keys = [str(row.key.value) for row in screen.table.ordered_rows]
        assert keys == ["owner:" + REPEAT_GROUP, "1008", "owner:ana", "1004", "owner:ben", "1003"]
        heading = " | ".join(c.plain for c in screen.table.get_row("owner:" + REPEAT_GROUP))
        assert heading == " | ▼ | Repeat breakers — supervisor | 1 at risk |  |  | "
        olu = " | ".join(c.plain for c in screen.table.get_row("1008"))
        assert "Olu Ade | Replace the lid" in olu and REPEAT_BREAKER in olu
        assert screen.table.cursor_key == "1008"
        head = str(screen.query_one("#review-head").render())
        assert "1 overdue · 2 at risk · 2 owners" in head
        await pilot.press("asterisk")  # mark the group the cursor is in: the repeat breakers'
        assert screen.marked == {1008}


async def test_the_detail_lists_the_customers_archived_promises(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1008)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.pid == 1008
        history = table_text(app.screen.query_one("#history"))
        assert "1002 | Swap the kettle | done (broken)" in history
        assert "1001 | Swap the kettle | done (broken)" in history
        assert app.screen.history_ids == [1002, 1001]
        assert REPEAT_BREAKER in str(app.screen.query_one("#detail-risk").render())
