"""Clocks: the system clock, a clock started at a chosen moment that runs on, and a fixed, advanceable one.

``SystemClock`` is the only place in promisetrack that reads the wall clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol


def shift(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta`` in elapsed time (aware ``+`` is wall-clock time, which DST would skew)."""
    return (moment.astimezone(UTC) + delta).astimezone(moment.tzinfo)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in the desk's timezone."""

    def __init__(self, tz: tzinfo, *, whole_seconds: bool = True) -> None:
        self.tz = tz
        self.whole_seconds = whole_seconds

    def now(self) -> datetime:
        # Whole seconds: the moments a desk stores come from here, and microseconds would only lengthen the records.
        # Off for the base of a ``--now`` run, which runs on from a given moment exactly (role-play, tests).
        moment = datetime.now(self.tz)
        return moment.replace(microsecond=0) if self.whole_seconds else moment


class FixedClock:
    """A clock that stands still until advanced: tests and role-play."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now = shift(self._now, delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


class OffsetClock:
    """Starts at ``start`` and runs on with the real clock (``--now``); may be advanced for role-play.

    The offset is elapsed time, taken through UTC: ``start - base.now()`` on two datetimes of one zone is wall-clock
    time, an hour off whenever a DST change lies between them (a summer ``--now`` run in winter).
    """

    def __init__(self, start: datetime, base: Clock) -> None:
        self._base = base
        self._offset = start.astimezone(UTC) - base.now().astimezone(UTC)

    def now(self) -> datetime:
        return shift(self._base.now(), self._offset)

    def advance(self, delta: timedelta) -> datetime:
        self._offset += delta
        return self.now()
