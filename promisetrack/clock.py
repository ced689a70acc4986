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
        # Off for the base of a ``--now`` run, which measures its elapsed time exactly (``OffsetClock``).
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

    It runs on in whole seconds of elapsed time, as the system clock gives them: a command of ``--now`` that takes
    less than a second makes every change exactly at ``start``, so the changes of a script of ``--now`` commands
    keep their order (ties go by promise and event order), where fractions of a second would order them by how
    fast each process happened to start. Elapsed time is taken through UTC: wall-clock time between two moments of
    one zone is an hour off whenever a DST change lies between them (a summer ``--now`` run in winter).
    """

    def __init__(self, start: datetime, base: Clock) -> None:
        self._base = base
        self._start = start
        self._began = base.now().astimezone(UTC)

    def now(self) -> datetime:
        elapsed = self._base.now().astimezone(UTC) - self._began
        return shift(self._start, timedelta(seconds=int(elapsed.total_seconds())))

    def advance(self, delta: timedelta) -> datetime:
        self._start = shift(self._start, delta)
        return self.now()
