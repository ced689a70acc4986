"""Period figures of the desk: outcome counts, rates, csat, lead times — per owner, category and week — plus
trends, recurring issues and recognition against the desk's standards.

Pure core: no I/O, no clock. Periods are half-open ``[start, end)`` in the desk's timezone; promises fall in a
period by ``closed_at`` (ARCHITECTURE §4). A rate whose denominator is empty is ``None``, never 0.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from promisetrack.calendar import BusinessCalendar, wall
from promisetrack.errors import PromiseError
from promisetrack.leadtimes import lead_seconds, lead_times_by_category, percentile  # noqa: F401 (shared with risk)
from promisetrack.model import EventKind, Outcome, Promise, Risk, apply
from promisetrack.outcomes import derive_outcome

HOUR = 3600.0
OUTCOMES = (Outcome.KEPT, Outcome.RENEGOTIATED, Outcome.LATE_NOTIFIED, Outcome.BROKEN, Outcome.CANCELLED)
RATE_KEYS = ("on_time_rate", "original_date_rate", "broken_rate", "proactive_contact_rate")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_WEEK = re.compile(r"(\d{4})-?[Ww](\d{1,2})")


# ---------------------------------------------------------------- small helpers


def rate(numerator: int, denominator: int) -> float | None:
    """``numerator / denominator`` as a fraction, None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def percent(value: float | None) -> str:
    """A rate for people: ``92%``; ``—`` when there is no rate."""
    return "—" if value is None else f"{value * 100:.0f}%"


def state_at(p: Promise, moment: datetime) -> Promise | None:
    """The promise as it stood just before ``moment`` (its effective events before then); None if not yet made."""
    cutoff = moment.astimezone(UTC)
    events = [e for e in p.effective_events() if e.at.astimezone(UTC) < cutoff]
    if not events or p.created_at.astimezone(UTC) >= cutoff:
        return None
    q = replace(p, events=events)
    for e in events:
        apply(q, e)
    return q


# ---------------------------------------------------------------- periods


