"""Desk: the one door to the data. Every operation of the CLI and the board — add, contact, reschedule, done,
cancel, reassign, flag, note, undo, kudos and the queries — is a method here: validation, events, reality check.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promisetrack import history
from promisetrack.alerts import SNOOZE_CHOICES, AlertState, alert_state, snooze_until
from promisetrack.clock import Clock, OffsetClock, SystemClock
from promisetrack.config import Settings, load_settings
from promisetrack.dates import BusinessCalendar, parse_due, parse_due_with_notes
from promisetrack.errors import DataError, PromiseError
from promisetrack.leadtimes import record_lead_seconds
from promisetrack.model import (
    CHANNELS,
    Customer,
    Event,
    EventKind,
    Promise,
    Risk,
    Status,
    action_noun,
    apply,
    rebuild,
)
from promisetrack.outcomes import derive_outcome
from promisetrack.risk import Assessment, RiskContext, assess, build_context, context_from, reality_check
from promisetrack.store import FileStore, PromiseStore, Snapshot, StoreTx, Watch


class _LazyModule:
    """A module imported on its first use. ``metrics`` (period figures, reports, trends) costs more to import than
    the rest of ``add`` or ``list`` put together, and those never use it (issue 6)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)


if TYPE_CHECKING:
    from promisetrack import metrics
    from promisetrack.metrics import Period, Recognition, Recurring, Report, TrendPoint
else:
    metrics = _LazyModule("promisetrack.metrics")

NAME_LIMIT = 200
TEXT_LIMIT = 2000
LIST_STATUSES = ("open", "at-risk", "overdue", "waiting", "closed", "all")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_RISK_ORDER = {Risk.OVERDUE: 0, Risk.AT_RISK: 1, Risk.WAITING: 2, Risk.OK: 3}


def clean_text(value: str | None, label: str, *, required: bool = True, limit: int = TEXT_LIMIT) -> str:
    """User text as it will be stored: one line, no control characters, within a length limit."""
    text = " ".join((value or "").replace("\r", " ").replace("\n", " ").replace("\t", " ").split())
    if required and not text:
        raise PromiseError(f"{label} is required")
    if _CONTROL.search(text):
        raise PromiseError(f"{label} contains a control character")
    if _SURROGATE.search(text):  # bytes that were not UTF-8 on the command line (Python keeps them as surrogates)
        raise PromiseError(f"{label} is not valid text (is the terminal set to UTF-8?)")
    if len(text) > limit:
        raise PromiseError(f"{label} is {len(text)} characters long; keep it under {limit}")
    return unicodedata.normalize("NFC", text)


