"""Alerts: a promise that turns at risk or overdue raises one, which someone acknowledges or snoozes; an overdue
one nobody acknowledged reminds again every ``remind_every`` business minutes.

Pure core. An alert is known by its promise, its level and the due in force: acknowledging an at-risk alert does
not silence the overdue one that may follow, and a new due (a reschedule, a resume) is a new alert. Acknowledgements
and snoozes are events on the promise's timeline, so every board over the same data sees them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple, Protocol

from promisetrack.clock import shift
from promisetrack.model import Event, EventKind, Promise, Risk

if TYPE_CHECKING:
    from promisetrack.calendar import BusinessCalendar

ALERT_LEVELS = frozenset({Risk.AT_RISK, Risk.OVERDUE})
_MARKS = frozenset({EventKind.ACKNOWLEDGED, EventKind.SNOOZED})
SNOOZE_CHOICES = {"15m": "15 minutes", "1h": "1 hour", "tomorrow": "until tomorrow's opening"}
AlertKey = tuple[int, Risk, datetime]  # promise, level, the due in force


class AlertRow(Protocol):
    """A promise with its risk now (``service.Row`` fits)."""

    @property
    def promise(self) -> Promise: ...

    @property
    def risk(self) -> Risk | None: ...


def alert_key(row: AlertRow) -> AlertKey | None:
    """The alert that ``row`` has up, if it is at risk or overdue."""
    if row.risk not in ALERT_LEVELS:
        return None
    assert row.risk is not None
    return (row.promise.id, row.risk, row.promise.due)


class AlertState(NamedTuple):
    level: Risk
    due: datetime
    acknowledged: Event | None = None
    snoozed_until: datetime | None = None

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and now < self.snoozed_until


def alert_state(p: Promise, level: Risk | None) -> AlertState | None:
    """The alert of ``p`` at ``level`` (None when that level raises none), with its acknowledgement and snooze."""
    if level is None or level not in ALERT_LEVELS:
        return None
    if not any(e.kind in _MARKS for e in p.events):  # most promises: the board asks about every overdue one a tick
        return AlertState(level, p.due)
    due = p.due.isoformat()
    acknowledged: Event | None = None
    snoozed: datetime | None = None
    for e in p.effective_events():
        if e.kind in _MARKS and e.data.get("level") == level.value and e.data.get("due") == due:
            if e.kind is EventKind.ACKNOWLEDGED:
                acknowledged = e
            else:
                snoozed = datetime.fromisoformat(e.data["until"])
    return AlertState(level, p.due, acknowledged, snoozed)


def snooze_until(choice: str, now: datetime, cal: BusinessCalendar) -> datetime:
    """The end of a snooze: ``15m``, ``1h`` (elapsed time) or ``tomorrow`` (the next open day's opening)."""
    if choice == "15m":
        return shift(now, timedelta(minutes=15))
    if choice == "1h":
        return shift(now, timedelta(hours=1))
    if choice == "tomorrow":
        day = cal.next_open_day(now.astimezone(cal.tz).date())
        hours = cal.hours_on(day)
        assert hours is not None
        return hours[0]
    raise ValueError(choice)


def unacknowledged(rows: Iterable[AlertRow]) -> int:
    """Overdue promises whose alert nobody has acknowledged (snoozed ones included): the board's header count."""
    count = 0
    for row in rows:
        if row.risk is Risk.OVERDUE:
            state = alert_state(row.promise, Risk.OVERDUE)
            count += state is not None and state.acknowledged is None
    return count


class Reminders:
    """When an overdue promise whose alert nobody acknowledged reminds again: ``every`` business seconds after its
    last alert or reminder, or when its snooze ends. One instance per board; ``due`` is asked on every tick."""

    def __init__(self, cal: BusinessCalendar, every_seconds: float) -> None:
        self.cal, self.every = cal, every_seconds
        self._next: dict[tuple[int, datetime], datetime] = {}

    def due(self, rows: Iterable[AlertRow], now: datetime, *, start: bool = False) -> list[AlertRow]:
        """The rows to remind about now. ``start``: the board has just opened, and every overdue promise not
        acknowledged (nor snoozed) reminds at once; later, a promise first seen overdue has just raised its alert
        (the board's "Now overdue"), so its first reminder is ``every`` from now."""
        remind: list[AlertRow] = []
        seen: set[tuple[int, datetime]] = set()
        for row in rows:
            if row.risk is not Risk.OVERDUE:
                continue
            p = row.promise
            state = alert_state(p, Risk.OVERDUE)
            key = (p.id, p.due)
            if state is None or state.acknowledged is not None:
                continue
            seen.add(key)
            if state.snoozed(now):
                self._next[key] = state.snoozed_until  # type: ignore[assignment]
                continue
            when = self._next.get(key)
            if when is None and not start:
                self._next[key] = self.after(now)
            elif when is None or now >= when:
                remind.append(row)
                self._next[key] = self.after(now)
        for key in [k for k in self._next if k not in seen]:  # acknowledged, closed, or given a new due
            del self._next[key]
        return remind

    def after(self, now: datetime) -> datetime:
        return self.cal.add_business_seconds(now, self.every)
