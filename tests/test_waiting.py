"""Waiting on the customer: the risk clock pauses, the due moves on by the business time waited, an "until" that
passes puts the promise at risk, and the outcome rules read the moved due as the due in force."""

from __future__ import annotations

import pytest

from promisetrack.clock import FixedClock
from promisetrack.errors import PromiseError
from promisetrack.measures import Measures
from promisetrack.metrics import Period
from promisetrack.model import EventKind, Outcome, Risk
from promisetrack.outcomes import derive_outcome
from promisetrack.service import Desk, open_desk, promise_json
from tests.conftest import MONDAY, at, write_settings


@pytest.fixture
def repair(desk: Desk) -> int:
    promise, _ = desk.add("Bo Chen", "Fix the laptop", "2026-11-24 12:00", category="repair")
    return promise.id


def test_waiting_stops_every_risk_rule_and_shows_what_and_how_long(desk: Desk, clock: FixedClock, repair: int) -> None:
    desk.flag(repair, "waiting on the supplier")  # blocked would be a reason of its own: not while waiting
    desk.wait(repair, "bring the charger", "tue 10:00")
    row = desk.row(repair)
    assert row.risk is Risk.WAITING
    assert row.assessment is not None and row.assessment.reasons == ("waiting just now: bring the charger",)
    clock.set(at(23, 16, 45))
    assert desk.row(repair).assessment.reasons == ("waiting 6h 15m: bring the charger",)  # type: ignore[union-attr]
    clock.set(at(24, 9, 59))
    assert desk.row(repair).risk is Risk.WAITING  # 2 business hours to the due: a time rule would speak by now


def test_until_passing_puts_it_at_risk_with_what_the_customer_was_to_do(
    desk: Desk, clock: FixedClock, repair: int
) -> None:
    desk.wait(repair, "bring the charger", "tue 10:00")
    clock.set(at(24, 10, 0))
    assert desk.row(repair).risk is Risk.WAITING  # at the moment itself: still in time
    clock.set(at(24, 10, 1))
    row = desk.row(repair)
    assert row.risk is Risk.AT_RISK
    assert row.assessment.reasons == ("customer was to bring the charger by Tue 10:00",)  # type: ignore[union-attr]
    assert [r.promise.id for r in desk.listing("at-risk")] == [repair]


def test_resume_moves_the_due_on_by_the_business_time_waited(desk: Desk, clock: FixedClock, repair: int) -> None:
    desk.wait(repair, "bring the charger")
    clock.set(at(24, 11, 0))  # waited Mon 10:30-17:00 and Tue 09:00-11:00: 8.5 business hours
    promise = desk.resume(repair, "brought it")
    assert promise.due == at(25, 12, 30)  # Tue 12:00 + 8.5 business hours = Wed 12:30
    assert promise.original_due == at(24, 12, 0)  # kept for measurement
    resumed = promise.events[-1]
    assert resumed.kind is EventKind.RESUMED and resumed.by == "ana"
    assert resumed.data == {"due": at(25, 12, 30).isoformat(), "previous": at(24, 12, 0).isoformat(),
                            "waited": 8.5 * 3600, "note": "brought it"}
    assert desk.row(repair).risk is Risk.OK
    clock.set(at(25, 12, 0))
    assert derive_outcome(desk.done(repair)) is Outcome.KEPT  # done by the moved due, never rescheduled: kept


def test_done_late_after_the_moved_due_is_late_notified_only_with_a_contact(desk: Desk, clock: FixedClock) -> None:
    told, _ = desk.add("Ann", "Repair", "2026-11-23 15:00")
    silent, _ = desk.add("Bea", "Repair", "2026-11-23 15:00")
    for pid in (told.id, silent.id):
        desk.wait(pid, "sign the form")
    clock.set(at(23, 11, 30))
    for pid in (told.id, silent.id):
        assert desk.resume(pid).due == at(23, 16, 0)
    desk.contact(told.id, "it will be tomorrow")
    clock.set(at(24, 10, 0))
    assert derive_outcome(desk.done(told.id)) is Outcome.LATE_NOTIFIED
    assert derive_outcome(desk.done(silent.id)) is Outcome.BROKEN