def parse_csat(value: int | str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        score = int(value)
    except (TypeError, ValueError):
        raise PromiseError(f"csat must be a whole number from 1 to 5, not {value!r}") from None
    if not 1 <= score <= 5:
        raise PromiseError(f"csat must be from 1 to 5, not {score}")
    return score


def parse_id(value: int | str) -> int:
    try:
        return int(str(value).strip().lstrip("#"))
    except ValueError:
        raise PromiseError(f"a promise id is a number like 1042, not {str(value)!r}") from None


def _phone_key(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def customer_record(c: Customer) -> dict[str, Any]:
    """A customer as the store keeps it: with the keys ``add`` looks customers up by (the phone's digits, the email
    casefolded), so that a lookup reads only the customer file holding a match, however many customers there are."""
    return {**c.to_dict(), "phone_key": _phone_key(c.phone), "email_key": c.email.casefold()}


def resolve_user(cli_value: str | None) -> str:
    """Who is at the desk: ``--user``, else $PROMISETRACK_USER, else the login name; stored in every event.

    A ``--user`` given empty or blank is refused, not read as "not given": events would otherwise be signed by
    whoever is logged in, without a word.
    """
    if cli_value is not None:
        if not cli_value.strip():
            raise PromiseError("--user is empty: give a name, or leave --user out to use $PROMISETRACK_USER or the "
                               "login name")
        return clean_text(cli_value, "--user", limit=NAME_LIMIT)
    env = os.environ.get("PROMISETRACK_USER")
    if env:
        return clean_text(env, "PROMISETRACK_USER", limit=NAME_LIMIT)
    try:
        import getpass  # only when neither --user nor $PROMISETRACK_USER says who

        return getpass.getuser()
    except (KeyError, OSError):
        return "desk"


@dataclass(frozen=True, slots=True)
class Row:
    """One promise as the board and the listings show it."""

    promise: Promise
    assessment: Assessment | None

    @property
    def risk(self) -> Risk | None:
        return self.assessment.level if self.assessment else None


@dataclass(frozen=True, slots=True)
class UndoPreview:
    """What ``undo`` would undo: the ``kind`` of event made ``at`` on promise ``pid``, ``what`` in words
    ("the closing of promise 1003"), and whether undoing ``removes`` the promise (undo of its creation)."""

    pid: int
    kind: str
    at: datetime
    what: str
    removes: bool

    def age(self, now: datetime) -> timedelta:
        return now.astimezone(UTC) - self.at.astimezone(UTC)


UNDO_ASK_AFTER = timedelta(minutes=10)  # undoing a change older than this asks first (the board)


@dataclass(frozen=True, slots=True)
class Health:
    """What ``check`` found: problems (something is wrong), warnings (something will bite) and where the data is."""

    problems: list[str]
    warnings: list[str]
    location: str


@dataclass(frozen=True, slots=True)
class PeriodDetail:
    """What a report or an export of a period needs: the figures and the promises behind them."""

    report: Report
    closed: list[Row]
    open: list[Row]
    as_of: datetime


def board_key(row: Row) -> tuple[int, datetime, int]:
    """Overdue first, then at risk, then those waiting on the customer, then ok; within each, by due."""
    return (_RISK_ORDER.get(row.risk, 4) if row.risk else 4, row.promise.due, row.promise.id)


class _Live:
    """The live file as last read: its records, built into promises only as far as a caller asks.

    ``list`` and the board need the open promises and, for the risk rules, only the due/owner of the open ones and
    the lead times of the recently closed ones — read straight from the records. A desk with weeks of closed
    promises in the live file and years of customers does not pay to build them all on every start.
    """

    def __init__(self, version: Hashable | None, snapshot: Snapshot, store: PromiseStore) -> None:
        self.version = version
        self.snapshot = snapshot
        self.store = store
        self.kudos = snapshot.kudos
        self._promises: dict[int, Promise] = {}
        self._open: list[Promise] | None = None
        self._customers: dict[int, Customer] | None = None
        self.context: RiskContext | None = None
        self.context_leads: dict[str, list[float]] | None = None  # the lead times ``context`` was built from
        self.history: dict[str, Any] | None = snapshot.history  # the summary of archived promises
        self.lead_closings: dict[str, list[history.Closing]] | None = None  # live done + archived, newest first
        self.leads_span: tuple[datetime, datetime] | None = None  # the moments between which context_leads holds
        self.repeat_breakers: set[int] | None = None  # among the customers with an open promise

    def promise(self, pid: int) -> Promise | None:
        promise = self._promises.get(pid)
        if promise is None:
            doc = self.snapshot.promises.get(pid)
            if doc is None:
                return None
            with _stored_records(self.store):
                promise = self._promises[pid] = Promise.from_dict(doc)
        return promise

    def open_promises(self) -> list[Promise]:
        if self._open is None:
            self._open = [self._built(pid) for pid, doc in self.snapshot.promises.items() if _is_open(doc)]
        return self._open

    def closed_promises(self) -> list[Promise]:
        return [self._built(pid) for pid, doc in self.snapshot.promises.items() if not _is_open(doc)]

    def all_promises(self) -> list[Promise]:
        return [self._built(pid) for pid in self.snapshot.promises]

    def customers(self) -> dict[int, Customer]:
        if self._customers is None:
            with _stored_records(self.store):
                self._customers = {cid: Customer.from_dict(doc) for cid, doc in self.snapshot.customers.items()}
        return self._customers

    def _built(self, pid: int) -> Promise:
        promise = self.promise(pid)
        assert promise is not None
        return promise


@contextmanager
def _stored_records(store: PromiseStore) -> Iterator[None]:
    """Reading stored records: one this version cannot read (a key missing, a garbled date) is a DataError that
    names the newest good backup, as for a damaged file — never a traceback."""
    try:
        yield
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise store.unreadable(f"a record in it cannot be read ({type(exc).__name__}: {exc})") from None


def _is_open(doc: Mapping[str, Any]) -> bool:
    return doc.get("status") == Status.OPEN.value


class Desk:
    def __init__(self, store: PromiseStore, settings: Settings, clock: Clock, user: str) -> None:
        self.store, self.settings, self.clock, self.user = store, settings, clock, user
        self.calendar = BusinessCalendar.from_settings(settings)
        self._live: _Live | None = None

    # ---------------------------------------------------------------- reading
    def now(self) -> datetime:
        return self.clock.now()

    def _load(self) -> _Live:
        """The live set, read again only when the store's version changed (another desk or this one saved)."""
        version = self.store.version()
        if self._live is not None and self._live.version == version and version is not None:
            return self._live
        self._live = _Live(version, self.store.read(), self.store)
        return self._live

    def _context(self, live: _Live | None = None, now: datetime | None = None) -> RiskContext:
        """The load, lead times and repeat breakers the risk rules need at ``now``: built once per version of the
        live file, and again only when the lead-time window moving on with ``now`` changes the lead times."""
        live = live or self._load()
        leads = self._leads_at(live, now or self.now())
        if live.context is None or live.context_leads != leads:
            loads = ((p.owner, p.due, p.id) for p in live.open_promises())
            live.context = context_from(loads, leads, self.calendar, self.settings,
                                        repeat_breakers=self._repeat_breakers(live))
            live.context_leads = leads
        return live.context

    def _history(self, live: _Live) -> dict[str, Any]:
        """The summary of archived promises; for a data dir from before it was kept (none in the live file, an
        archive on disk), built from the archive in memory until the next save stores it."""
        if live.history is None:
            live.history = history.empty_history()
            archived = self.store.read_archived()
            if archived:
                with _stored_records(self.store):
                    live.history = history.from_archive(archived, live.snapshot.promises,
                                                        self.now(), self.calendar, self.settings)
        return live.history

    def _leads_at(self, live: _Live, now: datetime) -> dict[str, list[float]]:
        """Lead times by category in the window ending ``now``: the done promises of the live file and the archived
        ones of the summary (ARCHITECTURE §5)."""
        if live.lead_closings is None:
            by_category: dict[str, list[history.Closing]] = {}
            with _stored_records(self.store):
                summary = history.lead_entries(self._history(live))
                for pid, doc in live.snapshot.promises.items():
                    seconds = record_lead_seconds(doc, self.calendar)
                    if seconds is not None:
                        closed = datetime.fromisoformat(doc["closed_at"]).astimezone(UTC)
                        by_category.setdefault(doc["category"], []).append(history.Closing(pid, closed, seconds))
            for category, closings in summary.items():
                live_ids = live.snapshot.promises
                by_category.setdefault(category, []).extend(c for c in closings if c.pid not in live_ids)
            live.lead_closings = {category: history.newest_first(found) for category, found in by_category.items()}
        span = live.leads_span
        if span is not None and live.context_leads is not None and span[0] <= now < span[1]:
            return live.context_leads  # the minute tick: the window moved on, and no lead time left it
        leads, until = history.window_from_newest(live.lead_closings, now, self.settings)
        live.leads_span = (now, until)
        return leads

    def _repeat_breakers(self, live: _Live) -> set[int]:
        """The customers with an open promise whose last two closed ones (live or archived) were broken."""
        if live.repeat_breakers is None:
            with _stored_records(self.store):
                closings: dict[int, list[history.Closing]] = {p.customer.id: [] for p in live.open_promises()}
                for pid, doc in live.snapshot.promises.items():
                    cid = doc["customer"]["id"]
                    if cid in closings and not _is_open(doc):
                        closing = history.closing_outcome(live._built(pid))
                        if closing is not None:
                            closings[cid].append(closing)
                for cid, archived in history.breaker_entries(self._history(live)).items():
                    if cid in closings:
                        closings[cid] += [c for c in archived if c.pid not in live.snapshot.promises]
            live.repeat_breakers = {cid for cid, found in closings.items() if history.is_repeat_breaker(found)}
        return live.repeat_breakers

    def health(self) -> Health:
        """``check``: the store's problems and warnings, and where it is."""
        return Health(self.check(), [*self.settings.warnings, *self.store.warnings()], self.store.location)

    def check(self) -> list[str]:
        """What is wrong with the store, as sentences: its own findings (files, permissions, backups; schema,
        connection) and any record of the live set this version cannot read. [] when all is well."""
        problems = self.store.check()
        try:
            live = self._load()
            live.all_promises()
            live.customers()
            self._context(live)
        except DataError as error:
            if error.message not in problems:
                problems.append(error.message)
        return problems

    def changed(self) -> bool:
        """Has another process (or this one) written since the last read?"""
        return self._live is None or self._live.version != self.store.version()

    def watch(self) -> Watch | None:
        """How a board hears of other desks' changes (a database's NOTIFY), or None: poll ``version()``."""
        return self.store.watch()

    def version(self) -> Hashable | None:
        """A token that changes with every save, by any process (the board's watch)."""
        return self.store.version()

    def context(self) -> RiskContext:
        return self._context()

    def assess(self, p: Promise, now: datetime | None = None) -> Assessment | None:
        if not p.is_open:
            return None
        now = now or self.now()
        return assess(p, now, self._context(now=now))

    def reassess(self, rows_by_id: MutableMapping[int, Row], now: datetime | None = None) -> set[int]:
        """The board's minute tick: re-assess, in place, only the rows whose ``recheck_at`` has come (or that have
        none, like overdue ones, whose "overdue 3h" moves on); returns the ids whose risk level or reasons changed.

        Assessments change by time alone only at ``recheck_at`` (risk.assess works that moment out), so with
        2,000 open promises a tick costs a pass over the rows plus the few that are due a look. A row of a promise
        that is not open is left alone. Call it after checking ``version()``: a save by anyone means re-read.
        """
        now = now or self.now()
        context = self._context(now=now)
        updates: dict[int, Row] = {}
        changed: set[int] = set()
        for pid, row in rows_by_id.items():
            old = row.assessment
            if old is None or (old.recheck_at is not None and old.recheck_at > now):
                continue
            new = assess(row.promise, now, context)
            updates[pid] = Row(row.promise, new)
            if new.level is not old.level or new.reasons != old.reasons:
                changed.add(pid)
        rows_by_id.update(updates)
        return changed

    def get(self, pid: int | str) -> Promise:
        number = parse_id(pid)
        promise = self._load().promise(number)
        if promise is None:
            doc = self.store.fetch(number)
            if doc is None:
                raise PromiseError(f"no promise {number}")
            with _stored_records(self.store):
                return Promise.from_dict(doc)
        return promise

    def row(self, pid: int | str) -> Row:
        p = self.get(pid)
        return Row(p, self.assess(p))

    def board(self, now: datetime | None = None) -> list[Row]:
        """Every open promise with its risk, in board order."""
        now = now or self.now()
        live = self._load()
        context = self._context(live, now)
        rows = [Row(p, assess(p, now, context)) for p in live.open_promises()]
        return sorted(rows, key=board_key)

    def listing(
        self, status: str = "open", owner: str | None = None, category: str | None = None,
        now: datetime | None = None,
    ) -> list[Row]:
        """Promises of the live file by status (open, at-risk, overdue, closed, all), owner and category, assessed
        at ``now`` (default: the clock's now)."""
        if status not in LIST_STATUSES:
            raise PromiseError(f"status must be one of {', '.join(LIST_STATUSES)}, not {status!r}")
        now = now or self.now()
        rows = self.board(now)
        if status == "at-risk":
            rows = [r for r in rows if r.risk is Risk.AT_RISK]
        elif status == "overdue":
            rows = [r for r in rows if r.risk is Risk.OVERDUE]
        elif status == "waiting":
            rows = [r for r in rows if r.promise.waiting_since is not None]
        elif status in ("closed", "all"):
            closed = self._load().closed_promises()
            closed_rows = [Row(p, None) for p in sorted(closed, key=lambda p: p.closed_at or p.due, reverse=True)]
            rows = closed_rows if status == "closed" else rows + closed_rows
        if owner:
            rows = [r for r in rows if r.promise.owner.casefold() == owner.casefold()]
        if category:
            rows = [r for r in rows if r.promise.category.casefold() == category.casefold()]
        return rows

    def customers(self) -> list[Customer]:
        return sorted(self._load().customers().values(), key=lambda c: c.name.casefold())

    def find_customers(self, text: str, limit: int = 8) -> list[Customer]:
        """Known customers whose name, phone or email contains ``text`` (for suggestions as you type)."""
        needle = text.strip().casefold()
        if not needle:
            return []
        digits = _phone_key(needle)
        found = [
            c for c in self.customers()
            if needle in c.name.casefold() or needle in c.email.casefold()
            or (len(digits) >= 3 and digits in _phone_key(c.phone))
        ]
        return found[:limit]

    def customer_history(self, customer_id: int, *, archived: bool = True) -> list[Promise]:
        """Every promise of that customer, newest first: those of the live file and (``archived``) those of the
        archive, whose every month it reads — a detail view's question; the TUI asks it in a worker thread."""
        promises = {p.id: p for p in self._load().all_promises() if p.customer.id == customer_id}
        if archived:
            with _stored_records(self.store):
                for doc in self.store.customer_promises(customer_id):
                    if doc["id"] not in promises:
                        promises[doc["id"]] = Promise.from_dict(doc)
        return sorted(promises.values(), key=lambda p: (p.created_at, p.id), reverse=True)

    def preview_due(self, phrase: str, now: datetime | None = None) -> datetime:
        """Parse a due phrase the way ``add`` and ``reschedule`` will (raises PromiseError)."""
        return parse_due(phrase, now or self.now(), self.calendar)

    def check_promise(self, due: datetime, owner: str, category: str, pid: int = 0, *, customer: int = 0
                      ) -> list[str]:
        """The reality check: what would make this due hard to keep (for this ``customer``, if known)."""
        now = self.now()
        return reality_check(due, now, owner, category, self._context(now=now), pid, customer)

    def _check_records(
        self, records: Iterable[Mapping[str, Any]], due: datetime, now: datetime, owner: str, category: str,
        *, customer: int = 0, summary: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """``check_promise`` of a new promise from the stored records, reading only what its rules need: the
        owner's open promises (load), the category's done ones (lead time) and the ``customer``'s closed ones (repeat
        breaker), with the archived ones of the ``summary``. ``add`` builds no other promise than the customer's."""
        loads: list[tuple[str, datetime, int]] = []
        lead_closings: list[history.Closing] = []
        customer_closings: list[history.Closing] = []
        live_ids: set[int] = set()
        open_ = Status.OPEN.value
        with _stored_records(self.store):
            for doc in records:
                live_ids.add(doc["id"])
                if doc.get("status") != open_:
                    if doc.get("category") == category:
                        seconds = record_lead_seconds(doc, self.calendar)
                        if seconds is not None:
                            closed_at = datetime.fromisoformat(doc["closed_at"]).astimezone(UTC)
                            lead_closings.append(history.Closing(doc["id"], closed_at, seconds))
                    if customer and doc["customer"]["id"] == customer:
                        closing = history.closing_outcome(Promise.from_dict(doc))
                        if closing is not None:
                            customer_closings.append(closing)
                elif doc.get("owner") == owner:
                    loads.append((owner, datetime.fromisoformat(doc["due"]), doc["id"]))
            lead_closings += [c for c in history.lead_entries(summary).get(category, []) if c.pid not in live_ids]
            customer_closings += [c for c in history.breaker_entries(summary).get(customer, [])
                                  if c.pid not in live_ids]
        seconds = history.in_window(lead_closings, now, self.settings)
        breakers = {customer} if customer and history.is_repeat_breaker(customer_closings) else set()
        context = context_from(loads, {category: seconds} if seconds else {}, self.calendar, self.settings,
                               repeat_breakers=breakers)
        return reality_check(due, now, owner, category, context, customer=customer)

    # ---------------------------------------------------------------- changing
    def _event(self, kind: EventKind, /, **data: Any) -> Event:
        return Event(kind, self.now(), self.user, data)

    def _archive_old(self, tx: StoreTx, now: datetime) -> None:
        """Move the promises closed more than ``archive_after_days`` ago to the archive (every save does this)."""
        cutoff = now - timedelta(days=self.settings.archive_after_days)
        # A closing day (as written, in its own offset) after this one is surely after the cutoff: those records —
        # nearly all the closed ones in the live file — are passed over without parsing their date.
        surely_after = (cutoff.date() + timedelta(days=1)).isoformat()
        leaving = []
        with _stored_records(self.store):
            for pid, doc in tx.promises.items():
                closed = doc.get("closed_at")
                if closed and closed[:10] <= surely_after and doc.get("status") != Status.OPEN.value:
                    closed_at = datetime.fromisoformat(closed)
                    if closed_at < cutoff:
                        leaving.append((pid, closed_at.astimezone(self.calendar.tz)))
        summary = self._tx_history(tx, now)
        if leaving:
            docs = [tx.promises[pid] for pid, _ in leaving]
            with _stored_records(self.store):
                tx.put_history(history.with_archived(summary, docs, now, self.calendar, self.settings))
        for pid, closed_at in leaving:
            tx.archive(pid, closed_at)

    def _tx_history(self, tx: StoreTx, now: datetime) -> dict[str, Any]:
        """The summary of archived promises in a transaction. A data dir from before it was kept has none: it is
        built here, once, from every archive month, and saved with this transaction (the migration)."""
        summary = tx.history()
        if summary is None:
            with _stored_records(self.store):
                archived = self.store.read_archived()
                summary = history.from_archive(archived, tx.promises, now, self.calendar, self.settings)
            tx.put_history(summary)
        return summary

    def _change(self, pid: int | str, make_event: Callable[[Promise], Event | list[Event]]) -> Promise:
        """Load the promise under the lock, check and append its event (or events), save."""
        number = parse_id(pid)
        with self.store.transaction() as tx:
            doc = tx.promises.get(number)
            if doc is None:
                raise PromiseError(f"no open or recent promise {number}")
            with _stored_records(self.store):
                promise = Promise.from_dict(doc)
            made = make_event(promise)
            events = made if isinstance(made, list) else [made]
            for event in events:
                promise.events.append(event)
                apply(promise, event)
            tx.put_promise(promise.to_dict())
            self._archive_old(tx, events[-1].at)
        return promise

    def _end_wait(self, p: Promise) -> list[Event]:
        """Closing a promise that waits on the customer ends the wait first (its due moves on as on a resume)."""
        return [self._resumed(p, "closed while waiting")] if p.waiting_since is not None else []

    @staticmethod
    def _require_open(p: Promise, doing: str) -> None:
        if not p.is_open:
            raise PromiseError(f"promise {p.id} is already {p.status.value}; it cannot be {doing}")

    def _link_customer(self, tx: StoreTx, name: str, phone: str, email: str) -> Customer:
        """The known customer with this phone number or email (the first made, completed with what is new), else a
        new one."""
        for doc in tx.unfiled_customers():  # a data dir from before the customer files: give them lookup keys
            with _stored_records(self.store):
                known = Customer.from_dict(doc)
            tx.put_customer(customer_record(known))
        phone_key, email_key = _phone_key(phone), email.casefold()
        matches = {doc["id"]: doc for doc in tx.find_customers("phone_key", phone_key)} if phone_key else {}
        if email_key:
            matches.update((doc["id"], doc) for doc in tx.find_customers("email_key", email_key))
        if matches:
            with _stored_records(self.store):
                known = Customer.from_dict(matches[min(matches)])
            merged = Customer(known.id, known.name, known.phone or phone, known.email or email)
            if merged != known:
                tx.put_customer(customer_record(merged))
            return merged
        customer = Customer(tx.next_id("customer"), name, phone, email)
        tx.put_customer(customer_record(customer))
        return customer

    def add(
        self,
        customer: str,
        what: str,
        due: str,
        *,
        phone: str = "",
        email: str = "",
        owner: str | None = None,
        category: str | None = None,
        complaint: bool = False,
    ) -> tuple[Promise, list[str]]:
        """Make a promise. Returns it and the warnings (which do not stop it): how a due at a wall time the clocks
        skip or repeat was taken, then the reality check."""
        name = clean_text(customer, "customer name", limit=NAME_LIMIT)
        what_text = clean_text(what, "what was promised")
        phone = clean_text(phone, "phone", required=False, limit=NAME_LIMIT)
        email = clean_text(email, "email", required=False, limit=NAME_LIMIT)
        if email and "@" not in email:
            raise PromiseError(f"email {email!r} has no @")
        owner_name = clean_text(owner or self.user, "owner", limit=NAME_LIMIT)
        category_name = clean_text(category or self.settings.default_category, "category", limit=NAME_LIMIT)
        now = self.now()
        due_at, notes = parse_due_with_notes(due, now, self.calendar)
        with self.store.transaction() as tx:
            linked = self._link_customer(tx, name, phone, email)
            warnings = notes + self._check_records(tx.promises.values(), due_at, now, owner_name, category_name,
                                                   customer=linked.id, summary=self._tx_history(tx, now))
            pid = tx.next_id("promise")
            created = Event(EventKind.CREATED, now, self.user, {
                "due": due_at.isoformat(), "owner": owner_name, "category": category_name,
                "what": what_text, "complaint": complaint, "customer": linked.id,
            })
            promise = Promise(
                id=pid, customer=linked, what=what_text, owner=owner_name, category=category_name,
                created_at=now, original_due=due_at, due=due_at, complaint=complaint, events=[created],
            )
            tx.put_promise(promise.to_dict())
            self._archive_old(tx, now)
        return promise, warnings

    def contact(self, pid: int | str, note: str, channel: str = "phone") -> Promise:
        text = clean_text(note, "note")
        if channel not in CHANNELS:
            raise PromiseError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")

        def event(p: Promise) -> Event:
            self._require_open(p, "contacted")
            return self._event(EventKind.CONTACTED, channel=channel, note=text)

        return self._change(pid, event)

    def reschedule(self, pid: int | str, due: str, note: str) -> tuple[Promise, list[str]]:
        text = clean_text(note, "note")
        due_at, notes = parse_due_with_notes(due, self.now(), self.calendar)
        current = self.get(pid)
        self._require_open(current, "rescheduled")
        if due_at == current.due:
            raise PromiseError(f"promise {current.id} is already due then")
        warnings = notes + self.check_promise(due_at, current.owner, current.category, current.id,
                                      customer=current.customer.id)

        def event(p: Promise) -> Event:
            self._require_open(p, "rescheduled")
            return self._event(EventKind.RESCHEDULED, due=due_at.isoformat(), previous=p.due.isoformat(), note=text)

        return self._change(pid, event), warnings

    def done(self, pid: int | str, csat: int | str | None = None, note: str | None = None) -> Promise:
        score = parse_csat(csat)
        text = clean_text(note, "note", required=False)

        def event(p: Promise) -> list[Event]:
            self._require_open(p, "done")
            return [*self._end_wait(p), self._event(EventKind.DONE, csat=score, note=text)]

        return self._change(pid, event)

    def cancel(self, pid: int | str, reason: str) -> Promise:
        text = clean_text(reason, "reason")

        def event(p: Promise) -> list[Event]:
            self._require_open(p, "cancelled")
            return [*self._end_wait(p), self._event(EventKind.CANCELLED, reason=text)]

        return self._change(pid, event)

    def reassign(self, pid: int | str, owner: str) -> Promise:
        name = clean_text(owner, "owner", limit=NAME_LIMIT)

        def event(p: Promise) -> Event:
            self._require_open(p, "reassigned")
            if p.owner == name:
                raise PromiseError(f"promise {p.id} is already {name}'s")
            return self._event(EventKind.REASSIGNED, owner=name, previous=p.owner)

        return self._change(pid, event)

    def flag(self, pid: int | str, note: str) -> Promise:
        text = clean_text(note, "note (what it is waiting on)")

        def event(p: Promise) -> Event:
            self._require_open(p, "flagged")
            return self._event(EventKind.FLAGGED, blocked=True, note=text)

        return self._change(pid, event)

    def unflag(self, pid: int | str) -> Promise:
        def event(p: Promise) -> Event:
            if not p.blocked:
                raise PromiseError(f"promise {p.id} is not flagged")
            return self._event(EventKind.FLAGGED, blocked=False)

        return self._change(pid, event)

    def wait(self, pid: int | str, note: str, until: str | None = None) -> Promise:
        """Waiting on the customer (bring the item, sign, pay): the risk clock stops until ``resume``."""
        text = clean_text(note, "note (what the customer is to do)")
        now = self.now()
        until_at = parse_due(until, now, self.calendar) if until and until.strip() else None

        def event(p: Promise) -> Event:
            self._require_open(p, "put on waiting")
            if p.waiting_since is not None:
                raise PromiseError(f"promise {p.id} is already waiting on the customer ({p.waiting_note})")
            return self._event(EventKind.WAITING, note=text, until=until_at.isoformat() if until_at else None)

        return self._change(pid, event)

    def resume(self, pid: int | str, note: str | None = None) -> Promise:
        """The customer came back: the due moves on by the business time spent waiting (not a reschedule)."""
        text = clean_text(note, "note", required=False)

        def event(p: Promise) -> Event:
            self._require_open(p, "resumed")
            if p.waiting_since is None:
                raise PromiseError(f"promise {p.id} is not waiting on the customer")
            return self._resumed(p, text)

        return self._change(pid, event)

    def _resumed(self, p: Promise, note: str) -> Event:
        """The event that ends ``p``'s wait now: the due moved on by the business time waited."""
        assert p.waiting_since is not None
        now = self.now()
        waited = self.calendar.business_seconds(p.waiting_since, now) if now > p.waiting_since else 0.0
        waited = round(waited / 60) * 60.0  # whole minutes: a due of 15:29:59.8 would read as 15:29
        due = self.calendar.add_business_seconds(p.due, waited) if waited else p.due
        return self._event(EventKind.RESUMED, due=due.isoformat(), previous=p.due.isoformat(), waited=waited,
                           note=note)

    def alert_level(self, p: Promise, now: datetime | None = None) -> Risk | None:
        assessment = self.assess(p, now)
        return assessment.level if assessment else None

    def acknowledge(self, pid: int | str, raised: datetime | None = None) -> Promise:
        """Someone owns the alert of the promise now. ``raised``: when the alert came up (default: the due for an
        overdue one, else now) — the report's time to acknowledge counts from there. Never changes the risk."""
        now = self.now()

        def event(p: Promise) -> Event:
            state = self._alert(p, now, "acknowledged")
            if state.acknowledged is not None:
                e = state.acknowledged
                raise PromiseError(f"promise {p.id}'s alert was already acknowledged by {e.by} "
                                   f"at {e.at.astimezone(self.calendar.tz):%a %H:%M}")
            start = raised or (p.due if state.level is Risk.OVERDUE else now)
            return self._event(EventKind.ACKNOWLEDGED, level=state.level.value, due=p.due.isoformat(),
                               raised=min(start, now).isoformat())

        return self._change(pid, event)

    def snooze(self, pid: int | str, choice: str) -> Promise:
        """Put off the alert's reminders: ``15m``, ``1h`` or until ``tomorrow``'s opening."""
        if choice not in SNOOZE_CHOICES:
            raise PromiseError(f"snooze for one of {', '.join(SNOOZE_CHOICES)}, not {choice!r}")
        now = self.now()

        def event(p: Promise) -> Event:
            state = self._alert(p, now, "snoozed")
            until = snooze_until(choice, now, self.calendar)
            return self._event(EventKind.SNOOZED, level=state.level.value, due=p.due.isoformat(),
                               until=until.isoformat())

        return self._change(pid, event)

    def _alert(self, p: Promise, now: datetime, doing: str) -> AlertState:
        self._require_open(p, doing)
        level = self.alert_level(p, now)
        state = alert_state(p, level)
        if state is None:
            shown = level.value.replace("_", " ") if level else "closed"
            raise PromiseError(f"promise {p.id} has no alert to be {doing}: it is {shown}")
        return state

    def note(self, pid: int | str, text: str) -> Promise:
        body = clean_text(text, "note")
        return self._change(pid, lambda p: self._event(EventKind.NOTE, note=body))

    def undo_preview(self) -> UndoPreview:
        """What ``undo`` would undo now — which change of which promise, and when it was made — without undoing it
        (the board says it and asks before undoing a change older than ``UNDO_ASK_AFTER``). Raises PromiseError
        when there is nothing to undo, or a colleague changed that promise since."""
        return self._undo_target(self._load().snapshot.promises)[0]

    def _undo_target(self, promises: Mapping[int, Mapping[str, Any]]) -> tuple[UndoPreview, Promise, int]:
        """This user's latest change that is still in force: its preview, its promise and the event's index."""
        latest: tuple[datetime, int, int] | None = None
        for pid, doc in promises.items():
            with _stored_records(self.store):
                promise = Promise.from_dict(dict(doc))
            for index in promise.effective_indices():
                e = promise.events[index]
                if e.by == self.user and (latest is None or e.at >= latest[0]):
                    latest = (e.at, pid, index)
        if latest is None:
            raise PromiseError(f"nothing to undo for {self.user}")
        at, pid, index = latest
        promise = Promise.from_dict(dict(promises[pid]))
        target = promise.events[index]
        later = [e for e in promise.effective_events()[1:] if e.at > target.at and e.by != self.user]
        if later:
            raise PromiseError(
                f"can't undo your {action_noun(target.kind)} of {pid}: {later[-1].by} changed it after you"
            )
        removes = target.kind is EventKind.CREATED
        what = f"adding promise {pid} (removed)" if removes else f"the {action_noun(target.kind)} of promise {pid}"
        return UndoPreview(pid, target.kind.value, at, what, removes), promise, index

    def undo(self, expect: UndoPreview | None = None) -> str:
        """Undo the last change this user made (if nobody changed that promise since). Returns what was undone.
        ``expect``: the preview the user agreed to; if the last change is another one by now, nothing is undone."""
        with self.store.transaction() as tx:
            preview, promise, index = self._undo_target(tx.promises)
            if expect is not None and (expect.pid, expect.kind, expect.at) != (preview.pid, preview.kind, preview.at):
                raise PromiseError(f"nothing undone: your last change is now {preview.what}, not {expect.what}")
            pid, target = preview.pid, promise.events[index]
            if target.kind is EventKind.CREATED:
                tx.delete_promise(pid)
                return f"undid adding promise {pid} (removed)"
            promise.events.append(self._event(EventKind.UNDONE, event=index, kind=target.kind.value))
            tx.put_promise(rebuild(promise).to_dict())
        return f"undid the {action_noun(target.kind)} of promise {pid}"

    def kudos(self, person: str, note: str, from_customer: str = "") -> dict[str, Any]:
        """Record praise for a staff member, from a customer or a colleague."""
        doc = {
            "person": clean_text(person, "person", limit=NAME_LIMIT),
            "note": clean_text(note, "note"),
            "from_customer": clean_text(from_customer, "customer", required=False, limit=NAME_LIMIT),
            "by": self.user,
            "at": self.now().isoformat(),
        }
        with self.store.transaction() as tx:
            tx.add_kudos(doc)
        return doc

    def save_theme(self, theme: str) -> None:
        """Keep the board's theme (chosen in its command palette) in settings.toml for next time; nothing for
        settings built in memory (tests) or a theme already kept."""
        from dataclasses import replace

        from promisetrack.config import save_theme

        if self.settings.path is None or theme == self.settings.theme:
            return
        try:
            save_theme(self.settings.path, theme)
        except OSError as exc:
            raise DataError(f"cannot keep the theme in {self.settings.path}: {exc.strerror or exc}") from None
        self.settings = replace(self.settings, theme=theme)

    def desk_id(self) -> str:
        """This desk's random id, made on first use and kept in the store's meta: it makes the calendar's UIDs
        (``promise-1001-<desk id>@promisetrack``) unique per desk, so two desks' promise 1001 are two events in one
        calendar app, not one overwriting the other."""
        known = self._load().snapshot.meta.get("desk_id")
        if isinstance(known, str) and known:
            return known
        import secrets

        with self.store.transaction() as tx:
            return tx.setdefault_meta("desk_id", secrets.token_hex(6))

    def kudos_list(self) -> list[dict[str, Any]]:
        return list(self._load().kudos)

    # ---------------------------------------------------------------- measuring
    def period(
        self, *, month: str | None = None, week: str | None = None, first: str | None = None, last: str | None = None
    ) -> Period:
        """The period of ``--month``, ``--week`` or ``--from/--to`` in the desk's zone (default: this month)."""
        return metrics.parse_period(self.now(), self.calendar.tz, month=month, week=week, first=first, last=last)

    def last_week(self) -> Period:
        """The ISO week just ended, per the desk's clock."""
        return metrics.previous_week(self.now(), self.calendar.tz)

    def _pool(self, start: datetime, end: datetime) -> list[Promise]:
        """Every live promise plus the archived ones that may have closed in ``[start, end)``."""
        tz = self.calendar.tz
        docs = self.store.read_closed(start.astimezone(tz), end.astimezone(tz))
        with _stored_records(self.store):
            return [Promise.from_dict(doc) for doc in docs]

    def closed_between(self, start: datetime, end: datetime) -> list[Promise]:
        """Promises closed (done or cancelled) in ``[start, end)``, reading only the archive months needed."""
        return metrics.closed_in(self._pool(start, end), metrics.Period("", start, end))

    def open_rows_at(self, moment: datetime, pool: Iterable[Promise] | None = None) -> list[Row]:
        """The promises open at ``moment`` as they stood then, with their risk then, in board order.

        From ``now`` on, that is the board. Before, each promise's state is replayed from its events before
        ``moment`` and assessed against the load and lead times of that moment.
        """
        now = self.now()
        if moment >= now:
            return self.board(now)
        if pool is None:
            pool = self._pool(self._lead_window_start(moment), now)
        states = [s for p in pool if (s := metrics.state_at(p, moment)) is not None]
        open_ = [s for s in states if s.is_open]
        closed = [s for s in states if not s.is_open]
        context = build_context(
            open_, closed, self.calendar, self.settings,
            leads=history.promises_in_window(closed, moment, self.settings, self.calendar),
            repeat_breakers=history.repeat_breakers_among(closed, {s.customer.id for s in open_}),
        )
        return sorted((Row(s, assess(s, moment, context)) for s in open_), key=board_key)

    def _lead_window_start(self, moment: datetime) -> datetime:
        """Where the lead-time window ending at ``moment`` starts (a past moment's pool reaches back that far)."""
        return moment - timedelta(days=self.settings.lead_window_days)

    def period_detail(self, period: Period) -> PeriodDetail:
        """A period's report, its closed promises and the promises open at its end (or now, if it has not ended)."""
        now = self.now()
        as_of = min(period.end, now)
        start = period.start if as_of >= now else min(period.start, self._lead_window_start(as_of))
        pool = self._pool(start, max(period.end, now))
        open_rows = self.open_rows_at(as_of, pool)
        closed = sorted(metrics.closed_in(pool, period), key=lambda p: (p.closed_at or p.due, p.id))
        report = metrics.figures(closed, period, self.calendar, open_rows)
        return PeriodDetail(report, [Row(p, None) for p in closed], open_rows, as_of)

    def period_report(self, period: Period) -> Report:
        return self.period_detail(period).report

    def trends(self, weeks: int = 8, months: int = 6) -> dict[str, list[TrendPoint]]:
        """On-time and proactive-contact rates of the last ``weeks`` ISO weeks and ``months`` months (oldest first)."""
        now, tz = self.now(), self.calendar.tz
        week_periods = metrics.recent_weeks(now, tz, weeks)
        month_periods = metrics.recent_months(now, tz, months)
        start = min(week_periods[0].start, month_periods[0].start)
        pool = self.closed_between(start, max(week_periods[-1].end, month_periods[-1].end))
        return {
            "weeks": metrics.trend(pool, week_periods, self.calendar),
            "months": metrics.trend(pool, month_periods, self.calendar),
        }

    def recurring_issues(self, weeks: int = 8, min_total: int = 2) -> dict[str, list[Recurring]]:
        """Categories and words of complaint promises that keep coming back over the last ``weeks`` weeks."""
        periods = metrics.recent_weeks(self.now(), self.calendar.tz, weeks)
        pool = self._pool(periods[0].start, periods[-1].end)
        return metrics.recurring_issues(pool, periods, min_total=min_total)

    def recognition(self, period: Period) -> list[Recognition]:
        """Each staff member against the desk's standards in the period, with kudos received."""
        return metrics.recognition(
            self.closed_between(period.start, period.end), period, self.calendar,
            metrics.Standards.from_settings(self.settings), self.kudos_list(), self.settings.staff,
        )


def promise_json(row: Row) -> dict[str, Any]:
    """The JSON shape of a promise (CLI ``--json``, exports)."""
    p, a = row.promise, row.assessment
    outcome = derive_outcome(p)
    doc = p.to_dict()
    doc["customer"] = {"name": p.customer.name, "phone": p.customer.phone, "email": p.customer.email}
    doc["customer_id"] = p.customer.id
    doc["risk"] = a.level.value if a else None
    doc["risk_reasons"] = list(a.reasons) if a else []
    doc["outcome"] = outcome.value if outcome else None
    doc["waiting_since"] = p.waiting_since.isoformat() if p.waiting_since else None  # every row has the same keys
    doc["waiting_note"] = p.waiting_note
    doc["waiting_until"] = p.waiting_until.isoformat() if p.waiting_until else None
    return doc


def open_desk(
    data_dir: Path, *, now: str | None = None, user: str | None = None, clock: Clock | None = None
) -> Desk:
    """A Desk on a data dir: its settings, its store, the clock (``--now`` starts it at a moment) and the user."""
    settings = load_settings(data_dir)
    store = FileStore(data_dir, backups_kept=settings.backups_kept)
    if clock is None:
        clock = SystemClock(settings.tz)
        if now:
            cal = BusinessCalendar.from_settings(settings)
            try:
                start = parse_due(now, clock.now(), cal, allow_past=True)
            except PromiseError as exc:
                raise PromiseError(f"--now: {exc.message}") from None
            if not 1900 <= start.year <= 9000:  # the calendar arithmetic needs room on both sides
                raise PromiseError(f"--now: {now!r} falls in the year {start.year}; pick a moment from 1900 to 9000")
            clock = OffsetClock(start, clock)
    return Desk(store, settings, clock, resolve_user(user))
