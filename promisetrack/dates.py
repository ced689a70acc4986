"""Due phrases -> aware datetimes, and the desk's BusinessCalendar (open hours, holidays, business time).

Pure core: nothing here reads the wall clock; ``now`` is always an argument. Wall times are built with
``datetime.combine(..., tzinfo=tz)`` and normalised through UTC, so a wall time in a spring-forward gap
resolves to a real instant (02:30 on a gap day reads as 03:30) and an ambiguous one to its first occurrence.
The phrase readers hand back such a wall time naive, so that ``parse_due_with_notes`` can say when it was one of those.
Elapsed-time arithmetic is done on UTC datetimes (aware ``+`` on one zone is wall-clock arithmetic).
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from promisetrack.errors import PromiseError

if TYPE_CHECKING:
    from promisetrack.config import Settings

PHRASE_EXAMPLES = "tomorrow 10am, fri 5pm, eod, eow, +2d, +2bd, +3h, +3bh, 2026-12-01 14:00"
# A due further ahead is a typo (a year like 2206); it would also make every business-time sum walk centuries.
MAX_AHEAD = timedelta(days=5 * 365)

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


def _aware(moment: datetime, tz: tzinfo) -> datetime:
    """``moment`` in ``tz``; a naive moment is read as the desk's wall time."""
    if moment.tzinfo is None:
        return wall(moment.date(), moment.time(), tz)
    return moment.astimezone(tz)


def _utc(moment: datetime) -> datetime:
    """Aware datetimes in one zone compare by wall time (ignoring fold); compare instants in UTC instead."""
    return moment.astimezone(UTC)


def _day_label(d: date) -> str:
    return f"{WEEKDAY_NAMES[d.weekday()]} {d.day} {MONTH_NAMES[d.month - 1]}"


def _hhmm(t: datetime | time) -> str:
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
            return _aware(moment, self.tz)
        start = self.open_time(moment)
        if seconds > 0:
            return self.moment_at(start + amount)
        return self.moment_at(start - amount, forward=False)

    def add_business_hours(self, moment: datetime, hours: float) -> datetime:
        return self.add_business_seconds(moment, hours * 3600)

    def add_business_days(self, moment: datetime, days: int) -> datetime:
        """The same wall time ``days`` open days later (earlier when negative); holidays are skipped."""
        local = _aware(moment, self.tz)
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
        now = _aware(now, self.tz)
        today = self._interval(now.toordinal())
        if today is not None and now < today[1]:
            return today[1].astimezone(self.tz)
        return self.closing(self.next_open_day(now.date()))

    def end_of_week(self, now: datetime) -> datetime:
        """Closing of the last open day of ``now``'s ISO week; the next such week's once that has passed."""
        self._require_hours()
        now = _aware(now, self.tz)
        monday = now.date() - timedelta(days=now.weekday())
        while True:
            last = self._last_open_day_of_week(monday)
            if last is not None and _utc(now) < _utc(self.closing(last)):
                return self.closing(last)
            monday += timedelta(days=7)

    # -- reality check

    def reality_warnings(self, due: datetime) -> list[str]:
        """Why ``due`` falls outside open hours (closed day, holiday, before opening, after closing); [] if inside."""
        local = _aware(due, self.tz)
        d = local.date()
        if d in self.holidays:
            return [f"{_day_label(d)} is a holiday"]
        interval = self.hours_on(d)
        if interval is None:
            return [f"{_day_label(d)} is a closed day"]
        opening, closing = interval
        if _utc(local) < _utc(opening):
            return [f"{_day_label(d)} {_hhmm(local)} is before opening ({_hhmm(opening)})"]
        if _utc(local) > _utc(closing):
            return [f"{_day_label(d)} {_hhmm(local)} is after closing ({_hhmm(closing)})"]
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


# ---------------------------------------------------------------- due phrases