@dataclass(frozen=True, slots=True)
class Period:
    """A half-open span ``[start, end)`` of aware datetimes in the desk's zone, with a label like ``2026-W48``."""

    label: str
    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        """Compared as instants (aware datetimes of one zone compare by wall time, which a DST fold would skew)."""
        return self.start.astimezone(UTC) <= moment.astimezone(UTC) < self.end.astimezone(UTC)

    @property
    def last_day(self) -> date:
        """The last calendar day inside the period (``end`` is exclusive)."""
        return (self.end.astimezone(UTC) - timedelta(microseconds=1)).astimezone(self.end.tzinfo).date()

    def months(self) -> list[str]:
        """Every ``YYYY-MM`` the period touches, in order (the archive files it needs)."""
        first, last = self.start.date(), self.last_day
        months, year, month = [], first.year, first.month
        while (year, month) <= (last.year, last.month):
            months.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def as_json(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _midnight(d: date, tz: tzinfo) -> datetime:
    return wall(d, time(0), tz)


def month_period(year: int, month: int, tz: tzinfo) -> Period:
    if not 1 <= month <= 12 or not 1 <= year <= 9998:
        raise PromiseError(f"there is no month {year:04d}-{month:02d}; a month looks like 2026-11")
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(f"{year:04d}-{month:02d}", _midnight(date(year, month, 1), tz), _midnight(following, tz))


def week_period(year: int, week: int, tz: tzinfo) -> Period:
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PromiseError(
            f"there is no ISO week {year:04d}-W{week:02d}; a week looks like 2026-W48 (weeks run 01 to 52 or 53)"
        ) from None
    return Period(f"{year:04d}-W{week:02d}", _midnight(monday, tz), _midnight(monday + timedelta(days=7), tz))


def range_period(first: date, last: date, tz: tzinfo) -> Period:
    """From the start of ``first`` to the end of ``last`` (both days included)."""
    if last < first:
        raise PromiseError(f"--from {first.isoformat()} is after --to {last.isoformat()}")
    return Period(f"{first.isoformat()}..{last.isoformat()}", _midnight(first, tz),
                  _midnight(last + timedelta(days=1), tz))


def parse_month(text: str, tz: tzinfo) -> Period:
    match = _MONTH.fullmatch(text.strip())
    if not match:
        raise PromiseError(f"a month looks like 2026-11, not {text!r}")
    return month_period(int(match[1]), int(match[2]), tz)


def parse_week(text: str, tz: tzinfo) -> Period:
    match = _WEEK.fullmatch(text.strip())
    if not match:
        raise PromiseError(f"an ISO week looks like 2026-W48, not {text!r}")
    return week_period(int(match[1]), int(match[2]), tz)


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PromiseError(f"{option} takes a date like 2026-11-23, not {text!r}") from None


def month_of(moment: datetime, tz: tzinfo) -> Period:
    local = moment.astimezone(tz)
    return month_period(local.year, local.month, tz)


def week_of(moment: datetime, tz: tzinfo) -> Period:
    year, week, _ = moment.astimezone(tz).isocalendar()
    return week_period(year, week, tz)


def previous_week(moment: datetime, tz: tzinfo) -> Period:
    """The ISO week just ended: the one before the week of ``moment``."""
    monday = week_of(moment, tz).start.date()
    return week_of(_midnight(monday - timedelta(days=1), tz), tz)


def parse_period(
    now: datetime,
    tz: tzinfo,
    *,
    month: str | None = None,
    week: str | None = None,
    first: str | None = None,
    last: str | None = None,
) -> Period:
    """The period of ``--month``, ``--week`` or ``--from/--to``; the month of ``now`` when none is given.

    ``--from`` without ``--to`` runs to today.
    """
    given = [name for name, value in (("--month", month), ("--week", week), ("--from", first or last)) if value]
    if len(given) > 1:
        raise PromiseError(f"give one period: {' or '.join(given)}, not both")
    if month:
        return parse_month(month, tz)
    if week:
        return parse_week(week, tz)
    if last and not first:
        raise PromiseError("--to needs --from (e.g. --from 2026-11-01 --to 2026-11-15)")
    if first:
        end = parse_day(last, "--to") if last else now.astimezone(tz).date()
        return range_period(parse_day(first, "--from"), end, tz)
    return month_of(now, tz)


def previous(period: Period, tz: tzinfo) -> Period:
    """The period of the same kind just before: the previous week, month, or a span of as many days."""
    day_before = _midnight(period.start.astimezone(tz).date() - timedelta(days=1), tz)
    if _WEEK.fullmatch(period.label):
        return week_of(day_before, tz)
    if _MONTH.fullmatch(period.label):
        return month_of(day_before, tz)
    days = (period.last_day - period.start.astimezone(tz).date()).days
    return range_period(day_before.date() - timedelta(days=days), day_before.date(), tz)


def recent_weeks(now: datetime, tz: tzinfo, count: int = 8) -> list[Period]:
    """The last ``count`` ISO weeks, oldest first, ending with the week of ``now``."""
    weeks = [week_of(now, tz)]
    while len(weeks) < count:
        weeks.insert(0, week_of(_midnight(weeks[0].start.date() - timedelta(days=1), tz), tz))
    return weeks


def recent_months(now: datetime, tz: tzinfo, count: int = 6) -> list[Period]:
    """The last ``count`` months, oldest first, ending with the month of ``now``."""
    months = [month_of(now, tz)]
    while len(months) < count:
        months.insert(0, month_of(_midnight(months[0].start.date() - timedelta(days=1), tz), tz))
    return months


# ---------------------------------------------------------------- figures


class OpenRow(Protocol):
    """An open promise with its risk at the period's end (``service.Row`` fits)."""

    @property
    def promise(self) -> Promise: ...

    @property
    def risk(self) -> Risk | None: ...


@dataclass(frozen=True, slots=True)
class Figures:
    """The figures of one group of promises closed in a period (ARCHITECTURE §4), and its open ones at the end."""

    counts: dict[str, int]
    csat_mean: float | None = None
    csat_count: int = 0
    complaints: int = 0
    lead_time_p50_hours: float | None = None
    lead_time_p80_hours: float | None = None
    open_overdue: int = 0
    open_at_risk: int = 0
    waited_count: int = 0  # promises that waited on the customer
    waited_total_hours: float | None = None  # business hours waited, all of them together
    waited_median_hours: float | None = None  # per promise that waited
    ack_count: int = 0  # alerts acknowledged
    ack_p50_minutes: float | None = None  # business minutes from an alert to its acknowledgement
    ack_p80_minutes: float | None = None

    @property
    def closed(self) -> int:
        return self.counts["closed"]

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.counts["kept"] + self.counts["renegotiated"], self.closed)

    @property
    def original_date_rate(self) -> float | None:
        return rate(self.counts["kept"], self.closed)

    @property
    def broken_rate(self) -> float | None:
        return rate(self.counts["broken"], self.closed)

    @property
    def proactive_contact_rate(self) -> float | None:
        told = self.counts["renegotiated"] + self.counts["late_notified"]
        return rate(told, told + self.counts["broken"])

    def as_json(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "on_time_rate": self.on_time_rate,
            "original_date_rate": self.original_date_rate,
            "broken_rate": self.broken_rate,
            "proactive_contact_rate": self.proactive_contact_rate,
            "csat_mean": self.csat_mean,
            "csat_count": self.csat_count,
            "complaints": self.complaints,
            "lead_time_p50_hours": self.lead_time_p50_hours,
            "lead_time_p80_hours": self.lead_time_p80_hours,
            "open_overdue": self.open_overdue,
            "open_at_risk": self.open_at_risk,
            "waited_count": self.waited_count,
            "waited_total_hours": self.waited_total_hours,
            "waited_median_hours": self.waited_median_hours,
            "ack_count": self.ack_count,
            "ack_p50_minutes": self.ack_p50_minutes,
            "ack_p80_minutes": self.ack_p80_minutes,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """A period's figures: overall, per owner and per category."""

    period: Period
    overall: Figures
    by_owner: dict[str, Figures] = field(default_factory=dict)
    by_category: dict[str, Figures] = field(default_factory=dict)
    by_shop: dict[str, Figures] = field(default_factory=dict)  # only for a chain of shops seen together

    def as_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"period": self.period.as_json(), "label": self.period.label}
        doc.update(self.overall.as_json())
        doc["by_owner"] = {name: f.as_json() for name, f in self.by_owner.items()}
        doc["by_category"] = {name: f.as_json() for name, f in self.by_category.items()}
        if self.by_shop:  # a desk of one shop keeps the keys it always had
            doc["by_shop"] = {name: f.as_json() for name, f in self.by_shop.items()}
        return doc


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / HOUR, 2)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def waited_seconds(p: Promise) -> float:
    """Business time the promise spent waiting on the customer (each resume records what it waited)."""
    return sum(float(e.data.get("waited", 0)) for e in p.effective_events() if e.kind is EventKind.RESUMED)


