"""The store contract suite: the Desk's behaviours that rest on the store, run on both back-ends (files and
PostgreSQL), as Harlequin runs its functional tests over every adapter."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from promisetrack import cli
from promisetrack.ahead import Ahead
from promisetrack.clock import FixedClock
from promisetrack.errors import PromiseError
from promisetrack.measures import Measures
from promisetrack.model import EventKind, Outcome, Risk, Status
from promisetrack.outcomes import derive_outcome
from promisetrack.service import Desk, FirstRead
from tests.conftest import at
from tests.store.conftest import Backend


def add(desk: Desk, customer: str = "Maria Lopez", due: str = "fri", **kw):
    return desk.add(customer, kw.pop("what", "Replacement part arrives"), due, **kw)[0]


def test_add_and_read_back_from_another_desk(backend: Backend, desk: Desk) -> None:
    p = add(desk, phone="+44 7700 900101", category="delivery")
    assert p.id == 1001
    back = backend.desk("ben").get(1001)
    assert back.due == back.original_due == at(27, 17)
    assert back.owner == "ana" and back.category == "delivery" and back.status is Status.OPEN
    assert [(e.kind, e.by, e.at) for e in back.events] == [(EventKind.CREATED, "ana", at(23, 10, 30))]
    assert [add(desk).id for _ in range(2)] == [1002, 1003]


def test_known_phone_or_email_links_the_same_customer(desk: Desk) -> None:
    a = add(desk, "Maria Lopez", phone="+44 7700 900101")
    b = add(desk, "Maria L.", phone="+44-7700-900101")
    c = add(desk, "M. Lopez", email="maria@example.com")
    d = add(desk, "Maria", phone="+44 (7700) 900-101", email="MARIA@example.com")
    assert a.customer.id == b.customer.id == d.customer.id != c.customer.id
    assert {p.id for p in desk.customer_history(a.customer.id)} == {a.id, b.id, d.id}
    assert [x.name for x in desk.find_customers("lop")] == ["M. Lopez", "Maria Lopez"]


def test_every_change_appends_an_event(desk: Desk, clock: FixedClock) -> None:
    p = add(desk)
    desk.contact(p.id, "called", "phone")
    clock.advance(timedelta(hours=1))
    desk.reschedule(p.id, "mon", "supplier late")
    desk.reassign(p.id, "ben")
    desk.flag(p.id, "waiting on supplier")
    desk.unflag(p.id)
    desk.note(p.id, "customer prefers email")
    desk.done(p.id, 5, "delivered")
    done = desk.get(p.id)  # as stored, read back
    assert [e.kind for e in done.events] == [
        EventKind.CREATED, EventKind.CONTACTED, EventKind.RESCHEDULED, EventKind.REASSIGNED, EventKind.FLAGGED,
        EventKind.FLAGGED, EventKind.NOTE, EventKind.DONE]
    assert done.original_due == at(27, 17) and done.due == at(30, 17)
    assert done.owner == "ben" and done.csat == 5 and done.closed_at == at(23, 11, 30)
    assert derive_outcome(done) is Outcome.RENEGOTIATED


@pytest.mark.parametrize("call", [
    lambda d, pid: d.done(pid, 6),
    lambda d, pid: d.done(9999),
    lambda d, pid: d.reschedule(pid, "2020-01-01", "x"),
    lambda d, pid: d.reassign(pid, "ana"),
])
def test_bad_input_writes_nothing(desk: Desk, call) -> None:
    pid = add(desk).id
    version, before = desk.version(), desk.store.read().promises
    with pytest.raises(PromiseError):
        call(desk, pid)
    assert desk.version() == version and desk.store.read().promises == before


def test_closing_a_closed_promise_is_refused(desk: Desk) -> None:
    pid = add(desk).id
    desk.done(pid)
    with pytest.raises(PromiseError, match="already done"):
        desk.cancel(pid, "oops")


def test_undo_is_the_users_own_last_change(desk: Desk, clock: FixedClock) -> None:
    pid = add(desk).id
    clock.advance(timedelta(minutes=5))
    desk.reschedule(pid, "mon", "asked for later")
    clock.advance(timedelta(minutes=5))
    desk.done(pid, 4)
    assert desk.undo() == f"undid the closing of promise {pid}"
    p = desk.get(pid)
    assert p.is_open and p.csat is None and p.due == at(30, 17)
    assert desk.undo() == f"undid the reschedule of promise {pid}"
    assert desk.get(pid).due == at(27, 17)
    assert desk.undo() == f"undid adding promise {pid} (removed)"
    with pytest.raises(PromiseError, match="no promise"):
        desk.get(pid)


def test_undo_goes_back_in_the_order_of_the_changes_within_one_second(backend: Backend, desk: Desk) -> None:
    """Times are whole seconds: three changes in the same second (a script, a quick hand) are undone last first,
    by the desk's change numbers — across promises and across desks on the same store."""
    first, second = add(desk).id, add(desk, "Tom Becker").id
    other = backend.desk(clock=desk.clock)  # type: ignore[arg-type]
    other.contact(first, "rang them")
    numbers = [e.n for pid in (first, second) for e in desk.get(pid).events]
    assert all(n is not None for n in numbers) and len(set(numbers)) == 3
    assert desk.undo() == f"undid the contact of promise {first}"
    assert desk.undo() == f"undid adding promise {second} (removed)"
    assert desk.undo() == f"undid adding promise {first} (removed)"