_WEEKDAYS = {
    "mon": 0, "monday": 0,
    "tue": 1, "tues": 1, "tuesday": 1,
    "wed": 2, "weds": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip
_UNITS = {
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "wk": "weeks", "wks": "weeks", "week": "weeks", "weeks": "weeks",
    "bd": "business days", "business day": "business days", "business days": "business days",
    "working day": "business days", "working days": "business days",
    "bh": "business hours", "business hour": "business hours", "business hours": "business hours",
    "working hour": "business hours", "working hours": "business hours",
}  # fmt: skip
_WHOLE_UNITS = frozenset({"days", "weeks", "business days"})

_TIME = r"(?:noon|\d{1,2}(?:[:.]\d{2}){0,2}\s*(?:am|pm)|\d{1,2}(?::\d{2}){1,2})"
_DAY = r"(?:today|tomorrow|tmrw|" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + ")"
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_DAY_TIME_RE = re.compile(
    rf"(?:(?P<day>{_DAY}|{_ISO_DATE})(?:\s+(?:at\s+)?(?P<time>{_TIME}))?"
    rf"|(?P<time2>{_TIME})\s+(?:on\s+)?(?P<day2>{_DAY}|{_ISO_DATE}))"
)
_TIME_RE = re.compile(rf"(?:at\s+)?(?P<time>{_TIME})")
_TIME_PARTS_RE = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(?:[:.](\d{2}))?\s*(am|pm)?")
_RELATIVE_RE = re.compile(r"(?:\+\s*|in\s+)(?P<n>\d+(?:\.\d+)?|an?)\s*(?P<unit>[a-z][a-z ]*)")
_EOD = frozenset({"eod", "end of day", "cob", "close of business"})
_EOW = frozenset({"eow", "end of week"})
_MONTH_RE = re.compile(
    r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b"
)
_ISO_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[tT ]\d{2}:\d{2}")
_SLASH_DATE_RE = re.compile(r"(?<![\d/.])(\d{1,2})[/.](\d{1,2})(?![\d])")
_YEAR_FIRST_RE = re.compile(r"\d{4}[/.]\d{1,2}[/.]\d{1,2}")
_WEEKDAY_WORD_RE = re.compile(r"\b(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b")
_UTC_NAMES = frozenset({"UTC", "GMT", "Z", "UT"})


def parse_due(phrase: str, now: datetime, cal: BusinessCalendar, *, allow_past: bool = False) -> datetime:
    """Read a due phrase (see ARCHITECTURE §3) relative to ``now``; an aware datetime in ``cal.tz``.

    Our grammar is tried first; only phrases that name a month or a numeric date go on to dateutil.
    Raises PromiseError when the phrase is empty, unreadable, or (unless ``allow_past``) in the past, a zero amount
    of time (``+0h``: overdue at once) or more than ``MAX_AHEAD`` ahead.
    """
    return parse_due_with_notes(phrase, now, cal, allow_past=allow_past)[0]


def parse_due_with_notes(
    phrase: str, now: datetime, cal: BusinessCalendar, *, allow_past: bool = False
) -> tuple[datetime, list[str]]:
    """``parse_due``, with notes on how the phrase was taken: a wall time the clocks skip or show twice
    (``local_time_warnings``). The notes are warnings to show, not errors."""
    text = " ".join(phrase.split())
    if not text:
        raise PromiseError(f"the due is empty: try {PHRASE_EXAMPLES}")
    now = _aware(now, cal.tz)
    try:
        reading = _read(text, now, cal)
        due = None if reading is None else _aware(reading, cal.tz)
    except OverflowError:  # "+99999999d" runs off the calendar (past the year 9999)
        raise PromiseError(f'the due "{text}" is too far from now: try {PHRASE_EXAMPLES}') from None
    if reading is None or due is None:
        raise PromiseError(_unreadable(text, now, cal))
    if not allow_past:
        _require_ahead(text, due, now, cal.tz)
    return due, local_time_warnings(reading, cal.tz)


def _require_ahead(text: str, due: datetime, now: datetime, tz: tzinfo) -> None:
    """A due must lie ahead, within ``MAX_AHEAD``; a zero amount (``+0bd``) is refused like the past, since the
    promise would be overdue the moment it was made."""
    if _utc(due) < _utc(now):
        raise PromiseError(f'the due "{text}" ({format_due(due, now, tz)}) is in the past')
    if _is_zero_amount(text):
        raise PromiseError(
            f'the due "{text}" ({format_due(due, now, tz)}) is now, so the promise would be overdue at once: '
            f"try {PHRASE_EXAMPLES}"
        )
    if _utc(due) - _utc(now) > MAX_AHEAD:
        raise PromiseError(
            f'the due "{text}" ({format_due(due, now, tz)}) is more than {MAX_AHEAD.days // 365} years ahead: '
            "check the year"
        )


def _is_zero_amount(text: str) -> bool:
    """``+0h``, ``in 0 business days``, ``+0.0d``: a relative phrase of no time at all."""
    match = _RELATIVE_RE.fullmatch(text.lower().removeprefix("by "))
    return match is not None and match["n"] not in ("a", "an") and float(match["n"]) == 0


def local_time_warnings(asked: datetime, tz: tzinfo) -> list[str]:
    """What a wall time that the clocks of ``tz`` skip or show twice was taken as; [] for any other.

    ``asked`` is the naive wall time a phrase named (an aware one is an instant already, so []). A skipped time
    moves on by the gap and a repeated one is its first occurrence (``wall``); that choice stays, but the person
    at the desk should see which moment the promise got.
    """
    if asked.tzinfo is not None:
        return []
    asked = asked.replace(fold=0)
    taken = wall(asked.date(), asked.time(), tz)
    day = f"{_day_label(asked.date())} {asked.year}"
    if taken.replace(tzinfo=None) != asked:
        where = _hhmm(taken) if taken.date() == asked.date() else f"{_day_label(taken.date())} {_hhmm(taken)}"
        return [f"{_hhmm(asked)} does not exist on {day} (clocks go forward): taken as {where}"]
    if asked.replace(tzinfo=tz, fold=1).utcoffset() != taken.utcoffset():
        return [
            f"{_hhmm(asked)} happens twice on {day} (clocks go back): taken as the first, "
            f"{_hhmm(taken)} {taken.tzname()} ({_offset_text(taken)})"
        ]
    return []


def _offset_text(moment: datetime) -> str:
    """``+01:00``: the UTC offset as people write it (``%z`` gives ``+0100``)."""
    minutes = int((moment.utcoffset() or timedelta()).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _unreadable(text: str, now: datetime, cal: BusinessCalendar) -> str:
    """The error for a phrase we cannot read; "next fri" is ambiguous (this week's or next?), so say both."""
    lowered = text.lower()
    if lowered.startswith("next ") and _WEEKDAY_WORD_RE.fullmatch(lowered[5:]):
        day = lowered[5:]
        reading = _read(day, now, cal)
        if reading is not None:
            first = _aware(reading, cal.tz)
            second = first + timedelta(days=7)
            return (
                f'"{text}" could mean {format_due(first, now, cal.tz)} or {format_due(second, now, cal.tz)}: '
                f'say "{day}" for the first, or the date ({second:%Y-%m-%d}) for the second'
            )
    return f'can\'t read the due "{text}": try {PHRASE_EXAMPLES}'


def _read(text: str, now: datetime, cal: BusinessCalendar) -> datetime | None:
    """The moment ``text`` names: aware, or naive for a wall time in the desk's zone (see ``local_time_warnings``)."""
    if text.lower().startswith("by "):
        text = text[3:]
    lowered = text.lower()
    for reader in (_read_keyword, _read_relative, _read_day_time, _read_bare_time):
        due = reader(lowered, now, cal)
        if due is not None:
            return due
    if lowered.startswith(("+", "-", "in ")):
        return None
    if _ISO_DATETIME_RE.match(text):
        return _read_iso(text, cal.tz)
    if _MONTH_RE.search(lowered) or _SLASH_DATE_RE.search(lowered) or _YEAR_FIRST_RE.search(lowered):
        return _read_dateutil(text, now, cal)
    return None


def _read_keyword(text: str, now: datetime, cal: BusinessCalendar) -> datetime | None:
    if text in _EOD:
        return cal.end_of_day(now)
    if text in _EOW:
        return cal.end_of_week(now)
    return None


def _read_relative(text: str, now: datetime, cal: BusinessCalendar) -> datetime | None:
    match = _RELATIVE_RE.fullmatch(text)
    if not match:
        return None
    unit = _UNITS.get(" ".join(match["unit"].split()))
    amount = 1.0 if match["n"] in ("a", "an") else float(match["n"])
    if unit is None or (unit in _WHOLE_UNITS and not amount.is_integer()):
        return None
    if amount == 0:
        return now  # exactly now (a wall time rebuilt from a repeated hour's second half would be an hour early)
    if unit == "minutes":
        return now.astimezone(UTC) + timedelta(minutes=amount)
    if unit == "hours":
        return now.astimezone(UTC) + timedelta(hours=amount)
    if unit == "business hours":
        return cal.add_business_hours(now, amount)
    if unit == "business days":
        return datetime.combine(cal.open_day_after(now.date(), int(amount)), now.time())
    days = int(amount) * (7 if unit == "weeks" else 1)
    return datetime.combine(now.date() + timedelta(days=days), now.time())


def _read_day_time(text: str, now: datetime, cal: BusinessCalendar) -> datetime | None:
    match = _DAY_TIME_RE.fullmatch(text)
    if not match:
        return None
    day_word = match["day"] or match["day2"]
    time_word = match["time"] or match["time2"]
    d = _day_from_word(day_word, now.date())
    if d is None:
        return None
    if time_word is None:
        return cal.closing(d)
    t = _time_from_word(time_word)
    return None if t is None else datetime.combine(d, t)


def _read_bare_time(text: str, now: datetime, cal: BusinessCalendar) -> datetime | None:
    match = _TIME_RE.fullmatch(text)
    if not match:
        return None
    t = _time_from_word(match["time"])
    return None if t is None else _next_time(t, now, cal.tz)


def _next_time(t: time, now: datetime, tz: tzinfo) -> datetime:
    """Today at ``t`` if that is still ahead, else tomorrow at ``t`` (a naive wall time)."""
    today = datetime.combine(now.date(), t)
    return today if _utc(wall(now.date(), t, tz)) > _utc(now) else today + timedelta(days=1)


def _day_from_word(word: str, today: date) -> date | None:
    if word == "today":
        return today
    if word in ("tomorrow", "tmrw"):
        return today + timedelta(days=1)
    if word in _WEEKDAYS:
        ahead = (_WEEKDAYS[word] - today.weekday() - 1) % 7 + 1
        return today + timedelta(days=ahead)
    try:
        return date.fromisoformat(word)
    except ValueError:
        return None


def _time_from_word(word: str) -> time | None:
    if word == "noon":
        return time(12)
    match = _TIME_PARTS_RE.fullmatch(word)
    if not match:
        return None
    hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[4] == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return time(hour, minute, second)


def _read_iso(text: str, tz: tzinfo) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else parsed.astimezone(tz)


def _read_dateutil(text: str, now: datetime, cal: BusinessCalendar) -> datetime | None:
    """Plain dates like ``Dec 1 3pm`` or ``1 December``: month and day required, year and time optional."""
    from dateutil import parser as dateutil_parser  # only here: importing it costs more than the rest of `add`

    _reject_ambiguous_numeric(text)
    parsed = []
    for default in (datetime(2000, 1, 1, 0, 0), datetime(2004, 3, 3, 12, 0)):
        try:
            parsed.append(dateutil_parser.parse(text, default=default, tzinfos=_dateutil_zone))
        except (ValueError, OverflowError):
            return None
    first, second = parsed
    if first.month != second.month or first.day != second.day:
        return None
    year_given = first.year == second.year
    has_time = first.hour == second.hour
    year = first.year if year_given else _nearest_year(first.month, first.day, now.date())
    try:
        d = date(year, first.month, first.day)
    except ValueError:
        return None
    _check_weekday(text, d)
    if not has_time:
        return cal.closing(d)
    moment = first.replace(year=year)
    if moment.tzinfo is not None:
        return moment.astimezone(cal.tz)
    return datetime.combine(d, moment.time())


def _dateutil_zone(name: str | None, offset: int | None) -> tzinfo | None:
    """Zones dateutil may attach: explicit offsets and UTC only (never the machine's local zone)."""
    if offset is not None:
        return timezone(timedelta(seconds=offset))
    if name is None:
        return None
    if name.upper() in _UTC_NAMES:
        return UTC
    raise ValueError(f"unknown time zone {name}")


def _nearest_year(month: int, day: int, today: date) -> int:
    """A date given without a year is the occurrence nearest to today (Jan 5 typed in November is next year's)."""
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return today.year
    return min(candidates, key=lambda d: abs((d - today).days)).year


def _reject_ambiguous_numeric(text: str) -> None:
    for match in _SLASH_DATE_RE.finditer(text):
        first, second = int(match[1]), int(match[2])
        if first != second and 1 <= first <= 12 and 1 <= second <= 12:
            one, other = f"{first} {MONTH_NAMES[second - 1]}", f"{second} {MONTH_NAMES[first - 1]}"
            raise PromiseError(f'the due "{text}" is ambiguous ({one} or {other}?): write 2026-12-01 or 1 Dec')


def _check_weekday(text: str, d: date) -> None:
    match = _WEEKDAY_WORD_RE.search(text.lower())
    if match and _WEEKDAYS[match[1]] != d.weekday():
        actual = f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year} is a {WEEKDAY_NAMES[d.weekday()]}"
        raise PromiseError(f'the due "{text}" names the wrong weekday: {actual}')


# ---------------------------------------------------------------- display


def format_due(due: datetime, now: datetime, tz: tzinfo) -> str:
    """``today 17:00``, ``tomorrow 10:00``, ``Fri 27 17:00`` (within the week ahead), ``Tue 1 Dec 14:00``.

    A date in another year than ``now`` carries its year: ``Tue 1 Dec 2027 14:00``.
    """
    local, today = _aware(due, tz), _aware(now, tz).date()
    days = (local.date() - today).days
    clock = _hhmm(local)
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    if days == -1:
        return f"yesterday {clock}"
    if 2 <= days <= 6:
        return f"{WEEKDAY_NAMES[local.weekday()]} {local.day} {clock}"
    if local.year == today.year:
        return f"{_day_label(local.date())} {clock}"
    return f"{_day_label(local.date())} {local.year} {clock}"


def describe_due(due: datetime, now: datetime) -> str:
    """Time left or overdue in words: ``in 45m``, ``in 1h 59m``, ``in 3d 4h``, ``overdue 5h 2m`` (``whole_units``).

    Less than a minute ahead is ``in 0m``; from the due itself until a minute past it, ``due now``.
    """
    seconds = (due.astimezone(UTC) - now.astimezone(UTC)).total_seconds()
    if -60 < seconds <= 0:
        return "due now"
    amount = whole_units(abs(seconds))
    return f"in {amount}" if seconds > 0 else f"overdue {amount}"


def whole_units(seconds: float) -> str:
    """A duration in two units, the smaller one rounded down: ``45m``, ``1h 59m``, ``2h``, ``1d 23h``, ``3d``.

    One unit alone floored "1h 59m" into "1h" and "1d 23h" into "1d": a due nearly twice as far as it read. Minutes
    are shown under a day, hours from there (``unit_seconds``: when the words next change)."""
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        hours, minutes = divmod(int(seconds // 60), 60)
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(int(seconds // 3600), 24)
    return f"{days}d {hours}h" if hours else f"{days}d"


def unit_seconds(seconds: float) -> int:
    """The smallest unit ``whole_units(seconds)`` shows, in seconds: a minute under a day, else an hour."""
    return 60 if seconds < 86400 else 3600