def ack_seconds(p: Promise, cal: BusinessCalendar) -> list[float]:
    """Business time from each alert of the promise to its acknowledgement."""
    return [
        cal.business_seconds(datetime.fromisoformat(e.data["raised"]), e.at)
        for e in p.effective_events() if e.kind is EventKind.ACKNOWLEDGED and e.data.get("raised")
    ]


def figures_of(
    closed: Iterable[Promise], cal: BusinessCalendar, open_rows: Iterable[OpenRow] = ()
) -> Figures:
    """Figures of promises already chosen for a period (closed ones; open ones are ignored). ``complaints``
    counts the closed promises (cancelled included) that came with a complaint."""
    counts = dict.fromkeys((o.value for o in OUTCOMES), 0)
    scores: list[int] = []
    leads: list[float] = []
    complaints = 0
    waits: list[float] = []
    acks: list[float] = []
    for p in closed:
        outcome = derive_outcome(p)
        if outcome is None:
            continue
        if waited := waited_seconds(p):
            waits.append(waited)
        acks += ack_seconds(p, cal)
        counts[outcome.value] += 1
        complaints += p.complaint
        if outcome is not Outcome.CANCELLED and p.csat is not None:
            scores.append(int(p.csat))
        lead = lead_seconds(p, cal)
        if lead is not None:
            leads.append(lead)
    counts["closed"] = sum(counts[o.value] for o in OUTCOMES if o is not Outcome.CANCELLED)
    risks = Counter(row.risk for row in open_rows)
    return Figures(
        counts=counts,
        csat_mean=sum(scores) / len(scores) if scores else None,
        csat_count=len(scores),
        complaints=complaints,
        lead_time_p50_hours=_hours(percentile(leads, 0.5)),
        lead_time_p80_hours=_hours(percentile(leads, 0.8)),
        open_overdue=risks[Risk.OVERDUE],
        open_at_risk=risks[Risk.AT_RISK],
        waited_count=len(waits),
        waited_total_hours=_hours(sum(waits)) if waits else None,
        waited_median_hours=_hours(percentile(waits, 0.5)),
        ack_count=len(acks),
        ack_p50_minutes=_minutes(percentile(acks, 0.5)),
        ack_p80_minutes=_minutes(percentile(acks, 0.8)),
    )