def test_a_due_that_passed_before_the_wait_stays_passed(desk: Desk, clock: FixedClock) -> None:
    promise, _ = desk.add("Cy", "Call back", "2026-11-23 12:00")
    clock.set(at(23, 13, 0))  # overdue, nobody told the customer
    desk.wait(promise.id, "send the photos")
    clock.set(at(23, 14, 0))
    desk.resume(promise.id)
    assert derive_outcome(desk.done(promise.id)) is Outcome.BROKEN


def test_closing_a_promise_that_waits_ends_the_wait_first(desk: Desk, clock: FixedClock, repair: int) -> None:
    desk.wait(repair, "pay the deposit")
    clock.set(at(23, 12, 30))
    promise = desk.done(repair, csat=5)
    assert [e.kind for e in promise.events] == [EventKind.CREATED, EventKind.WAITING, EventKind.RESUMED,
                                                EventKind.DONE]
    assert promise.due == at(24, 14, 0) and promise.waiting_since is None
    assert derive_outcome(promise) is Outcome.KEPT


def test_silence_counts_from_the_end_of_the_wait(desk: Desk, clock: FixedClock) -> None:
    quiet, _ = desk.add("Dee", "Order the part", "2026-11-27 17:00")
    waited, _ = desk.add("Eli", "Order the part", "2026-11-27 17:00")
    desk.wait(waited.id, "choose the colour")
    clock.set(at(25, 10, 30))
    desk.resume(waited.id)
    clock.set(at(25, 10, 31))
    assert "no contact for 2.0 business days" in desk.row(quiet.id).assessment.reasons  # type: ignore[union-attr]
    assert not any("no contact" in r for r in desk.row(waited.id).assessment.reasons)  # type: ignore[union-attr]


def test_wait_and_resume_refuse_what_makes_no_sense(desk: Desk, clock: FixedClock, repair: int) -> None:
    with pytest.raises(PromiseError, match="not waiting"):
        desk.resume(repair)
    with pytest.raises(PromiseError, match="required"):
        desk.wait(repair, "   ")
    with pytest.raises(PromiseError):
        desk.wait(repair, "bring it", "yesterday 10:00")
    desk.wait(repair, "bring it")
    with pytest.raises(PromiseError, match="already waiting"):
        desk.wait(repair, "bring it again")
    desk.cancel(repair, "customer went elsewhere")
    with pytest.raises(PromiseError, match="already cancelled"):
        desk.resume(repair)


def test_undo_of_a_wait_restores_the_risk_clock(desk: Desk, repair: int) -> None:
    desk.wait(repair, "bring it")
    assert str(repair) in desk.undo()
    assert desk.row(repair).risk is Risk.OK and desk.get(repair).waiting_since is None


def test_the_waiting_band_comes_after_at_risk_and_the_listing_filters_it(desk: Desk, clock: FixedClock) -> None:
    late, _ = desk.add("Fay", "Call back", "2026-11-23 11:00")
    waiting, _ = desk.add("Gus", "Repair", "2026-11-23 12:00")
    ok, _ = desk.add("Hal", "Refund", "2026-11-27 17:00")
    desk.wait(waiting.id, "sign")
    assert [r.promise.id for r in desk.board()] == [late.id, waiting.id, ok.id]
    assert [r.risk for r in desk.board()] == [Risk.AT_RISK, Risk.WAITING, Risk.OK]
    assert [r.promise.id for r in desk.listing("waiting")] == [waiting.id]
    doc = promise_json(desk.row(waiting.id))
    assert doc["risk"] == "waiting" and doc["waiting_note"] == "sign"
    assert doc["waiting_since"] == MONDAY.isoformat() and doc["waiting_until"] is None
    assert promise_json(desk.row(ok.id))["waiting_since"] is None  # every row has the same keys