def test_undo_refuses_when_a_colleague_changed_it_since(backend: Backend, desk: Desk, clock: FixedClock) -> None:
    pid = add(desk).id
    ben = backend.desk("ben")
    clock.advance(timedelta(minutes=1))
    ben.contact(pid, "called the customer")
    with pytest.raises(PromiseError, match="ben changed it after you"):
        desk.undo()
    assert ben.undo() == f"undid the contact of promise {pid}"


def test_board_order_and_listing_filters(desk: Desk, clock: FixedClock) -> None:
    later = add(desk, due="+3bd").id
    soon = add(desk, due="+3h").id
    urgent = add(desk, due="11:00").id
    flagged = add(desk, due="+4bd", owner="ben", category="refund").id
    desk.flag(flagged, "waiting on supplier")
    closed = add(desk, category="delivery").id
    desk.done(closed)
    clock.set(at(23, 11, 45))
    rows = desk.board()
    assert [r.promise.id for r in rows] == [urgent, soon, flagged, later]
    assert [r.risk for r in rows] == [Risk.OVERDUE, Risk.AT_RISK, Risk.AT_RISK, Risk.OK]
    assert [r.promise.id for r in desk.listing("overdue")] == [urgent]
    assert [r.promise.id for r in desk.listing("open", owner="BEN")] == [flagged]
    assert [r.promise.id for r in desk.listing("closed")] == [closed]


def test_closed_promises_move_to_the_archive_and_stay_readable(desk: Desk, clock: FixedClock) -> None:
    old = add(desk, phone="555").id
    desk.done(old, 5)
    clock.advance(timedelta(days=40))
    new = add(desk, due="+1bd", phone="555").id
    snap = desk.store.read()
    assert old not in snap.promises and new in snap.promises
    assert desk.store.fetch(old)["csat"] == 5
    assert desk.get(old).csat == 5
    assert [d["id"] for d in desk.store.read_archived()] == [old]
    assert {p.id for p in desk.customer_history(desk.get(new).customer.id)} == {old, new}
    assert desk.store.read().history is not None  # the summary of the archived, kept with the move