def closed_in(promises: Iterable[Promise], period: Period) -> list[Promise]:
    """The promises closed (done or cancelled) within the period."""
    return [p for p in promises if not p.is_open and p.closed_at is not None and period.contains(p.closed_at)]


def _group(items: Iterable[Any], key: Any) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def figures(
    promises: Iterable[Promise], period: Period, cal: BusinessCalendar, open_rows_at_end: Iterable[OpenRow] = (),
    *, shops: Iterable[str] = (),
) -> Report:
    """The period's report: promises closed in it by outcome, per owner and per category — and per shop when
    ``shops`` names the chain's shops (each listed, also one with nothing in the period); the open rows (promises
    open at the period's end with their risk then) give the overdue and at-risk counts."""
    closed = closed_in(promises, period)
    rows = list(open_rows_at_end)
    owners = _group(closed, lambda p: p.owner)
    owner_rows = _group(rows, lambda r: r.promise.owner)
    categories = _group(closed, lambda p: p.category)
    category_rows = _group(rows, lambda r: r.promise.category)
    shop_names = list(shops)
    by_shop: dict[str, Figures] = {}
    if shop_names:
        in_shop = _group(closed, lambda p: p.shop)
        shop_rows = _group(rows, lambda r: r.promise.shop)
        by_shop = {name: figures_of(in_shop.get(name, []), cal, shop_rows.get(name, []))
                   for name in sorted(set(shop_names) | in_shop.keys() | shop_rows.keys(), key=str.casefold)}
    return Report(
        by_shop=by_shop,
        period=period,
        overall=figures_of(closed, cal, rows),
        by_owner={
            name: figures_of(owners.get(name, []), cal, owner_rows.get(name, []))
            for name in sorted(owners.keys() | owner_rows.keys(), key=str.casefold)
        },
        by_category={
            name: figures_of(categories.get(name, []), cal, category_rows.get(name, []))
            for name in sorted(categories.keys() | category_rows.keys(), key=str.casefold)
        },
    )


# ---------------------------------------------------------------- trends


@dataclass(frozen=True, slots=True)
class TrendPoint:
    label: str
    closed: int
    on_time_rate: float | None
    proactive_contact_rate: float | None

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "closed": self.closed, "on_time_rate": self.on_time_rate,
                "proactive_contact_rate": self.proactive_contact_rate}


