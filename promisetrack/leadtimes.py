"""Lead times — business time from a promise made to it done — and the nearest-rank percentile over them.

Pure core, shared by the risk rules (a category's p80 lead time) and the period figures (p50/p80). It lives apart
from ``metrics`` so that the board, ``list`` and ``add`` can use the rule without importing the whole of ``metrics``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from promisetrack.model import EventKind, Promise, Status

if TYPE_CHECKING:
    from promisetrack.calendar import BusinessCalendar


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1) — a value that really occurred; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[rank - 1]


def lead_seconds(p: Promise, cal: BusinessCalendar) -> float | None:
    """Business time from promise made to promise done, less the time it waited on the customer (the desk's own
    time: what the lead-time rule predicts); None unless done."""
    if p.status is not Status.DONE or p.closed_at is None:
        return None
    waited = sum(float(e.data.get("waited", 0)) for e in p.effective_events() if e.kind is EventKind.RESUMED)
    return max(cal.business_seconds(p.created_at, p.closed_at) - waited, 0.0)


_DONE, _RESUMED, _UNDONE = Status.DONE.value, EventKind.RESUMED.value, EventKind.UNDONE.value  # as stored


def record_lead_seconds(doc: Mapping[str, Any], cal: BusinessCalendar) -> float | None:
    """``lead_seconds`` of a stored promise record, read without building the ``Promise`` (and its events)."""
    closed = doc.get("closed_at")
    if doc.get("status") != _DONE or not closed:
        return None
    seconds = cal.business_seconds(datetime.fromisoformat(doc["created_at"]), datetime.fromisoformat(closed))
    events = doc.get("events", ())
    undone = {(e.get("data") or {}).get("event") for e in events if e.get("kind") == _UNDONE}
    waited = sum(float((e.get("data") or {}).get("waited", 0)) for i, e in enumerate(events)
                 if e.get("kind") == _RESUMED and i not in undone)  # as lead_seconds: the resumes in force
    return max(seconds - waited, 0.0)


def lead_times_by_category(closed: Iterable[Promise], cal: BusinessCalendar) -> dict[str, list[float]]:
    by_category: dict[str, list[float]] = {}
    for p in closed:
        seconds = lead_seconds(p, cal)
        if seconds is not None:
            by_category.setdefault(p.category, []).append(seconds)
    return by_category
