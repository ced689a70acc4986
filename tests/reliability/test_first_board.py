"""The board's first screen (``Desk.first_board``): every promise's level from its stored record
(``risk.level_of_record``), the first rows assessed in full. It must be the full board's first screen, with the full
board's counts — at any moment."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from promisetrack.clock import FixedClock
from promisetrack.model import Risk
from promisetrack.risk import level_of_record
from promisetrack.service import Desk, open_desk
from tests.conftest import MONDAY, TZ

PHRASES = ("+1h", "+3h", "eod", "tomorrow 10am", "tomorrow", "wed 11am", "+2bd", "fri 5pm", "+3bh", "+30m", "eow")
SCREEN = 12


@pytest.fixture(params=(6, 7))
def mixed(desk_dir: Path, request: pytest.FixtureRequest) -> tuple[Desk, FixedClock]:
    """Sixty promises of four people: contacted, rescheduled, blocked, waiting (with and without an "until"), a
    contact undone, repeat breakers, overloaded days, a few closed (for lead times)."""
    rng = random.Random(request.param)
    clock = FixedClock(MONDAY - timedelta(days=3))
    desk = open_desk(desk_dir, user="Ana", clock=clock)
    for n in range(2):  # a repeat breaker: two promises kept late
        promise, _ = desk.add("Repeat Person", f"Late {n}", "+30m", phone="+44 7700 900001", category="repair")
        clock.advance(timedelta(hours=2))
        desk.done(promise.id, 2)
    desk.add("Repeat Person", "Third time", "tomorrow", phone="+44 7700 900001")
    for n in range(60):
        desk.user = rng.choice(("Ana", "Ben", "Chloe", "Dev"))
        promise, _ = desk.add(f"Customer {n}", f"Promise {n}", rng.choice(PHRASES),
                              category=rng.choice(("callback", "repair")))
        if n % 7 == 0:
            desk.contact(promise.id, "update")
        if n % 9 == 0:
            desk.contact(promise.id, "a contact logged on the wrong promise")
            desk.undo()
        if n % 11 == 0:
            desk.flag(promise.id, "waiting on the supplier")
        if n % 8 == 3:
            desk.reschedule(promise.id, rng.choice(("+2h", "+4bd", "thu 4pm")), "customer asked")
        if n % 13 == 5:
            desk.wait(promise.id, "bring the laptop", until=rng.choice(("+1h", "tomorrow 10am", None)))
        if n % 17 == 4:
            desk.wait(promise.id, "sign the form")
            clock.advance(timedelta(minutes=30))
            desk.resume(promise.id, "signed")
        if n % 5 == 0:
            clock.advance(timedelta(minutes=rng.randint(10, 120)))
            desk.done(promise.id, 4)
        clock.advance(timedelta(minutes=rng.randint(1, 20)))
    return desk, clock


MOMENTS = {  # Monday mid-morning; that evening, the desk closed; Thursday afternoon, much of it overdue
    "monday": MONDAY, "monday night": MONDAY.replace(hour=21), "thursday": datetime(2026, 11, 26, 15, 0, tzinfo=TZ),
}


@pytest.mark.parametrize("moment", MOMENTS)
def test_the_first_screen_is_the_full_boards(mixed: tuple[Desk, FixedClock], moment: str) -> None:
    desk, clock = mixed
    now = MOMENTS[moment]
    clock.set(now)
    full = open_desk(desk.store.data_dir, user="Ana", clock=clock).board(now)
    first = open_desk(desk.store.data_dir, user="Ana", clock=clock).first_board(now, SCREEN)
    levels = Counter(row.risk for row in full)
    assert len(levels) >= 3  # the moment shows a mixed board
    assert first.total == len(full) > SCREEN
    assert first.counts == {level: levels.get(level, 0) for level in Risk}
    assert len(first.rows) == max(SCREEN, levels[Risk.OVERDUE])  # every overdue row: the unacknowledged count
    assert first.rows == full[:len(first.rows)]  # promises, levels, reasons, recheck moments


@pytest.mark.parametrize("hours", range(0, 96, 3))
def test_a_records_level_is_its_assessments(mixed: tuple[Desk, FixedClock], hours: int) -> None:
    desk, _ = mixed
    now = MONDAY + timedelta(hours=hours)
    live = desk._load()
    context = desk._context(live, now)
    for pid, doc in live.open_records():
        assert level_of_record(doc, now, context) is desk.assess(desk.get(pid), now).level, (pid, now)
