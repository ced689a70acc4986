"""The outcome of a closed promise, derived from its events (ARCHITECTURE §4) — never typed by hand."""

from __future__ import annotations

from datetime import datetime

from promisetrack.model import CONTACT_KINDS, EventKind, Outcome, Promise, Status


def due_periods(p: Promise) -> list[tuple[datetime, datetime]]:
    """Each due that was in force, as (moment it was set, due): creation first, then every reschedule."""
    periods = [(p.created_at, p.original_due)]
    for e in p.effective_events():
        if e.kind is EventKind.RESCHEDULED:
            periods.append((e.at, datetime.fromisoformat(e.data["due"])))
    return periods


def derive_outcome(p: Promise) -> Outcome | None:
    """The first rule that matches: cancelled, broken, kept, renegotiated, late_notified; None while open."""
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
    if len(periods) == 1 and p.closed_at <= p.original_due:
        return Outcome.KEPT
    if p.closed_at <= p.due:
        return Outcome.RENEGOTIATED
    return Outcome.LATE_NOTIFIED
