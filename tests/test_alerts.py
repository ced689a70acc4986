"""Alerts that someone owns: acknowledge, snooze, reminders every ``remind_every`` business minutes, and the
report's time to acknowledge — at a fixed clock."""

from __future__ import annotations

import pytest

from promisetrack.alerts import Reminders, alert_state, snooze_until
from promisetrack.clock import FixedClock
from promisetrack.errors import PromiseError
from promisetrack.measures import Measures
from promisetrack.metrics import Period
from promisetrack.model import EventKind, Risk
from promisetrack.service import Desk
from tests.conftest import at


@pytest.fixture
def late(desk: Desk, clock: FixedClock) -> int:
    """Due Mon 11:30, overdue from then."""
    promise, _ = desk.add("Tom", "Call back", "2026-11-23 11:30")
    return promise.id


def test_an_ok_promise_has_no_alert_to_acknowledge(desk: Desk) -> None:
    promise, _ = desk.add("Una", "Refund", "fri 5pm")
    with pytest.raises(PromiseError, match="no alert to be acknowledged: it is ok"):
        desk.acknowledge(promise.id)
    with pytest.raises(PromiseError, match="no alert to be snoozed"):
        desk.snooze(promise.id, "15m")
    desk.wait(promise.id, "send the receipt")
    with pytest.raises(PromiseError, match="it is waiting"):
        desk.acknowledge(promise.id)


def test_acknowledging_records_who_and_when_and_never_changes_the_risk(
    desk: Desk, clock: FixedClock, late: int
) -> None:
    clock.set(at(23, 12, 0))
    before = desk.row(late).assessment
    desk.user = "ben"
    promise = desk.acknowledge(late)
    ack = promise.events[-1]
    assert ack.kind is EventKind.ACKNOWLEDGED and ack.by == "ben" and ack.at == at(23, 12, 0)
    assert ack.data == {"level": "overdue", "due": at(23, 11, 30).isoformat(), "raised": at(23, 11, 30).isoformat()}
    assert desk.row(late).assessment == before
    state = alert_state(desk.get(late), Risk.OVERDUE)
    assert state is not None and state.acknowledged == ack
    with pytest.raises(PromiseError, match="already acknowledged by ben at Mon 12:00"):
        desk.acknowledge(late)


def test_an_acknowledged_at_risk_alert_does_not_silence_the_overdue_one(
    desk: Desk, clock: FixedClock, late: int
) -> None:
    clock.set(at(23, 10, 45))  # 45 minutes left: at risk
    desk.acknowledge(late)
    assert alert_state(desk.get(late), Risk.AT_RISK).acknowledged is not None  # type: ignore[union-attr]
    clock.set(at(23, 11, 31))
    assert alert_state(desk.get(late), Risk.OVERDUE).acknowledged is None  # type: ignore[union-attr]
    desk.acknowledge(late)  # a new alert: it can be acknowledged


def test_a_new_due_is_a_new_alert(desk: Desk, clock: FixedClock, late: int) -> None:
    clock.set(at(23, 12, 0))
    desk.acknowledge(late)
    desk.reschedule(late, "2026-11-23 12:30", "the courier is late")
    clock.set(at(23, 12, 31))
    assert alert_state(desk.get(late), Risk.OVERDUE).acknowledged is None  # type: ignore[union-attr]


def test_snooze_for_a_quarter_an_hour_or_until_tomorrows_opening(desk: Desk, clock: FixedClock, late: int) -> None:
    clock.set(at(23, 12, 0))
    assert snooze_until("15m", clock.now(), desk.calendar) == at(23, 12, 15)
    assert snooze_until("1h", clock.now(), desk.calendar) == at(23, 13, 0)
    assert snooze_until("tomorrow", clock.now(), desk.calendar) == at(24, 9, 0)
    assert snooze_until("tomorrow", at(27, 12, 0), desk.calendar) == at(30, 9, 0)  # Friday: Monday's opening
    promise = desk.snooze(late, "1h")
    assert promise.events[-1].data["until"] == at(23, 13, 0).isoformat()
    state = alert_state(promise, Risk.OVERDUE)
    assert state is not None and state.snoozed(at(23, 12, 59)) and not state.snoozed(at(23, 13, 0))
    with pytest.raises(PromiseError, match="snooze for one of 15m, 1h, tomorrow"):
        desk.snooze(late, "forever")


def test_reminders_every_30_business_minutes_until_acknowledged(desk: Desk, clock: FixedClock, late: int) -> None:
    reminders = Reminders(desk.calendar, 30 * 60)
    clock.set(at(23, 16, 40))
    assert [r.promise.id for r in reminders.due(desk.board(), clock.now(), start=True)] == [late]  # the start
    for moment, expected in [
        (at(23, 16, 50), []),  # 10 minutes on
        (at(24, 9, 0), []),  # 20 business minutes on: the night does not count
        (at(24, 9, 10), [late]),  # 30 business minutes
        (at(24, 9, 39), []),
        (at(24, 9, 40), [late]),
    ]:
        clock.set(moment)
        assert [r.promise.id for r in reminders.due(desk.board(), moment)] == expected, moment
    desk.acknowledge(late)
    clock.set(at(24, 11, 0))
    assert reminders.due(desk.board(), clock.now()) == []


def test_a_snoozed_alert_reminds_when_the_snooze_ends(desk: Desk, clock: FixedClock, late: int) -> None:
    reminders = Reminders(desk.calendar, 30 * 60)
    clock.set(at(23, 12, 0))
    desk.snooze(late, "1h")
    assert reminders.due(desk.board(), clock.now(), start=True) == []  # snoozed: not even at the start
    clock.set(at(23, 12, 59))
    assert reminders.due(desk.board(), clock.now()) == []
    clock.set(at(23, 13, 0))
    assert [r.promise.id for r in reminders.due(desk.board(), clock.now())] == [late]


def test_a_promise_first_seen_overdue_after_the_start_reminds_30_minutes_later(
    desk: Desk, clock: FixedClock, late: int
) -> None:
    reminders = Reminders(desk.calendar, 30 * 60)
    assert reminders.due(desk.board(), clock.now(), start=True) == []  # 10:30: still ok
    clock.set(at(23, 11, 31))  # turned overdue: the board's own "Now overdue" alert
    assert reminders.due(desk.board(), clock.now()) == []
    clock.set(at(23, 12, 1))
    assert [r.promise.id for r in reminders.due(desk.board(), clock.now())] == [late]


def test_the_report_gives_time_to_acknowledge_per_owner(desk: Desk, clock: FixedClock) -> None:
    first, _ = desk.add("Ann", "Call back", "2026-11-23 11:00")
    second, _ = desk.add("Bea", "Call back", "2026-11-23 11:00", owner="ben")
    third, _ = desk.add("Cy", "Call back", "2026-11-23 11:00", owner="ben")
    clock.set(at(23, 11, 20))
    desk.acknowledge(first.id)  # 20 minutes
    desk.acknowledge(second.id)  # 20 minutes
    clock.set(at(24, 9, 40))
    desk.acknowledge(third.id)  # 6 business hours and 40 minutes: 400 minutes
    for p in (first, second, third):
        desk.done(p.id)
    report = Measures(desk).period_report(Period("w", at(23, 0), at(30, 0)))
    assert (report.by_owner["ana"].ack_count, report.by_owner["ana"].ack_p50_minutes) == (1, 20.0)
    ben = report.by_owner["ben"]
    assert (ben.ack_count, ben.ack_p50_minutes, ben.ack_p80_minutes) == (2, 20.0, 400.0)
