"""The stored form of a promise (data schema 2): plain dicts, no model, so both stores and the model share it.

A record keeps at the top the fields every fast reader needs without building a ``Promise`` (``list``, the board,
the reality check, the archive sweep: ``id``, ``customer``, ``what``, ``owner``, ``category``, ``created_at``,
``original_due``, ``due``, ``status``, ``closed_at``) and leaves out what it can give back:

- a top-level field at its default (``complaint`` false, ``csat``/``closed_at`` null, ``blocked`` false,
  ``blocked_note``/``cancel_reason`` empty) is not written;
- an event with no data has no ``data`` key;
- the ``created`` event does not repeat what the record says: its ``at`` is ``created_at``, ``due`` is
  ``original_due``, ``what`` and ``category`` are the record's (neither ever changes), ``complaint`` false is the
  default, ``owner`` is the ``previous`` of the first ``reassigned`` event (the record's ``owner`` if there is
  none), ``customer`` the ``merged_from`` of the first note of a customer merge (the record's customer if none).
  A key is left out only when it reads back equal, so the fold of the events is unchanged; these derivations look
  only at the first such event, so later events never change how a written ``created`` event reads.

Schema 1 records carry every key: they read the same, since a key present always wins over its derivation.
Timestamps are ISO 8601; the clock gives whole seconds, so new ones carry no microseconds (older ones keep theirs).
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "complaint": False, "csat": None, "closed_at": None, "blocked": False, "blocked_note": "", "cancel_reason": "",
}  # fmt: skip
CREATED_KEYS = ("due", "owner", "category", "what", "complaint", "customer")
_NOT_FOUND = object()


def _first(events: list[dict[str, Any]], kind: str, key: str) -> Any:
    """``key`` of the first event of ``kind`` (for notes: the first of a customer merge); None if that event lacks
    the key (nothing is derived from a record that does not say), ``_NOT_FOUND`` when there is no such event."""
    for e in events:
        if e["kind"] == kind and (kind != "note" or "merged_from" in (e.get("data") or {})):
            return (e.get("data") or {}).get(key)
    return _NOT_FOUND


def created_value(doc: dict[str, Any], key: str) -> Any:
    """What the ``created`` event of ``doc`` holds for ``key`` when the record leaves it out."""
    match key:
        case "due":
            return doc["original_due"]
        case "category" | "what":
            return doc[key]
        case "complaint":
            return False
        case "owner":
            found = _first(doc.get("events") or [], "reassigned", "previous")
            return doc["owner"] if found is _NOT_FOUND else found
        case "customer":
            found = _first(doc.get("events") or [], "note", "merged_from")
            return doc["customer"]["id"] if found is _NOT_FOUND else found
    raise KeyError(key)


def full_created_data(doc: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The ``created`` event's data of ``doc`` with the keys the record leaves out put back."""
    if all(key in data for key in CREATED_KEYS):  # a schema 1 record
        return dict(data)
    full = {key: created_value(doc, key) for key in CREATED_KEYS if key not in data}
    full.update(data)
    return full


def compact_created_data(doc: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The ``created`` event's data of ``doc`` without the keys that read back equal from the rest of the record
    (a record missing what a derivation needs keeps its data whole)."""
    out = {}
    for key, value in data.items():
        try:
            derived = created_value(doc, key) if key in CREATED_KEYS else _NOT_FOUND
        except (KeyError, TypeError):
            derived = _NOT_FOUND
        if derived is _NOT_FOUND or value != derived or type(value) is not type(derived):
            out[key] = value
    return out


def compact_created(doc: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """The ``created`` event of ``doc`` in compact form: no ``at`` when it is the record's ``created_at``, its data
    without what the record says (``compact_created_data``), no data at all when nothing is left."""
    created_at = doc.get("created_at")
    out = {key: value for key, value in event.items() if key != "data" and (key != "at" or value != created_at)}
    data = compact_created_data(doc, event.get("data") or {})
    if data:
        out["data"] = data
    return out


def full_created(doc: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """The stored ``created`` event of ``doc`` with its ``at`` put back if left out (data: ``full_created_data``)."""
    return event if "at" in event else {**event, "at": doc["created_at"]}


def compact_event(event: dict[str, Any]) -> dict[str, Any]:
    if "data" in event and not event["data"]:
        return {key: value for key, value in event.items() if key != "data"}
    return event


def compact(doc: dict[str, Any]) -> dict[str, Any]:
    """A record (schema 1 or 2) in the compact form of schema 2; reads back to the same promise."""
    out = {key: value for key, value in doc.items() if key not in DEFAULTS or value != DEFAULTS[key]
           or type(value) is not type(DEFAULTS[key])}
    events = [compact_event(e) for e in doc.get("events") or []]
    if events and events[0].get("kind") == "created":
        out["events"] = events  # the derivations read the other events
        events[0] = compact_created(out, events[0])
    if "events" in doc:
        out["events"] = events
    return out
