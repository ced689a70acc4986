"""Dataclasses of the front desk: Promise, Customer, Event; enums Status, Risk, Outcome, EventKind.

Pure core: no I/O, no clock. A promise's current state (due, owner, status, ...) is a fold of its
effective events (``rebuild``), so undo is an appended ``undone`` event, never an erased one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from promisetrack import records


class Status(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Risk(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    WAITING = "waiting"  # waiting on the customer: no risk rule runs until it resumes or its "until" passes


class Outcome(StrEnum):
    KEPT = "kept"
    RENEGOTIATED = "renegotiated"
    LATE_NOTIFIED = "late_notified"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class EventKind(StrEnum):
    CREATED = "created"
    CONTACTED = "contacted"
    RESCHEDULED = "rescheduled"
    REASSIGNED = "reassigned"
    FLAGGED = "flagged"
    DONE = "done"
    CANCELLED = "cancelled"
    REOPENED = "reopened"
    NOTE = "note"
    WAITING = "waiting"
    RESUMED = "resumed"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    UNDONE = "undone"
    COMPLAINT = "complaint"  # the complaint flag set or cleared after the promise was made (open or closed)
    RATED = "rated"  # a csat recorded or corrected after closing (a survey answer days later)


# What each kind of change is called in a sentence: "your reschedule of 1001", "undid the closing of promise 1001".
# Keyed by the stored value, with kinds newer versions write (waiting, snoozed, ...) too: undo and the timeline must
# name a kind this version has no member for rather than fail (``action_noun`` falls back to the value itself).
ACTION_NOUNS: dict[str, str] = {
    "created": "adding", "contacted": "contact", "rescheduled": "reschedule", "reassigned": "reassignment",
    "flagged": "flag", "done": "closing", "cancelled": "cancellation", "reopened": "reopening", "note": "note",
    "waiting": "wait on the customer", "resumed": "resume", "acknowledged": "acknowledgement", "snoozed": "snooze",
    "complaint": "complaint", "rated": "rating",
}  # fmt: skip


def action_noun(kind: str) -> str:
    """``rescheduled`` -> ``reschedule``: an event kind (a member or its stored value) as a noun for a sentence."""
    return ACTION_NOUNS.get(str(kind), str(kind))


CHANNELS = ("phone", "email", "sms", "in-person")
# Stored value -> member, looked up directly: ``EventKind(value)`` goes through the enum's metaclass, which costs
# more than the rest of reading an event (a board reads every event of 2,000 promises as it opens). An unknown
# value is a KeyError, which the service reports as a record it cannot read.
_EVENT_KINDS = {kind.value: kind for kind in EventKind}
_STATUSES = {status.value: status for status in Status}

# Events that tell the customer something: they count as a contact for risk and outcomes.
CONTACT_KINDS = frozenset({EventKind.CONTACTED, EventKind.RESCHEDULED})


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    name: str
    phone: str = ""
    email: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "phone": self.phone, "email": self.email}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Customer:
        return cls(id=int(d["id"]), name=d["name"], phone=d.get("phone", ""), email=d.get("email", ""))


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    at: datetime
    by: str
    data: dict[str, Any] = field(default_factory=dict)
    # The desk's change number (the store's "change" counter), given as the event is saved: it orders two changes
    # in one second (times are whole seconds) across promises. None on events saved before it was kept.
    n: int | None = None

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"kind": self.kind.value, "at": self.at.isoformat(), "by": self.by}
        if self.n is not None:
            doc["n"] = self.n
        if self.data:  # most kinds carry data; an empty one is left out (records.py)
            doc["data"] = self.data
        return doc

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        return cls(_EVENT_KINDS[d["kind"]], datetime.fromisoformat(d["at"]), d["by"], dict(d.get("data") or {}),
                   d.get("n"))

    @property
    def order(self) -> tuple[datetime, int]:
        """When it was made, as far as the desk can tell: its time, then its change number."""
        return self.at, -1 if self.n is None else self.n


@dataclass(slots=True)
class Promise:
    id: int
    customer: Customer
    what: str
    owner: str
    category: str
    created_at: datetime
    original_due: datetime
    due: datetime
    status: Status = Status.OPEN
    complaint: bool = False
    csat: int | None = None
    closed_at: datetime | None = None
    blocked: bool = False
    blocked_note: str = ""
    cancel_reason: str = ""
    waiting_since: datetime | None = None  # waiting on the customer since then (None: not waiting)
    waiting_note: str = ""  # what the customer is to do: "bring the laptop"
    waiting_until: datetime | None = None  # by when the customer said they would
    events: list[Event] = field(default_factory=list)
    # The shop it belongs to on a database of several shops ("" in a data dir: one shop). The store keeps it beside
    # the record, not in it: a client cannot move a promise to another shop by writing this.
    shop: str = ""
    # The events as read from the store (the Event objects and their stored dicts): ``to_dict`` writes those back
    # as they were read — events are append-only, and a database refuses any change to an earlier one — and
    # encodes only the events added since.
    _stored: tuple[tuple[Event, ...], list[dict[str, Any]]] | None = field(default=None, compare=False, repr=False)

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    @property
    def waiting(self) -> bool:
        return self.waiting_since is not None

    def last_resumed(self) -> datetime | None:
        """When the promise last came back from waiting on the customer (the silence rule counts from there)."""
        for e in reversed(self.effective_events()):
            if e.kind is EventKind.RESUMED:
                return e.at
        return None

    def effective_indices(self) -> list[int]:
        """Indices of the events in force: all but ``undone`` markers and the events they undid."""
        undone = {e.data["event"] for e in self.events if e.kind is EventKind.UNDONE}
        return [i for i, e in enumerate(self.events) if i not in undone and e.kind is not EventKind.UNDONE]

    def effective_events(self) -> list[Event]:
        if all(e.kind is not EventKind.UNDONE for e in self.events):  # nearly always: nothing was undone
            return list(self.events)
        return [self.events[i] for i in self.effective_indices()]

    def last_contact(self) -> datetime | None:
        times = [e.at for e in self.effective_events() if e.kind in CONTACT_KINDS]
        return max(times) if times else None

    def due_set_at(self) -> datetime:
        """When the due now in force was agreed: creation or the last reschedule."""
        for e in reversed(self.effective_events()):
            if e.kind is EventKind.RESCHEDULED:
                return e.at
        return self.created_at

    def to_dict(self) -> dict[str, Any]:
        """The stored record (compact, schema 2: see records.py)."""
        doc: dict[str, Any] = {
            "id": self.id,
            "customer": self.customer.to_dict(),
            "what": self.what,
            "owner": self.owner,
            "category": self.category,
            "created_at": self.created_at.isoformat(),
            "original_due": self.original_due.isoformat(),
            "due": self.due.isoformat(),
            "status": self.status.value,
        }
        if self.complaint:  # the rest only when not at their defaults (records.DEFAULTS)
            doc["complaint"] = True
        if self.csat is not None:
            doc["csat"] = self.csat
        if self.closed_at is not None:
            doc["closed_at"] = self.closed_at.isoformat()
        if self.blocked:
            doc["blocked"] = True
        if self.blocked_note:
            doc["blocked_note"] = self.blocked_note
        if self.cancel_reason:
            doc["cancel_reason"] = self.cancel_reason
        stored = self._stored
        if stored is not None and len(stored[0]) <= len(self.events) and all(
            a is b for a, b in zip(stored[0], self.events, strict=False)
        ):
            events = [*stored[1], *(e.to_dict() for e in self.events[len(stored[0]) :])]
        else:
            events = [e.to_dict() for e in self.events]
            if events and events[0]["kind"] == EventKind.CREATED.value:
                doc["events"] = events  # the created event's derivations read the later ones
                events[0] = records.compact_created(doc, events[0])
        doc["events"] = events
        if self.waiting_since is not None:  # only while waiting: most records never carry these keys
            doc["waiting_since"] = self.waiting_since.isoformat()
            doc["waiting_note"] = self.waiting_note
            doc["waiting_until"] = self.waiting_until.isoformat() if self.waiting_until else None
        if self.shop:  # only on a database: a data dir's records stay as they were
            doc["shop"] = self.shop
        return doc

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Promise:
        closed = d.get("closed_at")
        since, until = d.get("waiting_since"), d.get("waiting_until")
        stored = d.get("events") or []
        events = [Event.from_dict(e) for e in stored[1:]]
        if stored:
            first = stored[0]
            if first["kind"] == EventKind.CREATED.value:  # put back what a compact record leaves out
                event = Event.from_dict(records.full_created(d, first))
                first_event = Event(event.kind, event.at, event.by, records.full_created_data(d, event.data), event.n)
            else:
                first_event = Event.from_dict(first)
            events.insert(0, first_event)
        return cls(
            id=int(d["id"]),
            customer=Customer.from_dict(d["customer"]),
            what=d["what"],
            owner=d["owner"],
            category=d["category"],
            created_at=datetime.fromisoformat(d["created_at"]),
            original_due=datetime.fromisoformat(d["original_due"]),
            due=datetime.fromisoformat(d["due"]),
            status=_STATUSES[d["status"]],
            complaint=bool(d.get("complaint", False)),
            csat=d.get("csat"),
            closed_at=datetime.fromisoformat(closed) if closed else None,
            blocked=bool(d.get("blocked", False)),
            blocked_note=d.get("blocked_note", ""),
            cancel_reason=d.get("cancel_reason", ""),
            waiting_since=datetime.fromisoformat(since) if since else None,
            waiting_note=d.get("waiting_note", ""),
            waiting_until=datetime.fromisoformat(until) if until else None,
            events=events,
            shop=str(d.get("shop") or ""),
            _stored=(tuple(events), list(stored)),
        )


def apply(p: Promise, e: Event) -> None:
    """Fold one event into the promise's current state (in place)."""
    data = e.data
    match e.kind:
        case EventKind.CREATED:
            p.due = p.original_due = datetime.fromisoformat(data["due"])
            p.owner, p.category, p.what = data["owner"], data["category"], data["what"]
            p.complaint = bool(data.get("complaint", False))
            p.status, p.closed_at, p.csat, p.cancel_reason = Status.OPEN, None, None, ""
            p.blocked, p.blocked_note = False, ""
            _stop_waiting(p)
        case EventKind.RESCHEDULED:
            p.due = datetime.fromisoformat(data["due"])
        case EventKind.REASSIGNED:
            p.owner = data["owner"]
        case EventKind.FLAGGED:
            p.blocked = bool(data.get("blocked", True))
            p.blocked_note = data.get("note", "") if p.blocked else ""
        case EventKind.WAITING:
            until = data.get("until")
            p.waiting_since, p.waiting_note = e.at, data.get("note", "")
            p.waiting_until = datetime.fromisoformat(until) if until else None
        case EventKind.RESUMED:
            p.due = datetime.fromisoformat(data["due"])
            _stop_waiting(p)
        case EventKind.DONE:
            p.status, p.closed_at, p.csat = Status.DONE, e.at, data.get("csat")
            p.blocked, p.blocked_note = False, ""
        case EventKind.CANCELLED:
            p.status, p.closed_at, p.cancel_reason = Status.CANCELLED, e.at, data.get("reason", "")
            p.blocked, p.blocked_note = False, ""
        case EventKind.REOPENED:
            p.status, p.closed_at, p.csat, p.cancel_reason = Status.OPEN, None, None, ""
        case EventKind.COMPLAINT:
            p.complaint = bool(data.get("complaint", True))
        case EventKind.RATED:  # the outcome is a fold of the other events: a score never changes it
            p.csat = data.get("csat")
        case EventKind.CONTACTED | EventKind.NOTE | EventKind.UNDONE | EventKind.ACKNOWLEDGED | EventKind.SNOOZED:
            pass


def _stop_waiting(p: Promise) -> None:
    p.waiting_since, p.waiting_note, p.waiting_until = None, "", None


def rebuild(p: Promise) -> Promise:
    """A copy of ``p`` whose state is replayed from its effective events (used after an undo)."""
    q = replace(p, events=list(p.events))
    for e in q.effective_events():
        apply(q, e)
    return q
