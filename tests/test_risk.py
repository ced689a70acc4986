"""Each risk rule of ARCHITECTURE §5, with its reason, and the reality check."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from promisetrack.calendar import BusinessCalendar
from promisetrack.config import Settings
from promisetrack.model import Customer, Event, EventKind, Promise, Risk, Status
from promisetrack.risk import assess, build_context, reality_check
from tests.conftest import TZ, at

SETTINGS = Settings(timezone="Europe/London")
CAL = BusinessCalendar.from_settings(SETTINGS)


def promise(
    pid: int = 1, created: datetime | None = None, due: datetime | None = None, owner: str = "ana",
    category: str = "delivery",
) -> Promise:
    created = created or at(23, 9)
    due = due or at(27, 17)
    p = Promise(pid, Customer(1, "Maria"), "part", owner, category, created, due, due)
    p.events.append(Event(EventKind.CREATED, created, owner, {"due": due.isoformat()}))
    return p


def ctx_for(*promises: Promise, closed: tuple[Promise, ...] = (), settings: Settings = SETTINGS):
    return build_context(promises, closed, CAL, settings)


def test_ok_when_plenty_of_time() -> None:
    p = promise()
    a = assess(p, at(23, 10), ctx_for(p))
    assert a.level is Risk.OK and a.reasons == ()
    assert a.recheck_at is not None and a.recheck_at > at(23, 10)


def test_overdue_once_the_due_has_passed() -> None:
    p = promise(due=at(23, 12))
    assert assess(p, at(23, 12), ctx_for(p)).level is Risk.AT_RISK  # at the due: not yet passed
    a = assess(p, at(23, 15), ctx_for(p))
    assert a.level is Risk.OVERDUE and a.reasons[0] == "overdue 3h"


def test_time_rule_two_business_hours() -> None:
    p = promise(created=at(23, 9), due=at(23, 16))
    assert assess(p, at(23, 13, 59), ctx_for(p)).level is Risk.OK
    a = assess(p, at(23, 14, 30), ctx_for(p))
    assert a.level is Risk.AT_RISK and "only 1.5 business hours left" in a.reasons


def test_time_rule_quarter_of_a_long_window() -> None:
    # window Mon 09:00 -> Fri 17:00 = 40 business hours; 25 % = 10 h, more than 2 h
    p = promise(created=at(23, 9), due=at(27, 17))
    p.events.append(Event(EventKind.CONTACTED, at(26, 9), "ana", {"note": "update"}))  # not silent
    assert assess(p, at(26, 10), ctx_for(p)).level is Risk.OK  # 15 h left
    a = assess(p, at(26, 16), ctx_for(p))  # 9 h left
    assert a.level is Risk.AT_RISK and any(r.startswith("only 1.1 business days left") for r in a.reasons)


def test_time_rule_counts_business_time_only() -> None:
    # Friday 16:00, due Monday 10:00: 2 business hours left despite a weekend between
    p = promise(created=at(27, 13), due=at(30, 10))
    assert assess(p, at(27, 15, 59), ctx_for(p)).level is Risk.OK
    assert assess(p, at(27, 16, 1), ctx_for(p)).level is Risk.AT_RISK


def test_lead_time_rule_needs_five_samples() -> None:
    def closed(pid: int, hours: int) -> Promise:
        p = promise(pid=pid, created=at(16, 9), category="repair")
        p.status, p.closed_at = Status.DONE, CAL.add_business_hours(at(16, 9), hours)
        return p

    history = tuple(closed(100 + i, h) for i, h in enumerate([10, 12, 14, 16, 20]))
    p = promise(created=at(23, 9), due=at(24, 16), category="repair")  # 15 business hours away
    a = assess(p, at(23, 9), ctx_for(p, closed=history))
    assert a.level is Risk.AT_RISK
    assert any("repair usually takes 2.0 business days (p80)" in r for r in a.reasons)
    assert assess(p, at(23, 9), ctx_for(p, closed=history[:4])).level is Risk.OK


def test_load_rule_counts_the_owners_day() -> None:
    settings = replace(SETTINGS, daily_capacity=2)
    same_day = [promise(pid=i, due=at(27, 12 + i)) for i in range(3)]
    other = promise(pid=9, due=at(27, 15), owner="ben")
    a = assess(same_day[0], at(23, 10), ctx_for(*same_day, other, settings=settings))
    assert a.level is Risk.AT_RISK and "ana has 3 due Fri 27 Nov (capacity 2)" in a.reasons
    assert assess(other, at(23, 10), ctx_for(*same_day, other, settings=settings)).level is Risk.OK


def test_blocked_rule_shows_the_note() -> None:
    p = promise()
    p.blocked, p.blocked_note = True, "waiting on the supplier"
    a = assess(p, at(23, 10), ctx_for(p))
    assert a.level is Risk.AT_RISK and a.reasons == ("blocked: waiting on the supplier",)


def test_silence_rule_and_a_contact_resets_it() -> None:
    p = promise(created=at(23, 9), due=at(30, 17))  # long window
    assert assess(p, at(24, 17), ctx_for(p)).level is Risk.OK  # exactly 16 business hours
    a = assess(p, at(25, 10), ctx_for(p))
    assert a.level is Risk.AT_RISK and "no contact for 2.1 business days" in a.reasons
    p.events.append(Event(EventKind.CONTACTED, at(25, 9, 30), "ana", {"note": "update"}))
    assert assess(p, at(25, 10), ctx_for(p)).level is Risk.OK


def test_recheck_at_is_when_the_time_rule_fires() -> None:
    p = promise(created=at(23, 9), due=at(23, 16))
    a = assess(p, at(23, 10), ctx_for(p))
    assert a.recheck_at == at(23, 14)
    assert assess(p, a.recheck_at + timedelta(seconds=1), ctx_for(p)).level is Risk.AT_RISK


def test_reality_check_warns_before_promising() -> None:
    settings = replace(SETTINGS, daily_capacity=1)
    existing = promise(pid=1, due=at(28, 12))
    ctx = ctx_for(existing, settings=settings)
    warnings = reality_check(at(28, 12), at(23, 10), "ana", "delivery", ctx)
    assert any("closed day" in w for w in warnings)
    assert "ana has 2 due Sat 28 Nov (capacity 1)" in warnings
    assert any("business hours left" in w for w in reality_check(at(23, 11), at(23, 10), "ben", "x", ctx))
    assert reality_check(at(26, 12), at(23, 10), "ben", "x", ctx) == []


@pytest.mark.parametrize("hour", [8, 18])
def test_reality_check_outside_open_hours(hour: int) -> None:
    ctx = ctx_for()
    assert reality_check(at(25, hour), at(23, 10), "ana", "x", ctx) != []


def test_zone_is_the_desks() -> None:
    assert CAL.tz == TZ


def test_overdue_reason_in_the_first_minute() -> None:
    p = promise(due=at(23, 12))
    a = assess(p, at(23, 12, 0) + timedelta(seconds=20), ctx_for(p))
    assert a.level is Risk.OVERDUE and a.reasons[0] == "overdue just now"