def trend(promises: Iterable[Promise], periods: Sequence[Period], cal: BusinessCalendar) -> list[TrendPoint]:
    """On-time and proactive-contact rates for each period, in the order given (e.g. ``recent_weeks``)."""
    pool = list(promises)
    points = []
    for period in periods:
        f = figures_of(closed_in(pool, period), cal)
        points.append(TrendPoint(period.label, f.closed, f.on_time_rate, f.proactive_contact_rate))
    return points


# ---------------------------------------------------------------- recurring issues

# Words too common to say anything about an issue (words under 3 letters are never counted).
STOP_WORDS = frozenset({
    "about", "after", "again", "all", "also", "and", "any", "are", "back", "been", "before", "but", "can",
    "could", "did", "does", "for", "from", "get", "got", "had", "has", "have", "her", "him", "his", "how", "into",
    "its", "just", "more", "need", "needs", "not", "now", "off", "once", "our", "out", "over", "please", "she",
    "some", "still", "than", "that", "the", "their", "them", "then", "there", "they", "this", "too", "very",
    "was", "were", "what", "when", "which", "while", "who", "will", "with", "would", "yet", "you", "your",
    "customer", "customers",
})
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def words_of(text: str) -> set[str]:
    """The distinct words of a promise's text worth counting: lower case, 3+ letters, no stop words."""
    found = {w.casefold().replace("’", "'") for w in _WORD.findall(text)}
    return {w for w in found if len(w) >= 3 and w not in STOP_WORDS}


@dataclass(frozen=True, slots=True)
class Recurring:
    """Something that keeps coming back: how often in all, and in each recent week (oldest first)."""

    name: str
    total: int
    weekly: tuple[int, ...]

    @property
    def weeks_seen(self) -> int:
        return sum(1 for n in self.weekly if n)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "total": self.total, "weekly": list(self.weekly), "weeks_seen": self.weeks_seen}


def _ranked(counts: Mapping[str, list[int]], min_total: int, limit: int) -> list[Recurring]:
    items = [Recurring(name, sum(weekly), tuple(weekly)) for name, weekly in counts.items()]
    items = [r for r in items if r.total >= min_total]
    items.sort(key=lambda r: (-r.total, -r.weeks_seen, r.name))
    return items[:limit]


def recurring_issues(
    promises: Iterable[Promise], weeks: Sequence[Period], *, min_total: int = 2, limit: int = 10
) -> dict[str, list[Recurring]]:
    """Categories and frequent words of complaint promises made in ``weeks`` (by ``created_at``), with counts
    per week; only what came up at least ``min_total`` times. A word counts once per promise."""
    categories: dict[str, list[int]] = {}
    words: dict[str, list[int]] = {}
    for p in promises:
        if not p.complaint:
            continue
        index = next((i for i, w in enumerate(weeks) if w.contains(p.created_at)), None)
        if index is None:
            continue
        categories.setdefault(p.category, [0] * len(weeks))[index] += 1
        for word in words_of(p.what):
            words.setdefault(word, [0] * len(weeks))[index] += 1
    return {"categories": _ranked(categories, min_total, limit), "words": _ranked(words, min_total, limit)}


# ---------------------------------------------------------------- recognition


@dataclass(frozen=True, slots=True)
class Standards:
    on_time: float = 0.90
    proactive: float = 0.80
    csat: float = 4.5

    @classmethod
    def from_settings(cls, settings: Any) -> Standards:
        return cls(settings.standard_on_time, settings.standard_proactive, settings.standard_csat)


def _meets(value: float | None, standard: float) -> bool | None:
    return None if value is None else value >= standard - 1e-9