def test_report_figures_of_a_month(desk: Desk, clock: FixedClock) -> None:
    kept = add(desk, due="+2bd").id
    renegotiated = add(desk, due="+1bd").id
    broken = add(desk, due="+3h").id
    cancelled = add(desk).id
    desk.reschedule(renegotiated, "+3bd", "customer away")
    desk.cancel(cancelled, "no longer needed")
    clock.set(at(24, 10))
    desk.done(kept, 5)
    desk.done(renegotiated, 3)
    desk.done(broken)
    clock.advance(timedelta(days=30))
    add(desk)  # archives them all
    measures = Measures(desk)
    report = measures.period_report(measures.period(month="2026-11"))
    overall = report.overall
    counts = overall.counts
    assert (counts["kept"], counts["renegotiated"], counts["broken"], counts["cancelled"]) == (1, 1, 1, 1)
    assert overall.closed == 3 and overall.on_time_rate == pytest.approx(2 / 3) and overall.csat_count == 2
    assert [p.id for p in measures.closed_between(at(1, 0), at(30, 23))] == [kept, renegotiated, broken, cancelled]


def test_waiting_and_resume(desk: Desk, clock: FixedClock) -> None:
    repair = desk.add("Bo Chen", "Fix the laptop", "2026-11-24 12:00", category="repair")[0].id
    desk.wait(repair, "bring the charger")
    assert desk.row(repair).risk is Risk.WAITING
    assert [r.promise.id for r in desk.listing("waiting")] == [repair]
    clock.set(at(24, 11, 0))
    assert desk.resume(repair, "brought it").due == at(25, 12, 30)
    assert desk.get(repair).due == at(25, 12, 30)


def test_an_overdue_alert_is_acknowledged_once(desk: Desk, clock: FixedClock) -> None:
    pid = add(desk, due="11:00").id
    clock.set(at(23, 11, 30))
    desk.acknowledge(pid)
    assert desk.get(pid).events[-1].kind is EventKind.ACKNOWLEDGED
    with pytest.raises(PromiseError, match="already acknowledged by ana"):
        desk.acknowledge(pid)


def test_kudos_are_kept(backend: Backend, desk: Desk) -> None:
    desk.kudos("Ben", "Stayed late for a customer", "Maria Lopez")
    desk.kudos("Ben", "Stayed late for a customer", "Maria Lopez")  # the same words twice are two kudos
    assert [(k["person"], k["by"]) for k in backend.desk("ben").kudos_list()] == [("Ben", "ana")] * 2


# --- several desks at once ----------------------------------------------------------------------------------


def test_a_desk_hears_of_another_ones_change(backend: Backend, desk: Desk) -> None:
    pid = add(desk).id
    board = backend.desk("ben")
    assert [r.promise.id for r in board.board()] == [pid]
    version = board.version()
    assert not board.changed()
    desk.contact(pid, "called")
    assert board.changed() and board.version() != version
    assert board.get(pid).events[-1].kind is EventKind.CONTACTED


def test_a_change_through_a_stale_desk_lands_on_the_fresh_data(backend: Backend, desk: Desk) -> None:
    pid = add(desk).id
    stale = backend.desk("ben")
    stale_due = stale.get(pid).due
    desk.reschedule(pid, "wed 4pm", "supplier late")
    stale.contact(pid, "Told her the new date")  # ben's desk has not re-read since
    saved = backend.desk("chloe").get(pid)
    assert [(e.kind.value, e.by) for e in saved.events] == [("created", "ana"), ("rescheduled", "ana"),
                                                            ("contacted", "ben")]
    assert saved.due != stale_due, "the other desk's reschedule survives"


def test_a_stale_desk_cannot_act_on_what_another_desk_closed(backend: Backend, desk: Desk) -> None:
    pid = add(desk).id
    stale = backend.desk("ben")
    stale.board()
    desk.done(pid, 5)
    version = desk.version()
    for act in (lambda: stale.contact(pid, "called"), lambda: stale.done(pid, 4)):
        with pytest.raises(PromiseError, match="already done"):
            act()
    assert desk.version() == version, "nothing written back"


