"""A promise's events in the desk's words, for the detail view and ``promisetrack show`` (pure core)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from promisetrack.dates import format_due
from promisetrack.model import Event, EventKind, action_noun


def event_details(e: Event, now: datetime, tz: tzinfo) -> str:
    """One line saying what an event changed (user text kept as it was typed)."""
    d = e.data

    def when(key: str) -> str:
        return format_due(datetime.fromisoformat(d[key]), now, tz) if d.get(key) else "?"

    match e.kind:
        case EventKind.CREATED:
            return f"due {when('due')}, owner {d.get('owner', '')}, {d.get('category', '')}" + (
                ", complaint" if d.get("complaint") else "")
        case EventKind.CONTACTED:
            return f"{d.get('channel', '')}: {d.get('note', '')}"
        case EventKind.RESCHEDULED:
            return f"due {when('previous')} → {when('due')}: {d.get('note', '')}"
        case EventKind.REASSIGNED:
            return f"{d.get('previous', '')} → {d.get('owner', '')}"
        case EventKind.FLAGGED:
            return f"blocked: {d.get('note', '')}" if d.get("blocked", True) else "no longer blocked"
        case EventKind.DONE:
            parts = [f"csat {d['csat']}" if d.get("csat") else "", d.get("note") or ""]
            return ", ".join(p for p in parts if p)
        case EventKind.CANCELLED:
            return f"reason: {d.get('reason', '')}"
        case EventKind.NOTE:
            return str(d.get("note", ""))
        case EventKind.WAITING:
            until = f" by {when('until')}" if d.get("until") else ""
            return f"waiting on the customer to {d.get('note', '')}{until}"
        case EventKind.RESUMED:
            hours = float(d.get("waited", 0)) / 3600
            note = f": {d['note']}" if d.get("note") else ""
            return f"waited {hours:.1f} business hours; due {when('previous')} → {when('due')}{note}"
        case EventKind.ACKNOWLEDGED:
            return f"{str(d.get('level', '')).replace('_', ' ')} alert acknowledged"
        case EventKind.SNOOZED:
            return f"{str(d.get('level', '')).replace('_', ' ')} alert snoozed until {when('until')}"
        case EventKind.COMPLAINT:
            note = f": {d['note']}" if d.get("note") else ""
            return ("complaint" if d.get("complaint", True) else "complaint cleared") + note
        case EventKind.RATED:
            was = f" (was {d['previous']})" if d.get("previous") else ""
            note = f": {d['note']}" if d.get("note") else ""
            return f"csat {d.get('csat')}{was}{note}"
        case EventKind.UNDONE:
            return f"undid the {action_noun(str(d.get('kind', '')))}"
        case _:
            return ""
