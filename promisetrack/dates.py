"""Due phrases -> aware datetimes, read on the desk's BusinessCalendar (``promisetrack.calendar``).

Pure core: nothing here reads the wall clock; ``now`` is always an argument. The phrase readers hand back a wall time
naive, so that ``parse_due_with_notes`` can say when it was one in a spring-forward gap or an ambiguous hour (the
calendar's ``wall`` resolves it as described there).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from promisetrack.calendar import (
    MONTH_NAMES,
    WEEKDAY_NAMES,
    BusinessCalendar,
    as_utc,
    aware,
    day_label,
    hhmm,
    wall,
)
from promisetrack.errors import PromiseError

PHRASE_EXAMPLES = "tomorrow 10am, fri 5pm, eod, eow, +2d, +2bd, +3h, +3bh, 2026-12-01 14:00"
# A due further ahead is a typo (a year like 2206); it would also make every business-time sum walk centuries.
MAX_AHEAD = timedelta(days=5 * 365)


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
    now = aware(now, cal.tz)
    try:
        reading = _read(text, now, cal)
        due = None if reading is None else aware(reading, cal.tz)
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
    if as_utc(due) < as_utc(now):
        raise PromiseError(f'the due "{text}" ({format_due(due, now, tz)}) is in the past')
    if _is_zero_amount(text):
        raise PromiseError(
            f'the due "{text}" ({format_due(due, now, tz)}) is now, so the promise would be overdue at once: '
            f"try {PHRASE_EXAMPLES}"
        )
    if as_utc(due) - as_utc(now) > MAX_AHEAD:
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
    day = f"{day_label(asked.date())} {asked.year}"
    if taken.replace(tzinfo=None) != asked:
        where = hhmm(taken) if taken.date() == asked.date() else f"{day_label(taken.date())} {hhmm(taken)}"
        return [f"{hhmm(asked)} does not exist on {day} (clocks go forward): taken as {where}"]
    if asked.replace(tzinfo=tz, fold=1).utcoffset() != taken.utcoffset():
        return [
            f"{hhmm(asked)} happens twice on {day} (clocks go back): taken as the first, "
            f"{hhmm(taken)} {taken.tzname()} ({_offset_text(taken)})"
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
            first = aware(reading, cal.tz)
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
    return today if as_utc(wall(now.date(), t, tz)) > as_utc(now) else today + timedelta(days=1)


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
    local, today = aware(due, tz), aware(now, tz).date()
    days = (local.date() - today).days
    clock = hhmm(local)
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    if days == -1:
        return f"yesterday {clock}"
    if 2 <= days <= 6:
        return f"{WEEKDAY_NAMES[local.weekday()]} {local.day} {clock}"
    if local.year == today.year:
        return f"{day_label(local.date())} {clock}"
    return f"{day_label(local.date())} {local.year} {clock}"


def describe_due(due: datetime, now: datetime) -> str:
    """Time left or overdue in words: ``in 45m``, ``in 1h 59m``, ``in 3d 4h``, ``overdue 5h 2m`` (``whole_units``).

    Less than a minute ahead is ``in 0m``; from the due itself until a minute past it, ``due now``.
    """
    return describe_seconds((due.astimezone(UTC) - now.astimezone(UTC)).total_seconds())


def describe_seconds(seconds: float) -> str:
    """``describe_due`` of a due ``seconds`` from now (negative: past)."""
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