def test_adds_from_a_stale_desk_take_fresh_ids(backend: Backend, desk: Desk) -> None:
    first = add(desk, phone="+44 7700 900101")
    stale = backend.desk("ben")
    stale.board()
    assert backend.cli("add", "--customer", "Jo", "--what", "Ring back", "--due", "tomorrow").stdout == "1002\n"
    promise = add(stale, phone="+44 7700 900101")
    assert promise.id == 1003 and promise.customer.id == first.customer.id
    assert sorted(backend.desk("chloe").store.read().promises) == [1001, 1002, 1003]


def test_a_name_without_phone_or_email_finds_the_customer_once(desk: Desk) -> None:
    first = desk.add("Chloé Martin", "Call back", "fri")[0]
    second, warnings = desk.add("CHLOE MARTIN", "Send the form", "fri")
    assert second.customer.id == first.customer.id
    assert any(w.startswith(f"matched to customer #{first.customer.id}") for w in warnings)
    assert [c.id for c in desk.find_customers("chlo")] == [first.customer.id]


def test_merging_a_duplicate_moves_its_archived_promises_too(desk: Desk, clock: FixedClock) -> None:
    keep = add(desk, "Ana Lima", phone="111").customer.id
    old = add(desk, "Ana M. Lima", phone="222")
    desk.done(old.id, 4)
    clock.advance(timedelta(days=40))
    add(desk, "Ana Lima", phone="111")  # a save: the old promise goes to the archive
    assert desk.store.fetch(old.id) is not None and old.id not in desk.store.read().promises
    kept, moved = desk.merge_customers(keep, old.customer.id)
    assert kept.id == keep and kept.phone == "111"
    assert old.id in moved and desk.get(old.id).customer.id == keep
    summaries = {s.customer.id: s for s in desk.customer_summaries()}
    assert old.customer.id not in summaries and summaries[keep].closed == 1


def test_a_late_score_and_complaint_on_an_archived_promise_count_once(desk: Desk, clock: FixedClock) -> None:
    promise = add(desk, due="+2bd")
    clock.set(at(24, 10))
    desk.done(promise.id)
    clock.advance(timedelta(days=30))
    add(desk)  # archives it
    desk.rate(promise.id, 5, "survey came back")
    desk.complaint(promise.id, "wrote in about the wait")
    assert desk.get(promise.id).csat == 5 and desk.get(promise.id).complaint
    measures = Measures(desk)
    november = measures.period_report(measures.period(month="2026-11")).overall
    assert (november.closed, november.csat_count, november.csat_mean, november.complaints) == (1, 1, 5.0, 1)
    assert derive_outcome(desk.get(promise.id)) is Outcome.KEPT  # a score never changes the outcome


def test_the_desk_id_is_made_once_and_shared(backend: Backend, desk: Desk) -> None:
    made = desk.desk_id()
    assert len(made) == 12 and backend.desk("ben").desk_id() == made == desk.desk_id()


def test_the_board_reads_ahead_in_a_child_only_on_the_files(
    backend: Backend, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The board's first read runs in a forked child while Textual is imported — on the files; a database's child
    would talk on the parent's connection, so there the board reads it itself. Either way it is the same read."""
    add(desk, due="+1h")
    add(desk, customer="Ben Ode", due="tomorrow")
    started: list[Ahead[FirstRead]] = []

    def board(args, opened: Desk, first: Ahead[FirstRead]) -> int:
        started.append(first)
        _, _, read = first.result()
        _, _, here = opened.first_read(30)
        assert (read.counts, read.total) == (here.counts, here.total)
        assert [r.promise.id for r in read.rows] == [r.promise.id for r in here.rows] == [1001, 1002]
        return 0

    monkeypatch.setattr("promisetrack.commands.board.run", board)
    assert cli.main([*backend.options(), "--now", "2026-11-23T10:30", "--user", "ana"]) == 0
    assert started[0].forked == (backend.kind == "files" and hasattr(os, "fork"))
