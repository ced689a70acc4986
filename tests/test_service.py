"""The Desk: every change appends an event, validation writes nothing, customers link, undo is per user."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from promisetrack.errors import PromiseError
from promisetrack.model import EventKind, Outcome, Risk, Status, action_noun
from promisetrack.outcomes import derive_outcome
from promisetrack.service import Desk, open_desk, promise_json, resolve_user
from promisetrack.timeline import event_details
from tests.conftest import at, write_settings


def add(desk: Desk, customer: str = "Maria Lopez", due: str = "fri", **kw):
    return desk.add(customer, kw.pop("what", "Replacement part arrives"), due, **kw)[0]


def test_add_and_read_back(desk: Desk) -> None:
    p = add(desk, phone="+44 7700 900101", category="delivery")
    assert p.id == 1001
    back = open_desk(desk.store.data_dir, user="ben", clock=desk.clock).get(1001)
    assert back.due == back.original_due == at(27, 17)
    assert back.owner == "ana" and back.category == "delivery" and back.status is Status.OPEN
    assert [e.kind for e in back.events] == [EventKind.CREATED]
    assert back.events[0].by == "ana" and back.events[0].at == at(23, 10, 30)


def test_ids_are_sequential(desk: Desk) -> None:
    assert [add(desk).id for _ in range(3)] == [1001, 1002, 1003]


def test_known_phone_or_email_links_the_same_customer(desk: Desk) -> None:
    a = add(desk, "Maria Lopez", phone="+44 7700 900101")
    b = add(desk, "Maria L.", phone="+44-7700-900101")
    c = add(desk, "M. Lopez", email="maria@example.com")
    d = add(desk, "Maria", phone="+44 (7700) 900-101", email="MARIA@example.com")
    assert a.customer.id == b.customer.id == d.customer.id
    assert c.customer.id != a.customer.id
    history = desk.customer_history(a.customer.id)
    assert {p.id for p in history} == {a.id, b.id, d.id}
    assert [c.name for c in desk.find_customers("lop")] == ["M. Lopez", "Maria Lopez"]
    assert [c.name for c in desk.find_customers("900 101")] == ["Maria Lopez"]


def test_every_change_appends_an_event(desk: Desk, clock) -> None:
    p = add(desk)
    desk.contact(p.id, "called", "phone")
    clock.advance(timedelta(hours=1))
    desk.reschedule(p.id, "mon", "supplier late")
    desk.reassign(p.id, "ben")
    desk.flag(p.id, "waiting on supplier")
    desk.unflag(p.id)
    desk.note(p.id, "customer prefers email")
    done = desk.done(p.id, 5, "delivered")
    kinds = [e.kind for e in done.events]
    assert kinds == [EventKind.CREATED, EventKind.CONTACTED, EventKind.RESCHEDULED, EventKind.REASSIGNED,
                     EventKind.FLAGGED, EventKind.FLAGGED, EventKind.NOTE, EventKind.DONE]
    assert done.original_due == at(27, 17) and done.due == at(30, 17)
    assert done.owner == "ben" and done.csat == 5 and done.closed_at == at(23, 11, 30)
    assert derive_outcome(done) is Outcome.RENEGOTIATED


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d, pid: d.done(pid, 6), "csat must be from 1 to 5, not 6"),
        (lambda d, pid: d.done(pid, 0), "csat must be from 1 to 5, not 0"),
        (lambda d, pid: d.done(pid, "great"), "csat must be a whole number"),
        (lambda d, pid: d.done(9999), "no open or recent promise 9999"),
        (lambda d, pid: d.contact("abc", "x"), "a promise id is a number"),
        (lambda d, pid: d.reschedule(pid, "someday", "x"), "can't read the due"),
        (lambda d, pid: d.reschedule(pid, "2020-01-01", "x"), "in the past"),
        (lambda d, pid: d.cancel(pid, "  "), "reason is required"),
        (lambda d, pid: d.contact(pid, "x", "pigeon"), "channel must be one of"),
        (lambda d, pid: d.reassign(pid, "ana"), "already ana's"),
        (lambda d, pid: d.unflag(pid), "is not flagged"),
        (lambda d, pid: d.add("", "x", "fri"), "customer name is required"),
        (lambda d, pid: d.add("Bob", "x" * 3000, "fri"), "keep it under 2000"),
        (lambda d, pid: d.add("Bob\x1b[31m", "x", "fri"), "control character"),
        (lambda d, pid: d.add("Bob", "x", "fri", email="bob"), "has no @"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(desk: Desk, call, message: str) -> None:
    pid = add(desk).id
    before = desk.store.path.read_bytes()
    with pytest.raises(PromiseError, match=message.replace("(", r"\(")):
        call(desk, pid)
    assert desk.store.path.read_bytes() == before


def test_closing_a_closed_promise_is_refused(desk: Desk) -> None:
    pid = add(desk).id
    desk.done(pid)
    with pytest.raises(PromiseError, match="already done"):
        desk.done(pid)
    with pytest.raises(PromiseError, match="already done"):
        desk.cancel(pid, "oops")


def test_undo_is_the_users_own_last_change(desk: Desk, clock) -> None:
    pid = add(desk).id
    clock.advance(timedelta(minutes=5))
    desk.reschedule(pid, "mon", "asked for later")
    clock.advance(timedelta(minutes=5))
    desk.done(pid, 4)
    assert desk.undo() == f"undid the closing of promise {pid}"
    p = desk.get(pid)
    assert p.is_open and p.csat is None and p.due == at(30, 17)
    assert desk.undo() == f"undid the reschedule of promise {pid}"
    p = desk.get(pid)
    assert p.due == p.original_due == at(27, 17)
    assert [e.kind for e in p.events][-1] is EventKind.UNDONE  # history kept, nothing erased
    assert desk.undo() == f"undid adding promise {pid} (removed)"
    with pytest.raises(PromiseError, match="nothing to undo for ana"):
        desk.undo()


def test_undo_refuses_when_a_colleague_changed_it_since(desk: Desk, clock) -> None:
    pid = add(desk).id
    ben = open_desk(desk.store.data_dir, user="ben", clock=clock)
    clock.advance(timedelta(minutes=1))
    ben.contact(pid, "called the customer")
    with pytest.raises(PromiseError) as caught:
        desk.undo()
    assert caught.value.message == f"can't undo your adding of {pid}: ben changed it after you"
    assert ben.undo() == f"undid the contact of promise {pid}"


def test_undo_names_the_change_in_words(desk: Desk, clock) -> None:
    pid = add(desk).id
    clock.advance(timedelta(minutes=1))
    desk.reschedule(pid, "mon", "asked for later")
    ben = open_desk(desk.store.data_dir, user="ben", clock=clock)
    clock.advance(timedelta(minutes=1))
    ben.note(pid, "customer rang")
    with pytest.raises(PromiseError) as caught:
        desk.undo()
    assert caught.value.message == f"can't undo your reschedule of {pid}: ben changed it after you"
    assert ben.undo() == f"undid the note of promise {pid}"
    assert desk.undo() == f"undid the reschedule of promise {pid}"
    undone = desk.get(pid).events[-1]
    assert event_details(undone, clock.now(), desk.calendar.tz) == "undid the reschedule"


@pytest.mark.parametrize(
    ("kind", "noun"),
    [
        (EventKind.CREATED, "adding"), (EventKind.CONTACTED, "contact"), (EventKind.RESCHEDULED, "reschedule"),
        (EventKind.REASSIGNED, "reassignment"), (EventKind.FLAGGED, "flag"), (EventKind.DONE, "closing"),
        (EventKind.CANCELLED, "cancellation"), (EventKind.REOPENED, "reopening"), (EventKind.NOTE, "note"),
        ("rescheduled", "reschedule"), ("waiting", "wait on the customer"), ("resumed", "resume"),
        ("acknowledged", "acknowledgement"), ("snoozed", "snooze"), ("teleported", "teleported"),
    ],
)
def test_every_kind_of_change_has_a_noun(kind: str, noun: str) -> None:
    assert action_noun(kind) == noun


def test_board_order_overdue_then_at_risk_then_by_due(desk: Desk, clock) -> None:
    later = add(desk, due="+3bd").id
    soon = add(desk, due="+3h").id
    urgent = add(desk, due="11:00").id
    flagged = add(desk, due="+4bd").id
    desk.flag(flagged, "waiting on supplier")
    clock.set(at(23, 11, 45))
    rows = desk.board()
    assert [r.promise.id for r in rows] == [urgent, soon, flagged, later]
    assert [r.risk for r in rows] == [Risk.OVERDUE, Risk.AT_RISK, Risk.AT_RISK, Risk.OK]
    assert [r.promise.id for r in desk.listing("at-risk")] == [soon, flagged]
    assert [r.promise.id for r in desk.listing("overdue")] == [urgent]


def test_listing_filters_and_closed(desk: Desk) -> None:
    a = add(desk, owner="ben", category="refund").id
    b = add(desk, owner="ana", category="delivery").id
    desk.done(b)
    assert [r.promise.id for r in desk.listing("open", owner="BEN")] == [a]
    assert [r.promise.id for r in desk.listing("closed")] == [b]
    assert {r.promise.id for r in desk.listing("all", category="refund")} == {a}
    with pytest.raises(PromiseError, match="status must be one of"):
        desk.listing("maybe")


def test_add_returns_reality_check_warnings(desk: Desk) -> None:
    _, warnings = desk.add("Bob", "call back", "sat 10am")
    assert any("closed day" in w for w in warnings)
    _, warnings = desk.add("Bob", "call back", "+1h")
    assert any("business hours left" in w for w in warnings)


def test_a_skipped_or_repeated_wall_time_is_kept_and_warned(tmp_path: Path, clock) -> None:
    data_dir = tmp_path / "lisbon"
    write_settings(data_dir, **{'"Europe/London"': '"Europe/Lisbon"'})
    lisbon = open_desk(data_dir, user="ana", clock=clock)
    _, warnings = lisbon.add("Bob", "call back", "2027-03-29 01:30")
    assert warnings == ["Mon 29 Mar 01:30 is before opening (09:00)"]  # an ordinary night: the reality check only
    promise, warnings = lisbon.add("Bob", "call back", "2027-03-28 01:30")
    assert promise.due.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # kept: 02:30 WEST
    assert warnings[0] == "01:30 does not exist on Sun 28 Mar 2027 (clocks go forward): taken as 02:30"
    assert "Sun 28 Mar is a closed day" in warnings[1:]
    moved, warnings = lisbon.reschedule(promise.id, "2027-10-31 01:30", "customer asked")
    assert moved.due.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # kept: the first 01:30
    assert warnings[0] == (
        "01:30 happens twice on Sun 31 Oct 2027 (clocks go back): taken as the first, 01:30 WEST (+01:00)"
    )


def test_promise_json_has_the_contract_keys(desk: Desk) -> None:
    pid = add(desk, phone="123").id
    doc = promise_json(desk.row(pid))
    for key in ("id", "customer", "what", "owner", "category", "created_at", "original_due", "due", "status",
                "risk", "risk_reasons", "outcome", "csat", "complaint", "closed_at", "events"):
        assert key in doc
    assert doc["customer"] == {"name": "Maria Lopez", "phone": "123", "email": ""}
    assert doc["risk"] == "ok" and doc["outcome"] is None and doc["due"] == "2026-11-27T17:00:00+00:00"


def test_closed_promises_move_to_the_archive_and_stay_readable(desk: Desk, clock) -> None:
    old = add(desk).id
    desk.done(old, 5)
    clock.advance(timedelta(days=40))
    new = add(desk, due="+1bd").id
    snap = desk.store.read()
    assert old not in snap.promises and new in snap.promises
    assert desk.store.archive_months() == ["2026-11"]
    assert desk.get(old).csat == 5


@pytest.mark.parametrize("value", ["", "   ", "\n"])
def test_an_empty_user_is_refused_like_a_blank_one(value: str, monkeypatch: pytest.MonkeyPatch,
                                                   data_dir: Path, clock) -> None:
    monkeypatch.setenv("PROMISETRACK_USER", "ben")
    message = "--user is empty: give a name, or leave --user out to use $PROMISETRACK_USER or the login name"
    with pytest.raises(PromiseError) as caught:
        resolve_user(value)
    assert caught.value.message == message
    with pytest.raises(PromiseError, match="--user is empty"):
        open_desk(data_dir, user=value, clock=clock)
    assert resolve_user(None) == "ben" and resolve_user(" ana ") == "ana"  # not given: the fall-backs still apply
