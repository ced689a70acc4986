"""Customers as records: the name key they are matched by, and what the desk shows of one — contact details, notes,
promise counts and the last contact (pure core: no I/O, no clock).

The store keeps a customer as a dict (``service.customer_record``): ``id, name, phone, email``, the lookup keys
``phone_key, email_key, name_key``, ``notes`` (a list of ``{at, by, text}``) and, once folded into another by a merge,
``merged_into`` (its lookup keys are then emptied, so no lookup finds it again).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from promisetrack.model import Customer, Outcome, Promise
from promisetrack.outcomes import derive_outcome


def name_key(name: str) -> str:
    """How a name is matched: case- and accent-insensitive, spaces collapsed (``María  LÓPEZ`` -> ``maria lopez``).

    NFKD splits an accented letter into the letter and its combining mark, which is dropped; casefold after it so
    that ``ß`` and ``ẞ`` meet as ``ss``."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def is_merged(doc: Mapping[str, Any]) -> bool:
    return doc.get("merged_into") is not None


class CustomerNote(NamedTuple):
    at: datetime
    by: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "by": self.by, "text": self.text}


def notes_of(doc: Mapping[str, Any]) -> list[CustomerNote]:
    return [CustomerNote(datetime.fromisoformat(n["at"]), str(n["by"]), str(n["text"])) for n in doc.get("notes") or []]


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    """One customer with counts over every promise of theirs (archive included)."""

    customer: Customer
    open: int = 0
    closed: int = 0
    broken: int = 0
    last_contact: datetime | None = None
    notes: list[CustomerNote] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        c = self.customer
        return {
            "id": c.id, "name": c.name, "phone": c.phone, "email": c.email,
            "open": self.open, "closed": self.closed, "broken": self.broken,
            "last_contact": self.last_contact.isoformat() if self.last_contact else None,
            "notes": [n.to_dict() for n in self.notes],
        }


def last_contact(p: Promise) -> datetime:
    """When the desk last spoke with the customer about ``p``: a contact or reschedule, else when it was made (a
    promise is made to the customer's face or on the phone)."""
    contacted = p.last_contact()
    return max(contacted, p.created_at) if contacted else p.created_at


def summarize(customer: Customer, promises: Iterable[Promise], notes: list[CustomerNote]) -> CustomerSummary:
    open_ = closed = broken = 0
    latest: datetime | None = None
    for p in promises:
        if p.is_open:
            open_ += 1
        else:
            closed += 1
            broken += derive_outcome(p) is Outcome.BROKEN
        moment = last_contact(p)
        latest = moment if latest is None or moment > latest else latest
    return CustomerSummary(customer, open_, closed, broken, latest, notes)