@dataclass(frozen=True, slots=True)
class Recognition:
    """One staff member against the desk's standards in a period; ``None`` where there is nothing to judge."""

    person: str
    figures: Figures
    on_time: bool | None
    proactive: bool | None
    csat: bool | None
    kudos: int
    kudos_total: int
    nominations: int = 0  # of ``kudos``: those from customers (``--from-customer``), in the period
    nominations_total: int = 0

    @property
    def colleague_kudos(self) -> int:
        """Praise from colleagues in the period: ``kudos`` less the customers' nominations."""
        return self.kudos - self.nominations

    @property
    def meets_all(self) -> bool | None:
        """True when every standard that could be judged is met (None when none could)."""
        judged = [m for m in (self.on_time, self.proactive, self.csat) if m is not None]
        return all(judged) if judged else None

    def as_json(self) -> dict[str, Any]:
        f = self.figures
        return {
            "person": self.person, "closed": f.closed, "on_time_rate": f.on_time_rate,
            "proactive_contact_rate": f.proactive_contact_rate, "csat_mean": f.csat_mean,
            "meets": {"on_time": self.on_time, "proactive_contact": self.proactive, "csat": self.csat},
            "meets_all": self.meets_all, "kudos": self.kudos, "kudos_total": self.kudos_total,
            "colleague_kudos": self.colleague_kudos, "nominations": self.nominations,
            "nominations_total": self.nominations_total,
        }


def recognition(
    promises: Iterable[Promise],
    period: Period,
    cal: BusinessCalendar,
    standards: Standards,
    kudos: Iterable[Mapping[str, Any]] = (),
    staff: Iterable[str] = (),
) -> list[Recognition]:
    """Each staff member (the desk's staff, every owner of a promise closed in the period and everyone praised)
    against the standards, with kudos received in the period and in all."""
    closed = _group(closed_in(promises, period), lambda p: p.owner)
    praise: dict[str, list[datetime]] = {}
    nominated: dict[str, list[datetime]] = {}  # the customers' nominations, counted apart from colleagues' kudos
    for doc in kudos:
        at = datetime.fromisoformat(doc["at"])
        praise.setdefault(str(doc["person"]).casefold(), []).append(at)
        if doc.get("from_customer"):
            nominated.setdefault(str(doc["person"]).casefold(), []).append(at)
    names: dict[str, str] = {}
    for name in [*staff, *closed, *(str(doc["person"]) for doc in kudos)]:
        names.setdefault(name.casefold(), name)
    people = []
    for key, name in sorted(names.items()):
        mine = [p for owner, ps in closed.items() if owner.casefold() == key for p in ps]
        f = figures_of(mine, cal)
        times, nominations = praise.get(key, []), nominated.get(key, [])
        people.append(Recognition(
            person=name, figures=f,
            on_time=_meets(f.on_time_rate, standards.on_time),
            proactive=_meets(f.proactive_contact_rate, standards.proactive),
            csat=_meets(f.csat_mean, standards.csat),
            kudos=sum(1 for t in times if period.contains(t)),
            kudos_total=len(times),
            nominations=sum(1 for t in nominations if period.contains(t)),
            nominations_total=len(nominations),
        ))
    return people


# ---------------------------------------------------------------- tables for people

# Columns of a figures table, shared by the CLI report and the Markdown summary.
TABLE_HEADINGS = (
    "closed", "kept", "reneg", "late", "broken", "canc", "on-time", "orig", "broken%", "proact", "csat(n)", "compl",
    "lead h", "overdue", "at-risk",
)


def _number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def table_cells(f: Figures) -> list[str]:
    """One row of a figures table, as text: counts, rates in %, csat with its count, lead time p50/p80 in hours."""
    c = f.counts
    lead = "—" if f.lead_time_p50_hours is None else (
        f"{_number(f.lead_time_p50_hours)}/{_number(f.lead_time_p80_hours)}"
    )
    return [
        str(c["closed"]), str(c["kept"]), str(c["renegotiated"]), str(c["late_notified"]), str(c["broken"]),
        str(c["cancelled"]), percent(f.on_time_rate), percent(f.original_date_rate), percent(f.broken_rate),
        percent(f.proactive_contact_rate), f"{_number(f.csat_mean)} ({f.csat_count})", str(f.complaints), lead,
        str(f.open_overdue), str(f.open_at_risk),
    ]
