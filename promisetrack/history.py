"""The summary of archived promises that the risk rules need, kept in the live file so that no view reads the archive.

When promises move to the archive, what the rules will still want of them stays behind in a small record (the live
file's ``history`` table, record 1), written in the same atomic save of the live file that removes them::

    {"version": 1,
     "leads": {"repair": [[1042, "2026-11-02T15:00:00+00:00", 86400.0], ...]},
     "breakers": {"17": [[1050, "2026-11-03T12:00:00+00:00", "broken"], [1031, "...", "broken"]]}}

- ``leads``: per category, the archived *done* promises as ``[id, closed_at, lead time in business seconds]``,
  newest first, at most ``lead_window_max`` and none closed more than ``lead_window_days`` before the save.
- ``breakers``: per customer id, their last two archived closed promises that were not cancelled, as
  ``[id, closed_at, outcome]`` newest first — kept only while the newest is ``broken`` (a customer whose last archived
  promise was kept can only be a repeat breaker through two broken ones in the live file, so they cost nothing here).

No double counting: an entry is written in the very save of the live file that removes its promise from it, so a
promise is either in the live file or in the summary. The store writes the archive file first: a crash between the
two leaves the promise in the live file and out of the summary (it moves at the next save). Readers skip a summary
entry whose id is in the live file all the same, and entries are de-duplicated by id as they are added.

Pure core: plain dicts in and out; the service reads and writes the record through the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from typing import TYPE_CHECKING, Any, NamedTuple

from promisetrack.leadtimes import lead_seconds
from promisetrack.model import Outcome, Promise, Status
from promisetrack.outcomes import derive_outcome

if TYPE_CHECKING:
    from promisetrack.calendar import BusinessCalendar
    from promisetrack.config import Settings

HISTORY_VERSION = 1
REPEAT_COUNT = 2  # a customer whose last this many closed promises were broken is a repeat breaker


class Closing(NamedTuple):
    """One closed promise as the rules remember it."""

    pid: int
    closed_at: datetime  # UTC
    value: Any  # lead seconds (leads) or an outcome's value (breakers)


def empty_history() -> dict[str, Any]:
    return {"version": HISTORY_VERSION, "leads": {}, "breakers": {}}


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _entry(c: Closing) -> list[Any]:
    return [c.pid, c.closed_at.isoformat(), c.value]


def _closings(entries: Iterable[list[Any]]) -> list[Closing]:
    return [Closing(int(pid), _utc(closed), value) for pid, closed, value in entries]


def newest_first(closings: Iterable[Closing]) -> list[Closing]:
    return sorted(closings, key=lambda c: (c.closed_at, c.pid), reverse=True)


def closing_outcome(p: Promise) -> Closing | None:
    """A closed promise's outcome for the repeat-breaker rule; None for an open or cancelled one."""
    outcome = derive_outcome(p)
    if outcome is None or outcome is Outcome.CANCELLED or p.closed_at is None:
        return None
    return Closing(p.id, p.closed_at.astimezone(UTC), outcome.value)


def is_repeat_breaker(closings: Iterable[Closing]) -> bool:
    """Were the customer's last two closed promises (cancelled ones left out) both broken?"""
    if len(closings := list(closings)) < REPEAT_COUNT:  # most customers: the board asks about every open one's
        return False
    last = newest_first(c for c in closings if c.value != Outcome.CANCELLED.value)[:REPEAT_COUNT]
    return len(last) == REPEAT_COUNT and all(c.value == Outcome.BROKEN.value for c in last)


def lead_entries(history: Mapping[str, Any] | None) -> dict[str, list[Closing]]:
    """The archived lead times by category (newest first)."""
    leads = (history or {}).get("leads", {})
    return {category: _closings(entries) for category, entries in leads.items()}


def breaker_entries_of(history: Mapping[str, Any] | None, customers: Iterable[int]) -> dict[int, list[Closing]]:
    """``breaker_entries`` of those customers only: a desk of years keeps thousands, the board asks about its open
    promises' customers and ``add`` about one."""
    breakers = (history or {}).get("breakers", {})
    found = ((cid, breakers.get(str(cid))) for cid in customers)
    return {cid: _closings(entries) for cid, entries in found if entries}


def breaker_entries(history: Mapping[str, Any] | None) -> dict[int, list[Closing]]:
    """The last archived closings of the customers whose newest archived one was broken."""
    breakers = (history or {}).get("breakers", {})
    return {int(cid): _closings(entries) for cid, entries in breakers.items()}


