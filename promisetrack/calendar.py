"""The desk's BusinessCalendar: open hours, holidays, business time, and the wall-clock helpers it is built on.

Pure core: nothing here reads the wall clock. Wall times are built with ``datetime.combine(..., tzinfo=tz)`` and
normalised through UTC, so a wall time in a spring-forward gap resolves to a real instant (02:30 on a gap day reads
as 03:30) and an ambiguous one to its first occurrence. Elapsed-time arithmetic is done on UTC datetimes (aware ``+``
on one zone is wall-clock arithmetic).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from promisetrack.errors import PromiseError

if TYPE_CHECKING:
    from promisetrack.config import Settings

WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FALLBACK_CLOSE = time(17)
_Interval = tuple[datetime, datetime]  # open, close of one day, in UTC
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_MICROSECOND = timedelta(microseconds=1)
_MICROS_PER_DAY = 86_400_000_000
_INDEX_MARGIN_DAYS = 60  # days indexed either side of what was asked, at first; more as the span asked grows


# ---------------------------------------------------------------- wall-clock helpers


def wall(d: date, t: time, tz: tzinfo) -> datetime:
    """The instant the desk's clock shows ``t`` on ``d``; a gap time moves forward, an ambiguous one is the first."""
    naive_time = time(t.hour, t.minute, t.second, t.microsecond)
    return datetime.combine(d, naive_time, tzinfo=tz).astimezone(UTC).astimezone(tz)


def aware(moment: datetime, tz: tzinfo) -> datetime:
    """``moment`` in ``tz``; a naive moment is read as the desk's wall time."""
    if moment.tzinfo is None:
        return wall(moment.date(), moment.time(), tz)
    return moment.astimezone(tz)


def as_utc(moment: datetime) -> datetime:
    """Aware datetimes in one zone compare by wall time (ignoring fold); compare instants in UTC instead."""
    return moment.astimezone(UTC)


def day_label(d: date) -> str:
    return f"{WEEKDAY_NAMES[d.weekday()]} {d.day} {MONTH_NAMES[d.month - 1]}"


