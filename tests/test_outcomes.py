"""Every outcome path of ARCHITECTURE §4, on hand-built event histories."""

from __future__ import annotations

from datetime import datetime

import pytest

from promisetrack.model import Customer, Event, EventKind, Outcome, Promise, apply
from promisetrack.outcomes import derive_outcome
from tests.conftest import at


def history(due: datetime, *steps: tuple[EventKind, datetime, dict]) -> Promise:
    created = at(23, 10)
    p = Promise(1, Customer(1, "Maria"), "part arrives", "ana", "delivery", created, due, due)
    first = Event(EventKind.CREATED, created, "ana", {"due": due.isoformat(), "owner": "ana",
                                                       "category": "delivery", "what": "part arrives"})
    p.events.append(first)
    for kind, moment, data in steps:
        e = Event(kind, moment, "ana", data)
        p.events.append(e)
        apply(p, e)
    return p


def resched(moment: datetime, due: datetime) -> tuple[EventKind, datetime, dict]:
    return (EventKind.RESCHEDULED, moment, {"due": due.isoformat()})


def contact(moment: datetime) -> tuple[EventKind, datetime, dict]:
    return (EventKind.CONTACTED, moment, {"note": "told them"})


def done(moment: datetime) -> tuple[EventKind, datetime, dict]:
    return (EventKind.DONE, moment, {})


DUE = at(25, 17)  # Wed 17:00


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([done(at(25, 12))], Outcome.KEPT),
        ([done(DUE)], Outcome.KEPT),  # at the due is on time
        ([(EventKind.CANCELLED, at(24, 9), {"reason": "not needed"})], Outcome.CANCELLED),
        ([done(at(26, 10))], Outcome.BROKEN),  # late, nobody told the customer
        ([contact(at(25, 12)), done(at(26, 10))], Outcome.LATE_NOTIFIED),
        ([resched(at(24, 12), at(27, 17)), done(at(27, 12))], Outcome.RENEGOTIATED),
        ([resched(at(24, 12), at(27, 17)), done(at(25, 12))], Outcome.RENEGOTIATED),  # early, but rescheduled
        # a reschedule made after the due had passed does not repair it
        ([resched(at(26, 9), at(27, 17)), done(at(27, 12))], Outcome.BROKEN),
        # a contact after the due passed is not a warning
        ([contact(at(26, 9)), done(at(26, 10))], Outcome.BROKEN),
        # rescheduled in time, then the new due passes in silence
        ([resched(at(24, 12), at(26, 17)), done(at(27, 10))], Outcome.BROKEN),
        # rescheduled in time, warned again before the new due, then late
        ([resched(at(24, 12), at(26, 17)), contact(at(26, 15)), done(at(27, 10))], Outcome.LATE_NOTIFIED),
        # told at the very moment it fell due: still before it passed
        ([contact(DUE), done(at(26, 10))], Outcome.LATE_NOTIFIED),
    ],
)
def test_outcome_paths(steps, expected) -> None:
    assert derive_outcome(history(DUE, *steps)) is expected


def test_open_promise_has_no_outcome() -> None:
    assert derive_outcome(history(DUE, contact(at(24, 9)))) is None


def test_undone_done_reopens_and_has_no_outcome() -> None:
    from promisetrack.model import rebuild

    p = history(DUE, done(at(24, 9)))
    p.events.append(Event(EventKind.UNDONE, at(24, 9, 5), "ana", {"event": 1}))
    p = rebuild(p)
    assert p.is_open and derive_outcome(p) is None
