"""Risk of an open promise — ok, at risk (with reasons) or overdue — and the reality check at promise time.

``assess`` also says when its answer could next change by time alone (``recheck_at``): its level, or the words
of a reason that counts time ("only 1.4 business hours left", "overdue 3h"). So the board's minute tick
re-assesses only the promises whose moment has come, and still shows every reason as it reads now.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from promisetrack.calendar import BusinessCalendar, micros, wall
from promisetrack.clock import shift
from promisetrack.dates import describe_due, unit_seconds, whole_units
from promisetrack.leadtimes import lead_times_by_category, percentile
from promisetrack.model import Customer, Promise, Risk

if TYPE_CHECKING:
    from promisetrack.config import Settings

HOUR = 3600.0
REPEAT_BREAKER = "customer: last 2 promises broken — supervisor"
BUSINESS_DAY = 8 * HOUR  # as hours_text counts them
_JUST_AFTER = timedelta(microseconds=1)


class Assessment(NamedTuple):
    level: Risk
    reasons: tuple[str, ...] = ()
    recheck_at: datetime | None = None


@dataclass(slots=True)
class RiskContext:
    calendar: BusinessCalendar
    settings: Settings
    lead_p80: dict[str, float] = field(default_factory=dict)
    load: dict[tuple[str, date], set[int]] = field(default_factory=dict)
    repeat_breakers: set[int] = field(default_factory=set)  # customer ids whose last 2 closed promises were broken

    def due_day(self, due: datetime) -> date:
        return due.astimezone(self.calendar.tz).date()

    def load_of(self, owner: str, due: datetime, pid: int) -> int:
        """Open promises of ``owner`` due that day, counting promise ``pid`` once."""
        ids = self.load.get((owner, self.due_day(due)))
        return len(ids) + (pid not in ids) if ids else 1


def build_context(
    open_promises: Iterable[Promise], closed: Iterable[Promise], cal: BusinessCalendar, settings: Settings,
    *, leads: Mapping[str, Sequence[float]] | None = None, repeat_breakers: Iterable[int] = (),
) -> RiskContext:
    """The load of every owner's days and each category's p80 lead time, from open and closed promises (or from
    ``leads``, lead times by category already chosen from a window), and the customers who are repeat breakers."""
    loads = ((p.owner, p.due, p.id) for p in open_promises)
    chosen = lead_times_by_category(closed, cal) if leads is None else leads
    return context_from(loads, chosen, cal, settings, repeat_breakers=repeat_breakers)


def context_from(
    loads: Iterable[tuple[str, datetime, int]],
    leads: Mapping[str, Sequence[float]],
    cal: BusinessCalendar,
    settings: Settings,
    *,
    repeat_breakers: Iterable[int] = (),
) -> RiskContext:
    """``build_context`` from its raw material: (owner, due, id) of each open promise and lead times (seconds) by
    category. The service feeds it straight from stored records, so the board and ``add`` need not build every
    promise of the live file to know the load and the lead times."""
    ctx = RiskContext(cal, settings, repeat_breakers=set(repeat_breakers))
    for owner, due, pid in loads:
        ctx.load.setdefault((owner, ctx.due_day(due)), set()).add(pid)
    for category, seconds in leads.items():
        if len(seconds) >= settings.lead_samples:
            ctx.lead_p80[category] = percentile(seconds, 0.8) or 0.0
    return ctx


def hours_text(seconds: float) -> str:
    hours = seconds / HOUR
    if hours >= 8:
        return f"{hours / 8:.1f} business days"
    return f"{hours:.1f} business hours"


def _text_turns(seconds: float, *, shrinking: bool) -> float:
    """Business seconds until ``hours_text(seconds)`` reads differently, as ``seconds`` shrinks (time left) or grows
    (time without a contact) with business time: it shows tenths of an hour below 8 hours, tenths of a day from
    there. At least a minute, so that a value right on a boundary is not re-checked at every tick."""
    unit = BUSINESS_DAY / 10 if seconds >= BUSINESS_DAY else HOUR / 10
    x = seconds / unit  # the tenths shown change where x crosses a half; on one (x.5), just past it
    if shrinking:
        step = (x - (math.floor(x - 0.5 + 1e-9) + 0.5)) * unit
        if seconds >= BUSINESS_DAY:
            step = min(step, seconds - BUSINESS_DAY)  # under 8 hours it reads in hours
    else:
        step = (math.ceil(x - 0.5 - 1e-9) + 0.5 - x) * unit
        if seconds < BUSINESS_DAY:
            step = min(step, BUSINESS_DAY - seconds)
    return max(step, 60.0)


def _overdue_turns(due: datetime, now: datetime) -> datetime:
    """When "overdue 5m" (minutes under a day, "1h 59m"; then hours, "2d 3h") next reads differently."""
    elapsed = (now.astimezone(UTC) - due.astimezone(UTC)).total_seconds()
    unit = unit_seconds(elapsed)
    return shift(due, timedelta(seconds=(math.floor(elapsed / unit) + 1) * unit))


def _earliest_quiet(p: Promise) -> datetime:
    """Since when the silence rule counts: the last contact (or creation), or the end of a wait on the customer."""
    since = p.last_contact() or p.created_at
    resumed = p.last_resumed()
    return max(since, resumed) if resumed else since


def _earliest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def _fires_at(cal: BusinessCalendar, flag: int) -> datetime:
    """When a rule whose flag is at position ``flag`` on the open-time axis starts to hold. The rules are strict
    ("less than 2 business hours left"): they hold from just after the flag in open time. So a flag in open hours
    is its own moment, and one at closing time (or in the night) fires at the next opening, since no business time
    passes in between."""
    return cal.moment_at(flag + 1) - _JUST_AFTER


def waiting_text(p: Promise, now: datetime) -> str:
    """``waiting 2h: bring the laptop`` — how long the promise has waited on the customer, and for what."""
    assert p.waiting_since is not None
    elapsed = (now.astimezone(UTC) - p.waiting_since.astimezone(UTC)).total_seconds()
    waited = "waiting just now" if elapsed < 60 else f"waiting {whole_units(elapsed)}"
    return f"{waited}: {p.waiting_note}" if p.waiting_note else waited


def _assess_waiting(p: Promise, now: datetime, cal: BusinessCalendar) -> Assessment:
    """Waiting on the customer: no risk rule runs — until the "until" the customer gave passes."""
    assert p.waiting_since is not None
    until = p.waiting_until
    if until is None or now <= until:
        return Assessment(Risk.WAITING, (waiting_text(p, now),),
                          _earliest(_overdue_turns(p.waiting_since, now), until and until + _JUST_AFTER))
    what = p.waiting_note or "get back to us"
    return Assessment(Risk.AT_RISK, (f"customer was to {what} by {until.astimezone(cal.tz):%a %H:%M}",), None)


def _time_left(remaining: float, now: datetime, due: datetime, cal: BusinessCalendar) -> str:
    """``only 1.9 business hours left``; but at 03:25 before a 09:00 due, when that reads "only 0.0 business hours",
    ``opens 09:00, due 09:00`` — the desk is closed and will have next to no time once it opens."""
    text = hours_text(remaining)
    if text != "0.0 business hours" or cal.is_open_at(now):
        return f"only {text} left"
    opening = cal.moment_at(cal.open_time(now), forward=False).astimezone(cal.tz)
    local_now, local_due = now.astimezone(cal.tz), due.astimezone(cal.tz)

    def when(moment: datetime) -> str:
        return f"{moment:%H:%M}" if moment.date() == local_now.date() else f"{moment:%a %H:%M}"

    if opening > local_due:  # due while the desk is closed: no opening comes before it
        return f"no business hours left: due {when(local_due)}, the desk is closed"
    return f"opens {when(opening)}, due {when(local_due)}"


def assess(p: Promise, now: datetime, ctx: RiskContext) -> Assessment:
    """The rules of ARCHITECTURE §5 (time, lead time, load, blocked, silence, repeat breaker) plus overdue; none
    while the promise waits on the customer."""
    cal, s = ctx.calendar, ctx.settings
    if p.waiting_since is not None:
        return _assess_waiting(p, now, cal)
    reasons: list[str] = []
    if p.blocked:
        reasons.append(f"blocked: {p.blocked_note}" if p.blocked_note else "blocked")
    capacity = s.daily_capacity
    load = ctx.load_of(p.owner, p.due, p.id)
    if load > capacity:
        reasons.append(f"{p.owner} has {load} due {p.due.astimezone(cal.tz):%a %d %b} (capacity {capacity})")
    if p.customer.id in ctx.repeat_breakers:
        reasons.append(REPEAT_BREAKER)
    if now > p.due:
        late = describe_due(p.due, now)
        return Assessment(Risk.OVERDUE, (late if late.startswith("overdue") else "overdue just now", *reasons),
                          _overdue_turns(p.due, now))

    # Positions on the calendar's open-time axis (microseconds): business time is a difference of two.
    at_now, at_due, at_set = cal.open_time(now), cal.open_time(p.due), cal.open_time(p.due_set_at())
    remaining = (at_due - at_now) / 1e6
    window = max(at_due - at_set, 0) / 1e6
    threshold = max(s.warn_hours.get(p.category, s.min_hours) * HOUR, s.window_fraction * window)
    # The flags (positions) of the rules that do not hold yet (that of a rule that holds has passed): recheck_at is
    # the first moment one of them fires.
    flags: list[int] = []
    turns: list[float] = []  # business seconds until the text of a reason that holds changes ("only 1.4 ...")
    word_turns: list[datetime] = []  # when _time_left's words change as the desk closes or opens
    if remaining < threshold:
        reasons.append(_time_left(remaining, now, p.due, cal))
        turns.append(_text_turns(remaining, shrinking=True))
        word_turns.append(cal.moment_at(at_due, forward=True))  # the time runs out: the due, or closing before it
        if not cal.is_open_at(now):  # the next opening; and midnight, where "Tue 09:00" becomes "09:00"
            tomorrow = now.astimezone(cal.tz).date() + timedelta(days=1)
            word_turns += [cal.moment_at(at_now, forward=False), wall(tomorrow, time(0), cal.tz)]
    else:
        flags.append(at_due - micros(threshold))
    p80 = ctx.lead_p80.get(p.category)
    if p80 is not None and p80 > threshold:  # a p80 within the threshold never speaks: the time rule does first
        if remaining >= p80:
            flags.append(at_due - micros(p80))
        elif remaining >= threshold:
            reasons.append(f"{p.category} usually takes {hours_text(p80)} (p80); {hours_text(remaining)} left")
            turns.append(_text_turns(remaining, shrinking=True))
    at_since = cal.open_time(_earliest_quiet(p))
    interval = s.update_interval_hours * HOUR
    quiet = max(at_now - at_since, 0) / 1e6
    if quiet > interval:
        reasons.append(f"no contact for {hours_text(quiet)}")
        turns.append(_text_turns(quiet, shrinking=False))
    else:
        flags.append(at_since + micros(interval))
    # A moment equal to ``now`` is still to come (the rule holds only after it): re-check then, i.e. next tick.
    # _fires_at never runs backwards along the axis: the first flag, in order, that fires from now on is the earliest.
    moments = [next((m for flag in sorted(flags) if (m := _fires_at(cal, flag)) >= now), None)]
    if turns:
        moments.append(cal.moment_at(at_now + micros(min(turns))))
    recheck = _earliest(*moments, *(m for m in word_turns if m > now), p.due)
    level = Risk.AT_RISK if reasons else Risk.OK
    return Assessment(level, tuple(reasons), recheck)


def level_of_record(doc: Mapping[str, Any], now: datetime, ctx: RiskContext, at_now: int | None = None) -> Risk:
    """The level ``assess`` gives the open promise of stored record ``doc`` at ``now``, worked out from the record
    without building the promise or any reason's words: the board's header counts need every promise's level, its
    first screen the reasons of a screenful only. The same rules in the same terms as ``assess``;
    tests/reliability/test_first_board.py holds the two together. ``at_now``: ``now``'s position on the calendar's
    open-time axis, for a caller that asks about many records at one moment."""
    since = doc.get("waiting_since")
    if since:
        until = doc.get("waiting_until")
        return Risk.WAITING if until is None or now <= datetime.fromisoformat(until) else Risk.AT_RISK
    due = datetime.fromisoformat(doc["due"])
    if now > due:
        return Risk.OVERDUE
    cal, s = ctx.calendar, ctx.settings
    if (doc.get("blocked") or ctx.load_of(doc["owner"], due, int(doc["id"])) > s.daily_capacity
            or int(doc["customer"]["id"]) in ctx.repeat_breakers):
        return Risk.AT_RISK
    created = datetime.fromisoformat(doc["created_at"])
    set_at, contact, resumed = created, None, None
    for event in _effective_records(doc.get("events") or ()):
        kind = event["kind"]
        if kind == "rescheduled":
            set_at = datetime.fromisoformat(event["at"])  # the last in order, as Promise.due_set_at
            contact = set_at if contact is None else max(contact, set_at)
        elif kind == "contacted":
            at = datetime.fromisoformat(event["at"])
            contact = at if contact is None else max(contact, at)
        elif kind == "resumed":
            resumed = datetime.fromisoformat(event["at"])
    if at_now is None:
        at_now = cal.open_time(now)
    at_due, at_set = cal.open_time(due), cal.open_time(set_at)
    remaining = (at_due - at_now) / 1e6
    window = max(at_due - at_set, 0) / 1e6
    threshold = max(s.warn_hours.get(doc["category"], s.min_hours) * HOUR, s.window_fraction * window)
    if remaining < threshold:
        return Risk.AT_RISK
    p80 = ctx.lead_p80.get(doc["category"])
    if p80 is not None and p80 > threshold and remaining < p80:
        return Risk.AT_RISK
    quiet_since = contact or created
    if resumed is not None:
        quiet_since = max(quiet_since, resumed)
    quiet = max(at_now - cal.open_time(quiet_since), 0) / 1e6
    return Risk.AT_RISK if quiet > s.update_interval_hours * HOUR else Risk.OK


def _effective_records(events: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
    """The stored events in force, as ``Promise.effective_events``: all but ``undone`` markers and what they undid."""
    if all(e["kind"] != "undone" for e in events):
        return events
    undone = {e["data"]["event"] for e in events if e["kind"] == "undone"}
    return [e for i, e in enumerate(events) if i not in undone and e["kind"] != "undone"]


def reality_check(
    due: datetime, now: datetime, owner: str, category: str, ctx: RiskContext, pid: int = 0, customer: int = 0
) -> list[str]:
    """What would make this promise hard to keep, said before it is made (or rescheduled); ``customer`` is the
    customer's id, when known (a repeat breaker's promise is one for the supervisor)."""
    probe = Promise(
        id=pid, customer=Customer(customer, ""), what="", owner=owner, category=category,
        created_at=now, original_due=due, due=due,
    )
    warnings = list(ctx.calendar.reality_warnings(due))
    warnings += [r for r in assess(probe, now, ctx).reasons if not r.startswith("no contact")]
    return warnings