def test_the_report_counts_waiting_per_category(desk: Desk, clock: FixedClock) -> None:
    a, _ = desk.add("Ivy", "Repair", "2026-11-25 17:00", category="repair")
    b, _ = desk.add("Jo", "Repair", "2026-11-25 17:00", category="repair")
    c, _ = desk.add("Kay", "Refund", "2026-11-25 17:00", category="refund")
    desk.wait(a.id, "bring it")
    desk.wait(b.id, "bring it")
    clock.set(at(23, 12, 30))
    desk.resume(a.id)  # 2 business hours
    clock.set(at(24, 10, 0))
    desk.resume(b.id)  # 6.5 + 1 = 7.5 business hours
    for p in (a, b, c):
        desk.done(p.id)
    report = Measures(desk).period_report(Period("w", at(23, 0), at(30, 0)))
    repairs = report.by_category["repair"]
    assert (repairs.waited_count, repairs.waited_total_hours, repairs.waited_median_hours) == (2, 9.5, 2.0)
    assert report.by_category["refund"].waited_count == 0
    assert report.as_json()["by_category"]["repair"]["waited_total_hours"] == 9.5


def test_a_category_warns_earlier_with_its_own_warn_hours(tmp_path, clock: FixedClock) -> None:
    data = tmp_path / "desk"
    write_settings(data, **{
        'categories = ["callback", "delivery", "refund", "repair", "order", "other"]\ndefault_category = "other"':
        'default_category = "other"\n[categories.repair]\nwarn_hours = 8\n[categories.callback]\n[categories.other]',
    })
    desk = open_desk(data, user="ana", clock=clock)
    assert desk.settings.categories == ("repair", "callback", "other")
    repair, warnings = desk.add("Lu", "Fix the screen", "+6bh", category="repair")
    callback, _ = desk.add("Mo", "Call back", "+6bh", category="callback")
    assert "only 6.0 business hours left" in warnings
    assert desk.row(repair.id).risk is Risk.AT_RISK
    assert desk.row(callback.id).risk is Risk.OK


def test_wait_resume_and_the_report_through_the_cli(data_dir, capsys: pytest.CaptureFixture[str]) -> None:
    from promisetrack import cli

    def run(*args: str, now: str) -> str:
        assert cli.main(["--data", str(data_dir), "--now", now, "--user", "ana", *args]) == 0
        return capsys.readouterr().out

    assert run("add", "--customer", "Bo", "--what", "Fix the laptop", "--due", "wed 12:00", "--category", "repair",
               now="2026-11-23T10:30") == "1001\n"
    assert run("wait", "1001", "--note", "bring the charger", "--until", "tue 10:00", now="2026-11-23T10:30") == (
        "1001 waiting on the customer to bring the charger by tomorrow 10:00 (the risk clock is paused)\n")
    listed = run("list", "--status", "waiting", now="2026-11-23T12:30")  # a --now command runs at --now exactly
    assert "waiting" in listed and "(waiting 2h: bring the charger)" in listed
    shown = run("show", "1001", now="2026-11-23T12:31")
    assert "  waiting    since today 10:30: bring the charger, by tomorrow 10:00" in shown
    assert run("resume", "1001", "--note", "brought it", now="2026-11-23T12:30") == (
        "1001 resumed: now due Wed 25 14:00\n")
    assert "waited 2.0 business hours; due Wed 25 12:00 → Wed 25 14:00: brought it" in run(
        "show", "1001", now="2026-11-23T12:31")
    run("done", "1001", now="2026-11-24T09:00")
    report = run("report", "--week", "2026-W48", now="2026-11-24T09:00")
    assert ("waiting on the customer, by category: promises that waited, business hours in all / median\n"
            "  repair                    1       2.0 / 2.0\n") in report


