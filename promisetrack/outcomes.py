"""The outcome of a closed promise, derived from its events (ARCHITECTURE §4) — never typed by hand."""

from __future__ import annotations

from datetime import datetime

from promisetrack.model import CONTACT_KINDS, EventKind, Outcome, Promise, Status


def due_periods(p: Promise) -> list[tuple[datetime, datetime]]:
    """Each due that was in force, as (moment it was set, due): creation first, then every reschedule.

    Waiting on the customer is not a reschedule: a resume moves the due in force on by the business time waited,
    within the same period — unless that due had already passed when the waiting began: then it passed in force, and
    stays the due of its period."""
    periods = [(p.created_at, p.original_due)]
    waiting_since: datetime | None = None
    for e in p.effective_events():
        if e.kind is EventKind.RESCHEDULED:
            periods.append((e.at, datetime.fromisoformat(e.data["due"])))
        elif e.kind is EventKind.WAITING:
            waiting_since = e.at
        elif e.kind is EventKind.RESUMED:
            set_at, due = periods[-1]
            if due > (waiting_since or e.at):  # a due that had passed before the wait stays passed, as it was
                periods[-1] = (set_at, datetime.fromisoformat(e.data["due"]))
            waiting_since = None
    return periods


def rescheduled(p: Promise) -> bool:
    return any(e.kind is EventKind.RESCHEDULED for e in p.effective_events())


def derive_outcome(p: Promise) -> Outcome | None:
    """The first rule that matches: cancelled, broken, kept, renegotiated, late_notified; None while open.

    ``kept``: never rescheduled and done by the due in force (the original due, moved on by waiting on the customer).
    """
    if p.status is Status.OPEN or p.closed_at is None:
        return None
    if p.status is Status.CANCELLED:
        return Outcome.CANCELLED
    events = p.effective_events()
    contacts = [e.at for e in events if e.kind in CONTACT_KINDS]
    periods = due_periods(p)
    ends = [set_at for set_at, _ in periods[1:]] + [p.closed_at]
    for (set_at, due), in_force_until in zip(periods, ends, strict=True):
        passed = due < in_force_until
        if passed and not any(set_at < at <= due for at in contacts):
            return Outcome.BROKEN
    if not rescheduled(p):  # the due in force is the original one, moved on by any waiting that began before it
        return Outcome.KEPT if p.closed_at <= periods[-1][1] else Outcome.LATE_NOTIFIED
    if p.closed_at <= p.due:
        return Outcome.RENEGOTIATED
    return Outcome.LATE_NOTIFIED