def in_window(closings: Iterable[Closing], end: datetime, settings: Settings, *, upto: bool = False) -> list[float]:
    """The lead times the rule uses at ``end``: closed in the last ``lead_window_days`` days (and before ``end``
    too if ``upto``), the newest ``lead_window_max`` of them."""
    start = end.astimezone(UTC) - timedelta(days=settings.lead_window_days)
    stop = end.astimezone(UTC)
    kept = [c for c in closings if c.closed_at >= start and (not upto or c.closed_at < stop)]
    return [c.value for c in newest_first(kept)[: settings.lead_window_max]]


def window_from_newest(by_category: Mapping[str, list[Closing]], end: datetime, settings: Settings
                       ) -> tuple[dict[str, list[float]], datetime]:
    """``in_window`` of every category at ``end``, each list already newest first, and the moment until which that
    answer holds as the window moves on: when the oldest lead time it keeps falls out (none newer comes in by time
    alone). The board's minute tick asks again only then."""
    window = timedelta(days=settings.lead_window_days)
    start = end.astimezone(UTC) - window
    until = datetime.max.replace(tzinfo=UTC)
    leads: dict[str, list[float]] = {}
    for category, closings in by_category.items():
        kept = list(takewhile(lambda c: c.closed_at >= start, closings[: settings.lead_window_max]))
        if kept:
            leads[category] = [c.value for c in kept]
            until = min(until, kept[-1].closed_at + window)
    return leads, until


def promises_in_window(closed: Iterable[Promise], end: datetime, settings: Settings, cal: BusinessCalendar
                       ) -> dict[str, list[float]]:
    """Lead times by category of the done promises among ``closed``, within the window ending at ``end`` (a report
    of a past moment, from promises as they stood then)."""
    by_category: dict[str, list[Closing]] = {}
    for p in closed:
        seconds = lead_seconds(p, cal)
        if seconds is not None and p.closed_at is not None:
            by_category.setdefault(p.category, []).append(Closing(p.id, p.closed_at.astimezone(UTC), seconds))
    leads = {category: in_window(c, end, settings, upto=True) for category, c in by_category.items()}
    return {category: seconds for category, seconds in leads.items() if seconds}


def repeat_breakers_among(closed: Iterable[Promise], customers: Iterable[int] | None = None) -> set[int]:
    """The repeat breakers among the customers of ``closed`` (only those in ``customers``, if given)."""
    wanted = None if customers is None else set(customers)
    by_customer: dict[int, list[Closing]] = {}
    for p in closed:
        cid = p.customer.id
        if wanted is not None and cid not in wanted:
            continue
        closing = closing_outcome(p)
        if closing is not None:
            by_customer.setdefault(cid, []).append(closing)
    return {cid for cid, closings in by_customer.items() if is_repeat_breaker(closings)}


def with_archived(
    history: Mapping[str, Any] | None, leaving: Iterable[Mapping[str, Any]], now: datetime,
    cal: BusinessCalendar, settings: Settings,
) -> dict[str, Any]:
    """``history`` with the stored promise records ``leaving`` (moving to the archive) added: a new dict."""
    leads = lead_entries(history)
    breakers = breaker_entries(history)
    for doc in leaving:
        promise = Promise.from_dict(dict(doc))
        seconds = lead_seconds(promise, cal)
        if seconds is not None and promise.closed_at is not None:
            entries = [c for c in leads.get(promise.category, []) if c.pid != promise.id]
            entries.append(Closing(promise.id, promise.closed_at.astimezone(UTC), seconds))
            leads[promise.category] = entries
        closing = closing_outcome(promise)
        if closing is not None:
            cid = promise.customer.id
            breakers[cid] = [c for c in breakers.get(cid, []) if c.pid != promise.id] + [closing]
    start = now.astimezone(UTC) - timedelta(days=settings.lead_window_days)
    out_leads: dict[str, list[list[Any]]] = {}
    for category, closings in sorted(leads.items()):
        kept = [c for c in newest_first(closings) if c.closed_at >= start][: settings.lead_window_max]
        if kept:
            out_leads[category] = [_entry(c) for c in kept]
    out_breakers: dict[str, list[list[Any]]] = {}
    for cid, closings in sorted(breakers.items()):
        last = newest_first(closings)[:REPEAT_COUNT]
        if last and last[0].value == Outcome.BROKEN.value:
            out_breakers[str(cid)] = [_entry(c) for c in last]
    return {"version": HISTORY_VERSION, "leads": out_leads, "breakers": out_breakers}


def from_archive(
    archived: Iterable[Mapping[str, Any]], live_ids: Iterable[int], now: datetime,
    cal: BusinessCalendar, settings: Settings,
) -> dict[str, Any]:
    """The summary of a data dir from before it was kept: built once from every archived record (those still in the
    live file too — a save that stopped between the archive and the live file — are left to move at the next save)."""
    live = set(live_ids)
    leaving = (doc for doc in archived if doc.get("status") != Status.OPEN.value and doc.get("id") not in live)
    return with_archived(empty_history(), leaving, now, cal, settings)