def hhmm(t: datetime | time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"


# ---------------------------------------------------------------- calendar


class BusinessCalendar:
    """The desk's open hours and holidays, and business-time arithmetic over them.

    Per-date open intervals (and per-week totals) are cached, so business time over long spans costs
    a few dictionary look-ups per week rather than a walk over hours.
    """

    def __init__(
        self,
        tz: tzinfo,
        hours: dict[int, tuple[time, time]],
        holidays: frozenset[date] = frozenset(),
    ) -> None:
        self.tz = tz
        self.hours = dict(hours)
        self.holidays = frozenset(holidays)
        self._usual_close = _most_common_close(self.hours)
        self._interval = lru_cache(maxsize=4096)(self._compute_interval)
        self._open_time: _OpenTimeIndex | None = None
        self._growing = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> BusinessCalendar:
        return cls(settings.tz, settings.hours, settings.holidays)

    # -- days

    def is_open_day(self, d: date) -> bool:
        return d.weekday() in self.hours and d not in self.holidays

    def hours_on(self, d: date) -> tuple[datetime, datetime] | None:
        """Opening and closing of ``d`` in the desk's zone; None on a closed day."""
        interval = self._interval(d.toordinal())
        if interval is None:
            return None
        return interval[0].astimezone(self.tz), interval[1].astimezone(self.tz)

    def closing(self, d: date) -> datetime:
        """Closing time on ``d``; on a closed day, the desk's usual closing time on that date."""
        interval = self._interval(d.toordinal())
        if interval is not None:
            return interval[1].astimezone(self.tz)
        return wall(d, self._usual_close, self.tz)

    def next_open_day(self, d: date) -> date:
        """The first open day strictly after ``d``."""
        self._require_hours()
        d += timedelta(days=1)
        while not self.is_open_day(d):
            d += timedelta(days=1)
        return d

    def previous_open_day(self, d: date) -> date:
        """The last open day strictly before ``d``."""
        self._require_hours()
        d -= timedelta(days=1)
        while not self.is_open_day(d):
            d -= timedelta(days=1)
        return d

    def is_open_at(self, moment: datetime) -> bool:
        """True while the desk is open (opening inclusive, closing exclusive)."""
        moment = self._utc(moment)
        interval = self._interval(self._ordinal(moment))
        return interval is not None and interval[0] <= moment < interval[1]

    # -- business time
    #
    # Business time is measured on an axis of open time: ``open_time(moment)`` is the open time (in microseconds, an
    # int so that sums are exact) from the calendar's origin to ``moment``. It stands still while the desk is closed,
    # so the business time between two moments is the difference of theirs, and ``moment_at`` turns a position back
    # into a moment. Positions are comparable for the life of the calendar.

    def open_time(self, moment: datetime) -> int:
        """``moment``'s position on the open-time axis (a naive moment is read as the desk's wall time)."""
        return self._position(_epoch_micros(moment, self.tz))

    def moment_at(self, position: int, *, forward: bool = True) -> datetime:
        """The moment at ``position`` on the open-time axis. Where a closed spell sits at that position, the end of
        the day that reaches it (``forward``, counting onwards) or the opening of the day that starts there."""
        self._require_hours()
        index = self._open_time or self._index_around(0)
        while not (index.starts and index.starts[0] <= position <= index.ends[-1]):
            span = index.last - index.first  # beyond the days indexed: index as many more on that side
            ahead = not index.starts or position > index.ends[-1]
            grown = self._grow(index.first, index.last + span) if ahead else self._grow(index.first - span,
                                                                                          index.last)
            if (grown.first, grown.last) == (index.first, index.last):
                raise OverflowError("business time runs off the calendar")
            index = grown
        return (_EPOCH + timedelta(microseconds=index.at(position, forward=forward))).astimezone(self.tz)

    def business_seconds(self, start: datetime, end: datetime) -> float:
        """Open time between ``start`` and ``end`` in seconds; 0 when ``end <= start``."""
        s, e = _epoch_micros(start, self.tz), _epoch_micros(end, self.tz)
        if e <= s:
            return 0.0
        return (self._position(e) - self._position(s)) / 1e6

    def add_business_seconds(self, moment: datetime, seconds: float) -> datetime:
        """``moment`` moved by ``seconds`` of open time (backwards when negative).

        From outside open hours the count starts at the next opening (the previous closing when negative);
        zero seconds leaves ``moment`` where it is.
        """
        amount = micros(abs(seconds))
        if amount == 0:
            return aware(moment, self.tz)
        start = self.open_time(moment)
        if seconds > 0:
            return self.moment_at(start + amount)
        return self.moment_at(start - amount, forward=False)

    def add_business_hours(self, moment: datetime, hours: float) -> datetime:
        return self.add_business_seconds(moment, hours * 3600)

    def add_business_days(self, moment: datetime, days: int) -> datetime:
        """The same wall time ``days`` open days later (earlier when negative); holidays are skipped."""
        local = aware(moment, self.tz)
        if days == 0:
            return local
        return wall(self.open_day_after(local.date(), days), local.time(), self.tz)

    def open_day_after(self, d: date, days: int) -> date:
        """The ``days``-th open day after ``d`` (before it when negative); ``d`` itself for 0."""
        step = self.next_open_day if days > 0 else self.previous_open_day
        for _ in range(abs(days)):
            d = step(d)
        return d

    # -- ends of periods

    def end_of_day(self, now: datetime) -> datetime:
        """Today's closing if open today and not yet closed, else the next open day's closing."""
        now = aware(now, self.tz)
        today = self._interval(now.toordinal())
        if today is not None and now < today[1]:
            return today[1].astimezone(self.tz)
        return self.closing(self.next_open_day(now.date()))

    def end_of_week(self, now: datetime) -> datetime:
        """Closing of the last open day of ``now``'s ISO week; the next such week's once that has passed."""
        self._require_hours()
        now = aware(now, self.tz)
        monday = now.date() - timedelta(days=now.weekday())
        while True:
            last = self._last_open_day_of_week(monday)
            if last is not None and as_utc(now) < as_utc(self.closing(last)):
                return self.closing(last)
            monday += timedelta(days=7)

    # -- reality check

    def reality_warnings(self, due: datetime) -> list[str]:
        """Why ``due`` falls outside open hours (closed day, holiday, before opening, after closing); [] if inside."""
        local = aware(due, self.tz)
        d = local.date()
        if d in self.holidays:
            return [f"{day_label(d)} is a holiday"]
        interval = self.hours_on(d)
        if interval is None:
            return [f"{day_label(d)} is a closed day"]
        opening, closing = interval
        if as_utc(local) < as_utc(opening):
            return [f"{day_label(d)} {hhmm(local)} is before opening ({hhmm(opening)})"]
        if as_utc(local) > as_utc(closing):
            return [f"{day_label(d)} {hhmm(local)} is after closing ({hhmm(closing)})"]
        return []

    # -- internals (days as proleptic ordinals, instants in UTC)

    def _utc(self, moment: datetime) -> datetime:
        if moment.tzinfo is not None:
            return moment.astimezone(UTC)  # the same instant, without a detour through the desk's zone
        return wall(moment.date(), moment.time(), self.tz).astimezone(UTC)

    def _ordinal(self, moment: datetime) -> int:
        return moment.astimezone(self.tz).toordinal()

    def _require_hours(self) -> None:
        if not self.hours:
            raise PromiseError("the desk has no open hours set: add them under [hours] in settings.toml")

    def _compute_interval(self, o: int) -> _Interval | None:
        d = date.fromordinal(o)
        if not self.is_open_day(d):
            return None
        start, end = self.hours[d.weekday()]
        opening = wall(d, start, self.tz).astimezone(UTC)
        # A closing of 00:00 is "24:00" in settings (config._parse_hours): the midnight that ends the day.
        closing = wall(d + timedelta(days=1) if end == time(0) else d, end, self.tz).astimezone(UTC)
        return (opening, closing) if closing > opening else None

    def _position(self, moment: int) -> int:
        return self._index_around(moment).position(moment)

    def _index_around(self, moment: int) -> _OpenTimeIndex:
        """The open-time index, grown if need be to hold the days around ``moment`` (microseconds)."""
        # A local day is within a day of the UTC one (offsets stay under ±24 h): index one more each side.
        first = moment // _MICROS_PER_DAY + _EPOCH_ORDINAL - 1
        last = first + 3
        index = self._open_time
        if index is not None and index.first <= first and last <= index.last:
            return index
        # Grow by at least the index's own span on the side that fell short: a few rebuilds, however far it reaches.
        margin = _INDEX_MARGIN_DAYS if index is None else max(_INDEX_MARGIN_DAYS, index.last - index.first)
        return self._grow(first - margin, last + margin)

    def _grow(self, first: int, last: int) -> _OpenTimeIndex:
        """An index of at least the days ``first`` .. ``last`` and all the current one holds, with the positions of
        the current one. Under a lock: the board works out business time in a worker thread as well as in the main
        one, and two growths at once must neither lose days nor disagree on positions."""
        with self._growing:
            old = self._open_time
            if old is not None:
                if old.first <= first and last <= old.last:
                    return old  # another thread grew it meanwhile
                first, last = min(first, old.first), max(last, old.last)
            first, last = max(first, 1), min(last, date.max.toordinal() + 1)
            days = [interval for o in range(first, last) if (interval := self._indexed_interval(o)) is not None]
            index = _OpenTimeIndex(first, last, [
                (_epoch_micros(opening, UTC), _epoch_micros(closing, UTC)) for opening, closing in days
            ])
            if old is not None:  # a moment inside the old days keeps its position
                middle = ((old.first + old.last) // 2 - _EPOCH_ORDINAL) * _MICROS_PER_DAY
                index.shift(old.position(middle) - index.position(middle))
            self._open_time = index
            return index

    def _indexed_interval(self, o: int) -> _Interval | None:
        try:
            return self._compute_interval(o)
        except OverflowError:  # the first or last days of the calendar, whose hours run off it in UTC: never asked
            return None

    def _last_open_day_of_week(self, monday: date) -> date | None:
        for offset in range(6, -1, -1):
            d = monday + timedelta(days=offset)
            if self.is_open_day(d):
                return d
        return None

class _OpenTimeIndex:
    """The open intervals of the local days ``first`` .. ``last`` (ordinals, ``last`` excluded) in microseconds since
    the epoch, with their positions on the open-time axis: a position is then one binary search away, and so is the
    moment at a position — not a walk over days. Not changed once in use: a calendar that needs more days builds a
    bigger index and swaps it in."""

    __slots__ = ("closes", "ends", "first", "last", "opens", "starts")

    def __init__(self, first: int, last: int, intervals: list[tuple[int, int]]) -> None:
        self.first, self.last = first, last
        self.opens = [opening for opening, _ in intervals]
        self.closes = [closing for _, closing in intervals]
        self.starts: list[int] = []  # the position of each opening
        self.ends: list[int] = []  # and of each closing
        total = 0
        for opening, closing in intervals:
            self.starts.append(total)
            total += closing - opening
            self.ends.append(total)

    def shift(self, offset: int) -> None:
        self.starts = [start + offset for start in self.starts]
        self.ends = [end + offset for end in self.ends]

    def position(self, moment: int) -> int:
        i = bisect_right(self.opens, moment) - 1
        if i < 0:
            return self.starts[0] if self.starts else 0
        opening = self.opens[i]
        return self.starts[i] + min(moment - opening, self.closes[i] - opening)

    def at(self, position: int, *, forward: bool) -> int:
        i = bisect_left(self.ends, position) if forward else bisect_right(self.starts, position) - 1
        return self.opens[i] + position - self.starts[i]


def micros(seconds: float) -> int:
    """``seconds`` in whole microseconds, rounded as a ``timedelta`` rounds them."""
    return timedelta(seconds=seconds) // _MICROSECOND


def _epoch_micros(moment: datetime, tz: tzinfo) -> int:
    """Microseconds since the epoch of ``moment`` (a naive one read as the desk's wall time)."""
    if moment.tzinfo is None:
        moment = wall(moment.date(), moment.time(), tz)
    return (moment - _EPOCH) // _MICROSECOND


def _most_common_close(hours: dict[int, tuple[time, time]]) -> time:
    closes = Counter(hours[day][1] for day in sorted(hours))
    return closes.most_common(1)[0][0] if closes else _FALLBACK_CLOSE
