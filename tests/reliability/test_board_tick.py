"""The board's minute tick (``Desk.reassess``): it re-assesses only the promises whose ``recheck_at`` has come, and
the board it keeps never differs from a full re-assessment — not in a level, not in the words of a reason."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from promisetrack import service
from promisetrack.clock import FixedClock
from promisetrack.service import Desk, open_desk
from tests.conftest import MONDAY, TZ

PHRASES = ("+1h", "+3h", "eod", "tomorrow 10am", "tomorrow", "wed 11am", "+2bd", "fri 5pm", "+3bh", "+30m", "eow")


# Monday morning; and a Friday afternoon before the clocks go back (Sun 25 Oct 2026 in London), over the weekend.
STARTS = {"monday": MONDAY, "over the clock change": datetime(2026, 10, 23, 15, 0, tzinfo=TZ)}


@pytest.fixture(params=[(start, seed) for start in STARTS for seed in (6, 7)], ids=lambda p: f"{p[0]}-{p[1]}")
def busy(desk_dir: Path, request: pytest.FixtureRequest) -> tuple[Desk, FixedClock]:
    """Forty promises of four people over the week, some contacted, some blocked, a few closed (for lead times)."""
    start, seed = STARTS[request.param[0]], request.param[1]
    rng = random.Random(seed)
    clock = FixedClock(start - timedelta(days=3))
    desk = open_desk(desk_dir, user="Ana", clock=clock)
    for n in range(40):
        desk.user = rng.choice(("Ana", "Ben", "Chloe", "Dev"))
        promise, _ = desk.add(f"Customer {n}", f"Promise {n}", rng.choice(PHRASES),
                              category=rng.choice(("callback", "repair")))
        if n % 7 == 0:
            desk.contact(promise.id, "update")
        if n % 11 == 0:
            desk.flag(promise.id, "waiting on the supplier")
        if n % 5 == 0:
            clock.advance(timedelta(minutes=rng.randint(10, 120)))
            desk.done(promise.id, 4)
        clock.advance(timedelta(minutes=rng.randint(1, 20)))
    clock.set(start)
    return desk, clock


def test_the_ticked_board_is_always_the_full_reassessment(busy: tuple[Desk, FixedClock]) -> None:
    desk, clock = busy
    rows = {row.promise.id: row for row in desk.board(clock.now())}
    assert len(rows) > 20
    for _ in range(2 * 24 * 60):  # every minute of two days, nights and all
        now = clock.advance(timedelta(minutes=1))
        changed = desk.reassess(rows, now)
        full = {row.promise.id: row for row in desk.board(now)}
        shown = {pid: (row.risk, row.assessment.reasons) for pid, row in rows.items()}
        assert shown == {pid: (row.risk, row.assessment.reasons) for pid, row in full.items()}, now
        assert changed <= set(rows)


def test_the_tick_reassesses_only_what_is_due(busy: tuple[Desk, FixedClock], monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    desk, clock = busy
    now = clock.now()
    rows = {row.promise.id: row for row in desk.board(now)}
    calls: list[int] = []
    real = service.assess

    def counting(p, moment, context):  # type: ignore[no-untyped-def]
        calls.append(p.id)
        return real(p, moment, context)

    monkeypatch.setattr(service, "assess", counting)
    changed = desk.reassess(rows, now)  # the same minute: only rows without a recheck moment (overdue) are looked at
    due = {pid for pid, row in rows.items() if row.assessment.recheck_at is None or row.assessment.recheck_at <= now}
    assert set(calls) == due and not changed


def test_a_change_of_level_is_reported(busy: tuple[Desk, FixedClock]) -> None:
    desk, clock = busy
    rows = {row.promise.id: row for row in desk.board(clock.now())}
    before = {pid: row.risk for pid, row in rows.items()}
    changed: set[int] = set()
    for _ in range(8 * 60):
        changed |= desk.reassess(rows, clock.advance(timedelta(minutes=1)))
    moved = {pid for pid, row in rows.items() if row.risk != before[pid]}
    assert moved and moved <= changed
