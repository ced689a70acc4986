"""Fixtures of the board's tests: a desk with a handful of promises on the fixed Monday clock, and Pilot helpers.

Seeded at Mon 23 Nov 10:30 (Europe/London, open Mon–Fri 09:00–17:00), user ``ana``:

    1001  Tom Becker    overdue (due Fri 20 16:00)      ben
    1002  Maria Lopez   at risk (due today 11:30)       ana
    1003  Aisha Khan    ok → at risk at 14:30 → overdue after 16:30   ben
    1004  Priya Shah    ok (due Fri 27 17:00)           ana
    1005  Maria Lopez   ok (due tomorrow 15:00)         ana
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from promisetrack.clock import FixedClock
from promisetrack.service import Desk
from promisetrack.tui.app import PromiseTrackApp
from tests.conftest import MONDAY, at

SIZE = (120, 35)


@pytest.fixture
def seeded(desk: Desk, clock: FixedClock) -> Desk:
    clock.set(at(20, 10))
    desk.user = "ben"
    desk.add("Tom Becker", "Replacement part arrives", "2026-11-20 16:00", phone="+44 7700 900104",
             owner="ben", category="delivery")
    clock.set(MONDAY)
    desk.user = "ana"
    desk.add("Maria Lopez", "Call back with the repair quote", "+1h", phone="+44 7700 900101",
             email="maria@example.com", category="callback")
    desk.add("Aisha Khan", "Deliver the sofa", "2026-11-23 16:30", owner="ben", category="delivery")
    desk.add("Priya Shah", "Refund processed", "fri 5pm", email="priya@example.net", category="refund")
    desk.add("Maria Lopez", "Send the missing cable", "tomorrow 15:00", phone="+44 7700 900101",
             category="delivery")
    return desk


@pytest.fixture
def app(seeded: Desk) -> PromiseTrackApp:
    return PromiseTrackApp(seeded)


async def settle(pilot: Pilot) -> None:
    """Let the workers (reads and saves in threads) finish and the screen catch up."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*["space" if ch == " " else ch for ch in text])


def board_ids(app: PromiseTrackApp) -> list[int]:
    return [int(row.key.value or 0) for row in app.board.table.ordered_rows]


def cell(app: PromiseTrackApp, pid: int, column: str) -> str:
    return app.board.table.get_cell(str(pid), column).plain


def table_text(table: DataTable) -> str:
    return "\n".join(" | ".join(c.plain for c in table.get_row_at(i)) for i in range(table.row_count))


def toasts(app: PromiseTrackApp) -> list[str]:
    """The notifications on show: title and message."""
    return [f"{n.title}: {n.message}" for n in app._notifications]


def severities(app: PromiseTrackApp) -> Iterable[str]:
    return [n.severity for n in app._notifications]
