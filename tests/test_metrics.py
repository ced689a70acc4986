"""Period figures on hand-built event histories: every outcome, every rate, per owner and category, the empty
period, csat, lead times, periods and their errors, trends, recurring issues and recognition."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from promisetrack.calendar import BusinessCalendar
from promisetrack.config import Settings
from promisetrack.errors import PromiseError
from promisetrack.metrics import (
    Standards,
    figures,
    parse_period,
    percent,
    percentile,
    previous,
    previous_week,
    recent_months,
    recent_weeks,
    recognition,
    recurring_issues,
    state_at,
    table_cells,
    trend,
    week_of,
    words_of,
)
from promisetrack.model import Customer, Event, EventKind, Promise, Risk, apply
from tests.conftest import MONDAY, TZ, at

CAL = BusinessCalendar.from_settings(Settings(timezone="Europe/London"))
W48 = parse_period(MONDAY, TZ, week="2026-W48")  # Mon 23 – Sun 29 Nov 2026
_ids = iter(range(1, 10_000))


def promise(
    created: datetime,
    due: datetime,
    *steps: tuple[EventKind, datetime, dict],
    owner: str = "Ana",
    category: str = "delivery",
    what: str = "part arrives",
    complaint: bool = False,
) -> Promise:
    """A promise played from its events, as the service would have stored it."""
    pid = next(_ids)
    p = Promise(pid, Customer(pid, f"Customer {pid}"), what, owner, category, created, due, due)
    created_event = Event(EventKind.CREATED, created, owner, {
        "due": due.isoformat(), "owner": owner, "category": category, "what": what, "complaint": complaint,
    })
    for e in [created_event, *(Event(kind, moment, owner, data) for kind, moment, data in steps)]:
        p.events.append(e)
        apply(p, e)
    return p


def done(moment: datetime, csat: int | None = None) -> tuple[EventKind, datetime, dict]:
    return (EventKind.DONE, moment, {"csat": csat})


def resched(moment: datetime, due: datetime) -> tuple[EventKind, datetime, dict]:
    return (EventKind.RESCHEDULED, moment, {"due": due.isoformat(), "note": "agreed"})


def contact(moment: datetime) -> tuple[EventKind, datetime, dict]:
    return (EventKind.CONTACTED, moment, {"note": "told them", "channel": "phone"})


def cancel(moment: datetime) -> tuple[EventKind, datetime, dict]:
    return (EventKind.CANCELLED, moment, {"reason": "not needed"})


@dataclass(frozen=True)
class FakeRow:
    promise: Promise
    risk: Risk | None


def kept(owner: str = "Ana", category: str = "delivery", csat: int | None = None) -> Promise:
    return promise(at(23, 10), at(25, 17), done(at(24, 12), csat), owner=owner, category=category)


def renegotiated(owner: str = "Ana", category: str = "delivery", csat: int | None = None) -> Promise:
    return promise(at(23, 10), at(24, 17), resched(at(24, 9), at(26, 17)), done(at(26, 12), csat),
                   owner=owner, category=category)


def late_notified(owner: str = "Ben", category: str = "refund", csat: int | None = None) -> Promise:
    return promise(at(23, 10), at(24, 17), contact(at(24, 15)), done(at(25, 10), csat), owner=owner, category=category)


def broken(owner: str = "Ben", category: str = "refund", csat: int | None = None) -> Promise:
    return promise(at(23, 10), at(24, 17), done(at(25, 11), csat), owner=owner, category=category, complaint=True)


def cancelled(owner: str = "Ana", category: str = "refund") -> Promise:
    return promise(at(23, 10), at(27, 17), cancel(at(24, 10)), owner=owner, category=category)


# ---------------------------------------------------------------- figures


def test_every_outcome_counts_and_every_rate() -> None:
    outside = promise(at(16, 10), at(17, 17), done(at(17, 12)))  # closed the week before
    still_open = promise(at(23, 11), at(30, 17))
    report = figures(
        [kept(csat=5), renegotiated(csat=4), late_notified(csat=2), broken(), cancelled(), outside, still_open],
        W48, CAL,
    )
    f = report.overall
    assert f.counts == {"kept": 1, "renegotiated": 1, "late_notified": 1, "broken": 1, "cancelled": 1, "closed": 4}
    assert f.on_time_rate == pytest.approx(2 / 4)  # (kept + renegotiated) / closed
    assert f.original_date_rate == pytest.approx(1 / 4)  # kept / closed
    assert f.broken_rate == pytest.approx(1 / 4)
    assert f.proactive_contact_rate == pytest.approx(2 / 3)  # (reneg + late) / (reneg + late + broken)
    assert f.csat_mean == pytest.approx(11 / 3) and f.csat_count == 3
    assert f.complaints == 1


def test_per_owner_and_per_category() -> None:
    report = figures([kept(), renegotiated(), cancelled(), late_notified(), broken()], W48, CAL)
    assert list(report.by_owner) == ["Ana", "Ben"]
    ana, ben = report.by_owner["Ana"], report.by_owner["Ben"]
    assert ana.counts == {"kept": 1, "renegotiated": 1, "late_notified": 0, "broken": 0, "cancelled": 1,
                          "closed": 2}
    assert ana.on_time_rate == 1.0 and ana.original_date_rate == 0.5 and ana.broken_rate == 0.0
    assert ana.proactive_contact_rate == 1.0
    assert ben.on_time_rate == 0.0 and ben.broken_rate == 0.5 and ben.proactive_contact_rate == 0.5
    assert list(report.by_category) == ["delivery", "refund"]
    assert report.by_category["delivery"].counts["closed"] == 2
    refund = report.by_category["refund"]
    assert (refund.counts["closed"], refund.counts["cancelled"]) == (2, 1)
    assert refund.on_time_rate == 0.0


def test_cancelled_is_in_no_denominator() -> None:
    f = figures([kept(), cancelled(), cancelled()], W48, CAL).overall
    assert f.counts["closed"] == 1 and f.counts["cancelled"] == 2
    assert f.on_time_rate == 1.0 and f.original_date_rate == 1.0 and f.broken_rate == 0.0
    assert f.proactive_contact_rate is None  # nothing was late or renegotiated: nothing to judge


def test_only_cancelled_leaves_every_rate_none() -> None:
    f = figures([cancelled()], W48, CAL).overall
    assert f.counts["closed"] == 0 and f.counts["cancelled"] == 1
    assert (f.on_time_rate, f.original_date_rate, f.broken_rate, f.proactive_contact_rate) == (None,) * 4


def test_empty_period_has_null_rates_not_zero() -> None:
    report = figures([kept(), broken()], parse_period(MONDAY, TZ, month="2026-10"), CAL)
    doc = json.loads(json.dumps(report.as_json()))
    assert doc["counts"] == dict.fromkeys(("kept", "renegotiated", "late_notified", "broken", "cancelled", "closed"), 0)
    for key in ("on_time_rate", "original_date_rate", "broken_rate", "proactive_contact_rate", "csat_mean",
                "lead_time_p50_hours", "lead_time_p80_hours"):
        assert doc[key] is None, key
    assert doc["csat_count"] == 0 and doc["complaints"] == 0
    assert doc["by_owner"] == {} and doc["by_category"] == {}
    assert doc["period"] == {"from": "2026-10-01T00:00:00+01:00", "to": "2026-11-01T00:00:00+00:00"}


def test_report_json_has_the_contract_keys() -> None:
    doc = figures([kept(), broken()], W48, CAL, [FakeRow(promise(at(23, 9), at(24, 9)), Risk.OVERDUE)]).as_json()
    contract = {"period", "counts", "on_time_rate", "original_date_rate", "broken_rate", "proactive_contact_rate",
                "csat_mean", "csat_count", "complaints", "by_owner", "by_category", "open_overdue", "open_at_risk"}
    assert contract <= doc.keys()
    assert contract - {"period", "by_owner", "by_category"} <= doc["by_owner"]["Ana"].keys()
    assert contract - {"period", "by_owner", "by_category"} <= doc["by_category"]["refund"].keys()


def test_csat_mean_and_count_skip_unscored() -> None:
    f = figures([kept(csat=5), kept(csat=4), kept(), renegotiated(csat=2)], W48, CAL).overall
    assert f.csat_count == 3 and f.csat_mean == pytest.approx(11 / 3)


def test_open_rows_at_the_end_give_overdue_and_at_risk_per_owner_and_category() -> None:
    rows = [
        FakeRow(promise(at(23, 9), at(24, 9), owner="Ana", category="repair"), Risk.OVERDUE),
        FakeRow(promise(at(23, 9), at(30, 10), owner="Ben", category="repair"), Risk.AT_RISK),
        FakeRow(promise(at(23, 9), at(30, 12), owner="Ben", category="order"), Risk.AT_RISK),
        FakeRow(promise(at(23, 9), at(30, 16), owner="Ben", category="order"), Risk.OK),
    ]
    report = figures([kept()], W48, CAL, rows)
    assert (report.overall.open_overdue, report.overall.open_at_risk) == (1, 2)
    assert (report.by_owner["Ana"].open_overdue, report.by_owner["Ana"].open_at_risk) == (1, 0)
    assert (report.by_owner["Ben"].open_overdue, report.by_owner["Ben"].open_at_risk) == (0, 2)
    assert report.by_owner["Ben"].counts["closed"] == 0 and report.by_owner["Ben"].on_time_rate is None
    assert (report.by_category["repair"].open_overdue, report.by_category["order"].open_at_risk) == (1, 1)


def test_lead_time_percentiles_in_business_hours() -> None:
    # done 1..5 business hours after being made; the last one spans a night (Mon 16:00 -> Tue 11:00 = 3 h)
    made = [promise(at(24, 9), at(27, 17), done(at(24, 9 + h)), category="repair") for h in (1, 2, 4, 5)]
    made.append(promise(at(23, 16), at(27, 17), done(at(24, 11)), category="repair"))
    made.append(promise(at(23, 16), at(27, 17), cancel(at(24, 11)), category="repair"))  # no lead time
    f = figures(made, W48, CAL).by_category["repair"]
    assert f.lead_time_p50_hours == 3.0  # nearest rank: the 3rd of 5
    assert f.lead_time_p80_hours == 4.0  # the 4th of 5


def test_percentile_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.8) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0


def test_a_promise_closed_on_sunday_night_is_in_that_week() -> None:
    late_sunday = promise(at(27, 10), at(29, 23), done(at(29, 23, 59)))
    monday = promise(at(27, 10), at(30, 17), done(datetime(2026, 11, 30, 0, 0, tzinfo=TZ)))
    report = figures([late_sunday, monday], W48, CAL)
    assert report.overall.counts["closed"] == 1


def test_table_cells_show_dashes_for_missing_rates() -> None:
    cells = table_cells(figures([], W48, CAL).overall)
    assert cells[6:10] == ["—"] * 4 and cells[10] == "— (0)"
    assert percent(2 / 3) == "67%" and percent(None) == "—"


# ---------------------------------------------------------------- periods


def test_periods_parse_in_the_desk_zone() -> None:
    week = parse_period(MONDAY, TZ, week="2026-W48")
    assert (week.start, week.end) == (at(23, 0), at(30, 0))
    assert week.label == "2026-W48" and week.last_day == date(2026, 11, 29)
    assert parse_period(MONDAY, TZ, week="2026w48") == week
    month = parse_period(MONDAY, TZ, month="2026-03")  # DST starts 29 March: the period is 743 hours long
    assert (month.end.astimezone(UTC) - month.start.astimezone(UTC)).total_seconds() / 3600 == 31 * 24 - 1
    assert month.start.utcoffset().total_seconds() == 0 and month.end.utcoffset().total_seconds() == 3600
    span = parse_period(MONDAY, TZ, first="2026-11-02", last="2026-11-02")  # one day, both ends included
    assert (span.start, span.end) == (at(2, 0), at(3, 0))
    assert parse_period(MONDAY, TZ) == parse_period(MONDAY, TZ, month="2026-11")  # default: this month
    assert parse_period(MONDAY, TZ, first="2026-11-20").end == at(24, 0)  # --from alone: to today


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"month": "2026-13"}, "no month 2026-13"),
        ({"month": "2026-00"}, "no month 2026-00"),
        ({"month": "Nov"}, "a month looks like 2026-11"),
        ({"week": "2026-W60"}, "no ISO week 2026-W60"),
        ({"week": "2026-W00"}, "no ISO week"),
        ({"week": "2025-W53"}, "no ISO week 2025-W53"),  # 2025 has 52 weeks
        ({"week": "48"}, "an ISO week looks like 2026-W48"),
        ({"first": "2026-11-20", "last": "2026-11-10"}, "--from 2026-11-20 is after --to 2026-11-10"),
        ({"first": "2026-11-31", "last": "2026-12-01"}, "--from takes a date"),
        ({"last": "2026-11-10"}, "--to needs --from"),
        ({"month": "2026-11", "week": "2026-W48"}, "give one period"),
    ],
)
def test_bad_periods_are_clear_errors(options: dict, message: str) -> None:
    with pytest.raises(PromiseError, match=message):
        parse_period(MONDAY, TZ, **options)


def test_week_53_exists_where_the_year_has_one() -> None:
    assert parse_period(MONDAY, TZ, week="2026-W53").start == datetime(2026, 12, 28, tzinfo=TZ)


def test_months_a_period_touches() -> None:
    assert parse_period(MONDAY, TZ, week="2026-W49").months() == ["2026-11", "2026-12"]
    assert W48.months() == ["2026-11"]
    assert parse_period(MONDAY, TZ, first="2026-12-15", last="2027-02-01").months() == [
        "2026-12", "2027-01", "2027-02"]


def test_previous_and_recent_weeks_and_months() -> None:
    assert previous_week(MONDAY, TZ).label == "2026-W47"
    assert previous_week(datetime(2027, 1, 4, 9, tzinfo=TZ), TZ).label == "2026-W53"
    weeks = recent_weeks(MONDAY, TZ, 8)
    assert [w.label for w in weeks][-2:] == ["2026-W47", "2026-W48"] and len(weeks) == 8
    assert weeks[0].label == "2026-W41"
    assert [m.label for m in recent_months(MONDAY, TZ, 6)] == [
        "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert week_of(datetime(2026, 11, 29, 23, 59, tzinfo=TZ), TZ) == W48
    assert previous(W48, TZ).label == "2026-W47"
    assert previous(parse_period(MONDAY, TZ, month="2026-01"), TZ).label == "2025-12"
    span = previous(parse_period(MONDAY, TZ, first="2026-11-10", last="2026-11-12"), TZ)
    assert (span.start, span.end) == (at(7, 0), at(10, 0))


# ---------------------------------------------------------------- state at a moment


def test_state_at_replays_the_events_before_the_moment() -> None:
    p = promise(at(23, 10), at(24, 17), resched(at(24, 9), at(26, 17)), done(at(26, 12)))
    assert state_at(p, at(23, 9)) is None  # not made yet
    before = state_at(p, at(24, 8))
    assert before is not None and before.is_open and before.due == at(24, 17) and len(before.events) == 1
    after = state_at(p, at(25, 9))
    assert after is not None and after.is_open and after.due == at(26, 17)
    assert not state_at(p, at(27, 9)).is_open
    assert p.is_open is False and len(p.events) == 3  # the original is untouched


# ---------------------------------------------------------------- trends


def test_weekly_trend_of_on_time_and_proactive_rates() -> None:
    last_week = [promise(at(16, 10), at(17, 17), done(at(17, 12))),
                 promise(at(16, 10), at(17, 17), done(at(18, 12)))]  # kept, broken
    this_week = [renegotiated(), late_notified()]
    points = trend([*last_week, *this_week], recent_weeks(MONDAY, TZ, 3), CAL)
    assert [p.label for p in points] == ["2026-W46", "2026-W47", "2026-W48"]
    assert points[0].closed == 0 and points[0].on_time_rate is None and points[0].proactive_contact_rate is None
    assert (points[1].on_time_rate, points[1].proactive_contact_rate) == (0.5, 0.0)
    assert (points[2].on_time_rate, points[2].proactive_contact_rate) == (0.5, 1.0)


# ---------------------------------------------------------------- recurring issues


def test_recurring_categories_and_words_of_complaints() -> None:
    weeks = recent_weeks(MONDAY, TZ, 3)  # W46, W47, W48
    made = [
        promise(at(10, 10), at(11, 17), what="Washing machine still broken", category="repair", complaint=True),
        promise(at(17, 10), at(18, 17), what="The washing machine door is broken again", category="repair",
                complaint=True),
        promise(at(23, 10), at(24, 17), what="Refund for a broken kettle, broken twice", category="refund",
                complaint=True),
        promise(at(23, 11), at(24, 17), what="Broken broken broken", category="repair"),  # not a complaint
        promise(at(2, 11), at(3, 17), what="Broken toaster", category="repair", complaint=True),  # too old
    ]
    found = recurring_issues(made, weeks)
    words = {r.name: r for r in found["words"]}
    assert words["broken"].total == 3 and words["broken"].weekly == (1, 1, 1) and words["broken"].weeks_seen == 3
    assert words["washing"].weekly == (1, 1, 0) and words["machine"].total == 2
    assert "kettle" not in words  # once is not recurring
    assert not {"the", "for", "is", "still", "again", "a"} & words.keys()
    assert found["words"][0].name == "broken"
    categories = {r.name: r for r in found["categories"]}
    assert categories == {"repair": categories["repair"]} and categories["repair"].weekly == (1, 1, 0)
    assert recurring_issues(made, weeks, min_total=1)["categories"][1].name == "refund"


def test_words_are_letters_lower_case_without_stop_words() -> None:
    assert words_of("Order #1042: the PARCEL didn't arrive — parcel lost!") == {"order", "parcel", "didn't",
                                                                                 "arrive", "lost"}
    assert words_of("Rückerstattung für Ärger") == {"rückerstattung", "für", "ärger"}


# ---------------------------------------------------------------- recognition


def test_recognition_against_the_standards_with_kudos() -> None:
    standards = Standards(on_time=0.9, proactive=0.8, csat=4.5)
    made = [kept("Ana", csat=5), kept("Ana", csat=4), renegotiated("Ana", csat=5),
            kept("Ben", csat=5), broken("Ben", csat=5)]
    kudos = [
        {"person": "ana", "note": "lovely", "at": at(24, 10).isoformat(), "from_customer": "Maria"},
        {"person": "Ana", "note": "again", "at": at(10, 10).isoformat(), "from_customer": ""},  # before the week
        {"person": "Dev", "note": "helped me", "at": at(25, 10).isoformat(), "from_customer": ""},
    ]
    people = {r.person: r for r in recognition(made, W48, CAL, standards, kudos, ["Ana", "Ben", "Chloe"])}
    assert list(people) == ["Ana", "Ben", "Chloe", "Dev"]
    ana, ben, chloe, dev = people["Ana"], people["Ben"], people["Chloe"], people["Dev"]
    assert (ana.on_time, ana.proactive, ana.csat, ana.meets_all) == (True, True, True, True)
    assert ana.figures.csat_mean == pytest.approx(14 / 3) and (ana.kudos, ana.kudos_total) == (1, 2)
    assert (ben.on_time, ben.proactive, ben.csat, ben.meets_all) == (False, False, True, False)
    assert (chloe.on_time, chloe.proactive, chloe.csat, chloe.meets_all) == (None, None, None, None)
    assert (dev.kudos, dev.kudos_total, dev.figures.closed) == (1, 1, 0)
    assert ana.as_json()["meets"] == {"on_time": True, "proactive_contact": True, "csat": True}


def test_standards_come_from_the_settings() -> None:
    s = Settings(standard_on_time=0.95, standard_proactive=0.7, standard_csat=4.0)
    assert Standards.from_settings(s) == Standards(0.95, 0.7, 4.0)


def test_a_rate_exactly_at_the_standard_meets_it() -> None:
    made = [kept("Ana"), kept("Ana"), kept("Ana"), kept("Ana"), broken("Ana")]  # 80 %
    (ana,) = recognition(made, W48, CAL, Standards(on_time=0.8))
    assert ana.on_time is True


def test_period_contains_compares_instants() -> None:
    new_york = timezone(timedelta(hours=-5))
    assert W48.contains(datetime(2026, 11, 29, 18, 30, tzinfo=new_york))  # 23:30 in London
    assert not W48.contains(datetime(2026, 11, 29, 19, 30, tzinfo=new_york))  # Mon 00:30 in London