def test_a_customer_told_before_the_due_passed_is_not_broken_by_a_later_wait(desk: Desk, clock: FixedClock) -> None:
    promise, _ = desk.add("Cy", "Call back", "2026-11-23 12:00")
    clock.set(at(23, 11, 0))
    desk.contact(promise.id, "it will be this afternoon")
    clock.set(at(23, 15, 0))  # overdue, the customer knows
    desk.wait(promise.id, "send the serial number")
    clock.set(at(23, 16, 0))
    desk.resume(promise.id)
    clock.set(at(23, 16, 10))
    assert derive_outcome(desk.done(promise.id)) is Outcome.LATE_NOTIFIED  # as it would be without the wait


def test_a_new_due_agreed_while_waiting_ends_the_wait_and_stands(desk: Desk, clock: FixedClock, repair: int) -> None:
    desk.wait(repair, "choose the colour")
    clock.set(at(26, 10, 0))
    promise, _ = desk.reschedule(repair, "2026-11-27 17:00", "agreed Friday")
    assert promise.waiting_since is None and promise.due == at(27, 17, 0)
    assert [e.kind for e in promise.events][-2:] == [EventKind.RESUMED, EventKind.RESCHEDULED]
    assert desk.row(repair).risk is not Risk.WAITING


def test_time_waiting_on_the_customer_is_not_lead_time(desk: Desk, clock: FixedClock) -> None:
    from promisetrack.leadtimes import lead_seconds, record_lead_seconds

    promise, _ = desk.add("Ivy", "Repair", "2026-11-27 17:00", category="repair")
    desk.wait(promise.id, "bring it")
    clock.set(at(24, 10, 30))  # waited Mon 10:30-17:00 and Tue 09:00-10:30: 8 business hours
    desk.resume(promise.id)
    clock.set(at(24, 12, 30))
    done = desk.done(promise.id)
    assert lead_seconds(done, desk.calendar) == 2 * 3600  # 10 business hours, 8 of them the customer's
    assert record_lead_seconds(desk.store.read().promises[promise.id], desk.calendar) == 2 * 3600


@pytest.mark.parametrize("closing", ["done", "cancel", "reschedule"])
def test_undoing_a_closing_made_while_waiting_waits_again(desk: Desk, clock: FixedClock, repair: int,
                                                          closing: str) -> None:
    """Done, cancel or a new due while waiting end the wait first, as one change: undo undoes both — the promise is
    open (or on its old due) and waiting again, its due where the wait left it."""
    desk.wait(repair, "bring the charger")
    clock.set(at(23, 12, 0))
    before = desk.get(repair)
    if closing == "done":
        desk.done(repair)
    elif closing == "cancel":
        desk.cancel(repair, "not needed")
    else:
        desk.reschedule(repair, "2026-11-27 17:00", "agreed Friday")
    assert desk.get(repair).waiting_since is None
    message = desk.undo()
    after = desk.get(repair)
    assert message.startswith("undid the ") and after.is_open
    assert (after.waiting_since, after.waiting_note, after.due) == (before.waiting_since, "bring the charger",
                                                                   before.due)
    assert desk.row(repair).risk is Risk.WAITING


def test_a_closing_undone_and_made_again_counts_the_wait_once(desk: Desk, clock: FixedClock, repair: int) -> None:
    """The board's lead time (read from the record) and the figures' (from the promise) leave out an undone resume
    alike: the wait is counted once, by the resume in force."""
    from promisetrack.leadtimes import lead_seconds, record_lead_seconds

    clock.set(at(23, 11, 30))
    desk.wait(repair, "bring the charger")
    clock.set(at(23, 12, 0))
    desk.done(repair)
    desk.undo()
    clock.set(at(23, 16, 30))
    done = desk.done(repair)
    doc = desk._load().snapshot.promises[repair]
    assert record_lead_seconds(doc, desk.calendar) == lead_seconds(done, desk.calendar) == 3600.0
