"""Desk: the one door to the data. Every operation of the CLI and the board — add, contact, reschedule, done,
cancel, reassign, flag, note, undo, kudos and the queries — is a method here: validation, events, reality check.
"""

from __future__ import annotations

import getpass
import os
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from promisetrack import history, records
from promisetrack.alerts import SNOOZE_CHOICES, AlertState, alert_state, snooze_until
from promisetrack.calendar import BusinessCalendar
from promisetrack.clock import Clock, OffsetClock, SystemClock
from promisetrack.config import (
    SETTINGS_FILE,
    Settings,
    load_settings,
    resolve_db,
    resolve_holidays,
    save_theme,
    settings_from_toml,
)
from promisetrack.customers import CustomerNote, CustomerSummary, is_merged, name_key, notes_of, summarize
from promisetrack.dates import format_due, parse_due, parse_due_with_notes
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
from promisetrack.notices import Notice, fill, when
from promisetrack.outcomes import derive_outcome
from promisetrack.risk import (
    Assessment,
    RiskContext,
    assess,
    context_from,
    level_of_record,
    reality_check,
)
from promisetrack.store import FileStore, PromiseStore, Snapshot, StoreTx, Watch

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


def _customer_id(value: int | str) -> int:
    try:
        return int(str(value).strip().lstrip("#"))
    except ValueError:
        raise PromiseError(f"a customer id is a number like 12, not {str(value)!r}") from None


def parse_id(value: int | str) -> int:
    try:
        return int(str(value).strip().lstrip("#"))
    except ValueError:
        raise PromiseError(f"a promise id is a number like 1042, not {str(value)!r}") from None


def _phone_key(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def customer_record(c: Customer) -> dict[str, Any]:
    """A customer as the store keeps it: with the keys ``add`` looks customers up by (the phone's digits, the email
    casefolded, the name without case or accents), so that a lookup reads only the customer file holding a match,
    however many customers there are."""
    return {**c.to_dict(), "phone_key": _phone_key(c.phone), "email_key": c.email.casefold(),
            "name_key": name_key(c.name)}


def _contact_line(c: Customer) -> str:
    """``#12 Maria Lopez (+44 7700 900101)``: enough for the desk to tell which customer was meant."""
    reach = ", ".join(x for x in (c.phone, c.email) if x)
    return f"#{c.id} {c.name}" + (f" ({reach})" if reach else "")


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
        return getpass.getuser()
    except (KeyError, OSError):
        return "desk"


class Row(NamedTuple):
    """One promise as the board and the listings show it."""

    promise: Promise
    assessment: Assessment | None

    @property
    def risk(self) -> Risk | None:
        return self.assessment.level if self.assessment else None


class UndoPreview(NamedTuple):
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


class Health(NamedTuple):
    """What ``check`` found: problems (something is wrong), warnings (something will bite) and where the data is."""

    problems: list[str]
    warnings: list[str]
    location: str


class FirstBoard(NamedTuple):
    """``Desk.first_board``: the first ``rows`` of the board, the number of promises at each level on the whole board,
    and how many open promises there are."""

    rows: list[Row]
    counts: dict[Risk, int]
    total: int

    @property
    def complete(self) -> bool:
        return len(self.rows) == self.total


FirstRead = tuple[Hashable | None, datetime, FirstBoard]  # ``Desk.first_read``: the version, the moment, the board


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
        self._open_records: list[tuple[int, dict[str, Any]]] | None = None
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
            self._open = [self._built(pid) for pid, _ in self.open_records()]
        return self._open

    def open_records(self) -> list[tuple[int, dict[str, Any]]]:
        """The stored records of the open promises, unbuilt."""
        if self._open_records is None:
            self._open_records = [(pid, doc) for pid, doc in self.snapshot.promises.items() if _is_open(doc)]
        return self._open_records

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


_OPEN = Status.OPEN.value


def _is_open(doc: Mapping[str, Any]) -> bool:
    return doc.get("status") == _OPEN


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
            breakers = self._repeat_breakers(live)
            with _stored_records(self.store):
                loads = [(doc["owner"], datetime.fromisoformat(doc["due"]), pid) for pid, doc in live.open_records()]
            live.context = context_from(loads, leads, self.calendar, self.settings, repeat_breakers=breakers)
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
                closings: dict[int, list[history.Closing]] = {int(doc["customer"]["id"]): []
                                                              for _, doc in live.open_records()}
                for pid, doc in live.snapshot.promises.items():
                    cid = doc["customer"]["id"]
                    if cid in closings and not _is_open(doc):
                        closing = history.closing_outcome(live._built(pid))
                        if closing is not None:
                            closings[cid].append(closing)
                for cid, archived in history.breaker_entries_of(self._history(live), closings).items():
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

    def first_read(self, screenful: int = 50) -> FirstRead:
        """What the board opens with: the data's version, the moment now and ``first_board`` at it, for a screenful
        of ``screenful`` rows."""
        version, now = self.version(), self.now()
        return version, now, self.first_board(now, screenful)

    @property
    def readable_after_fork(self) -> bool:
        """May the board's first read run in a forked child (``promisetrack.ahead``)? Only on a store that inherits
        nothing a child could disturb (the files)."""
        return self.store.readable_after_fork

    def first_board(self, now: datetime | None = None, screenful: int = 50) -> FirstBoard:
        """The board's first screen and its header counts, without assessing every promise's reasons: every
        promise's level comes from its record (``risk.level_of_record``), which gives the order and the counts, and
        only the first ``screenful`` rows (and every overdue one, for the unacknowledged count) are built and
        assessed in full. The rows are the first rows of ``board(now)``; the rest follow with ``board(now)``."""
        now = now or self.now()
        live = self._load()
        context = self._context(live, now)
        keys: list[tuple[int, datetime, int]] = []
        counts = dict.fromkeys(Risk, 0)
        at_now = context.calendar.open_time(now)
        with _stored_records(self.store):
            for pid, doc in live.open_records():
                level = level_of_record(doc, now, context, at_now)
                counts[level] += 1
                keys.append((_RISK_ORDER[level], datetime.fromisoformat(doc["due"]), pid))
        keys.sort()
        first = keys[:max(screenful, counts[Risk.OVERDUE])]
        rows = [Row(p, assess(p, now, context)) for _, _, pid in first if (p := live.promise(pid)) is not None]
        if [_RISK_ORDER[r.risk] for r in rows if r.risk] != [order for order, _, _ in first]:
            # the two paths disagree (a bug): the full board is always right
            full = self.board(now)
            counts = dict.fromkeys(Risk, 0)
            for row in full:
                if row.risk is not None:
                    counts[row.risk] += 1
            return FirstBoard(full, counts, len(full))
        return FirstBoard(rows, counts, len(keys))

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
        """Every customer, by name; those merged into another are left out."""
        live = self._load()
        records = live.snapshot.customers
        found = [c for cid, c in live.customers().items() if not is_merged(records[cid])]
        return sorted(found, key=lambda c: (c.name.casefold(), c.id))

    def find_customers(self, text: str, limit: int = 8) -> list[Customer]:
        """Known customers whose name (without case or accents), phone or email contains ``text`` (for suggestions
        as you type). Customers alike in name, phone and email show once (the first made): a data dir from before
        names were matched may hold dozens of "C"s."""
        needle, key = text.strip().casefold(), name_key(text)
        if not needle:
            return []
        digits = _phone_key(needle)
        found: dict[tuple[str, str, str], Customer] = {}
        for c in sorted(self.customers(), key=lambda c: c.id):
            if (key in name_key(c.name) or needle in c.email.casefold()
                    or (len(digits) >= 3 and digits in _phone_key(c.phone))):
                found.setdefault((name_key(c.name), _phone_key(c.phone), c.email.casefold()), c)
        return sorted(found.values(), key=lambda c: (c.name.casefold(), c.id))[:limit]

    def customer_summaries(self) -> list[CustomerSummary]:
        """``customers``: each customer with open, closed and broken counts and the last contact, over every
        promise of theirs, archive included (it reads every archive month: a question asked now and then)."""
        live = self._load()
        by_customer: dict[int, list[Promise]] = {}
        with _stored_records(self.store):
            archived = [Promise.from_dict(doc) for doc in self.store.read_archived()
                        if doc["id"] not in live.snapshot.promises]  # the live copy wins (ARCHITECTURE §6)
        for p in [*live.all_promises(), *archived]:
            by_customer.setdefault(p.customer.id, []).append(p)
        records = live.snapshot.customers
        with _stored_records(self.store):
            return [summarize(c, by_customer.get(c.id, []), notes_of(records[c.id])) for c in self.customers()]

    def customer(self, cid: int | str) -> tuple[CustomerSummary, list[Promise]]:
        """One customer with their notes and counts, and every promise of theirs (archive included), newest first.
        A customer merged into another is that other one."""
        doc = self._customer_doc(cid)
        with _stored_records(self.store):
            known = Customer.from_dict(doc)
            history_ = self.customer_history(known.id)
            return summarize(known, history_, notes_of(doc)), history_

    def _customer_doc(self, cid: int | str) -> dict[str, Any]:
        number = _customer_id(cid)
        records = self._load().snapshot.customers
        doc = records.get(number)
        seen = set()
        while doc is not None and is_merged(doc) and number not in seen:  # follow the merge (no loop forever)
            seen.add(number)
            number = int(doc["merged_into"])
            doc = records.get(number)
        if doc is None:
            raise PromiseError(f"no customer {number}")
        return dict(doc)

    def edit_customer(self, cid: int | str, *, name: str | None = None, phone: str | None = None,
                      email: str | None = None, note: str | None = None) -> Customer:
        """Correct a customer's name, phone or email, or add a note (with who and when). The copies of the customer
        in their live promises follow, so the board shows the new name; archived promises keep the old one."""
        changes = {key: clean_text(value, key, required=key == "name", limit=NAME_LIMIT)
                   for key, value in (("name", name), ("phone", phone), ("email", email)) if value is not None}
        if changes.get("email") and "@" not in changes["email"]:
            raise PromiseError(f"email {changes['email']!r} has no @")
        text = clean_text(note, "note", required=False)
        if not changes and not text:
            raise PromiseError("nothing to change: give --name, --phone, --email or --note")
        number = _customer_id(cid)
        with self.store.transaction() as tx:
            doc = self._tx_customer(tx, number)
            with _stored_records(self.store):
                edited = replace(Customer.from_dict(doc), **changes)
            record = {**doc, **customer_record(edited)}
            if text:
                record["notes"] = [*doc.get("notes", []), CustomerNote(self.now(), self.user, text).to_dict()]
            tx.put_customer(record)
            self._restamp_live(tx, edited)
        return edited

    def _tx_customer(self, tx: StoreTx, number: int) -> dict[str, Any]:
        """The customer ``number`` in a transaction (a key search on its id: no scan of every customer)."""
        found = [doc for doc in tx.find_customers("id", number) if not is_merged(doc)]
        if not found:
            raise PromiseError(f"no customer {number}")
        return dict(found[0])

    def _restamp_live(self, tx: StoreTx, customer: Customer) -> None:
        """The live promises of ``customer`` carry its current name, phone and email (not an event: the customer's
        details are not part of a promise's history, which names the customer by id)."""
        for doc in list(tx.promises.values()):
            if doc["customer"]["id"] == customer.id and doc["customer"] != customer.to_dict():
                tx.put_promise({**doc, "customer": customer.to_dict()})

    def merge_customers(self, keep: int | str, duplicate: int | str) -> tuple[Customer, list[int]]:
        """Fold the customer ``duplicate`` into ``keep``: its promises (live and archived) become ``keep``'s, each with
        a note event saying so (``merged_from``); its missing phone or email and its notes join ``keep``; it is kept
        as ``merged_into`` with no lookup keys, so no list, suggestion or lookup shows it again. Returns the customer
        kept and the ids of the promises moved."""
        a, b = _customer_id(keep), _customer_id(duplicate)
        if a == b:
            raise PromiseError(f"customer {a} cannot be merged into itself")
        now = self.now()
        with self.store.transaction() as tx:
            doc_a, doc_b = self._tx_customer(tx, a), self._tx_customer(tx, b)
            with _stored_records(self.store):
                known, other = Customer.from_dict(doc_a), Customer.from_dict(doc_b)
            kept = Customer(known.id, known.name, known.phone or other.phone, known.email or other.email)
            note = CustomerNote(now, self.user, f"merged customer {_contact_line(other)} into this one")
            tx.put_customer({**doc_a, **customer_record(kept),
                             "notes": [*doc_a.get("notes", []), *doc_b.get("notes", []), note.to_dict()]})
            tx.put_customer({**doc_b, "merged_into": a, "phone_key": "", "email_key": "", "name_key": ""})
            moved = self._move_promises(tx, other, kept)
            self._restamp_live(tx, kept)
            self._archive_old(tx, now)  # the archived promises moved go back to their month, now as ``keep``'s
        return kept, moved

    def _move_promises(self, tx: StoreTx, other: Customer, kept: Customer) -> list[int]:
        docs = {pid: doc for pid, doc in tx.promises.items() if doc["customer"]["id"] == other.id}
        for doc in self.store.customer_promises(other.id):
            docs.setdefault(doc["id"], doc)
        for pid in sorted(docs):
            with _stored_records(self.store):
                promise = Promise.from_dict(docs[pid])
            promise.customer = kept
            promise.events.append(self._numbered(tx, self._event(
                EventKind.NOTE, note=f"customer {_contact_line(other)} merged into {_contact_line(kept)}",
                merged_from=other.id, merged_into=kept.id)))
            tx.put_promise(promise.to_dict())
        return sorted(docs)

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
        return self._holiday_named(reality_check(due, now, owner, category, self._context(now=now), pid, customer),
                                   due)

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
            customer_closings += [c for c in history.breaker_entries_of(summary, [customer]).get(customer, [])
                                  if c.pid not in live_ids]
        seconds = history.in_window(lead_closings, now, self.settings)
        breakers = {customer} if customer and history.is_repeat_breaker(customer_closings) else set()
        context = context_from(loads, {category: seconds} if seconds else {}, self.calendar, self.settings,
                               repeat_breakers=breakers)
        return self._holiday_named(reality_check(due, now, owner, category, context, customer=customer), due)

    def holiday(self, day: date) -> str | None:
        """``day``'s holiday in words — ``Christmas Day``, or ``holiday`` for a date typed into the settings — or
        None when it is none."""
        if day not in self.calendar.holidays:
            return None
        return self.settings.holiday_names.get(day, "holiday")

    def closed_note(self, now: datetime) -> str:
        """For the board's header while the desk is shut: ``closed today: Christmas Day``, ``closed — opens Mon 30
        09:00``; "" while it is open."""
        tz = self.calendar.tz
        day = now.astimezone(tz).date()
        name = self.holiday(day)
        if name is not None:
            return f"closed today: {name}"
        if self.calendar.is_open_at(now):
            return ""
        hours = self.calendar.hours_on(day)
        if hours is None or now >= hours[1]:
            hours = self.calendar.hours_on(self.calendar.next_open_day(day))
        return f"closed — opens {format_due(hours[0], now, tz)}" if hours else "closed"

    def _holiday_named(self, warnings: list[str], due: datetime) -> list[str]:
        """The reality check's "Thu 25 Dec is a holiday" with the holiday's name and the next open day."""
        day = due.astimezone(self.calendar.tz).date()
        name = self.holiday(day)
        if name is None:
            return warnings
        after = self.calendar.next_open_day(day)
        named = (f"{day:%a} {day.day} {day:%b} is a holiday ({name}): next open day {after:%a} {after.day}"
                 if name != "holiday" else None)
        return [named if named and w.endswith(" is a holiday") else w for w in warnings]

    # ---------------------------------------------------------------- changing
    def _event(self, kind: EventKind, /, **data: Any) -> Event:
        return Event(kind, self.now(), self.user, data)

    @staticmethod
    def _numbered(tx: StoreTx, event: Event) -> Event:
        """``event`` with the desk's next change number, as it is saved in ``tx`` (see ``Event.n``)."""
        return replace(event, n=tx.next_id("change"))

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

    def _change(self, pid: int | str, make_event: Callable[[Promise], Event | list[Event]], *,
                archived: bool = False) -> Promise:
        """Load the promise under the lock, check and append its event (or events), save.

        ``archived``: the promise may be in the archive too (a late complaint or score). It is put back in the live
        set and, closed long ago, moved to the archive again by ``_archive_old`` in this same transaction — so the
        change is saved where the promise lives, replacing the archived copy."""
        number = parse_id(pid)
        with self.store.transaction() as tx:
            doc = tx.promises.get(number)
            if doc is None and archived:
                doc = self.store.fetch(number)
            if doc is None:
                raise PromiseError(f"no open or recent promise {number}" if not archived else f"no promise {number}")
            with _stored_records(self.store):
                promise = Promise.from_dict(doc)
            made = make_event(promise)
            events = made if isinstance(made, list) else [made]
            for event in events:
                event = self._numbered(tx, event)
                promise.events.append(event)
                apply(promise, event)
            tx.put_promise(promise.to_dict())
            self._archive_old(tx, events[-1].at)
        return promise

    def _end_wait(self, p: Promise, note: str = "closed while waiting") -> list[Event]:
        """Closing (or rescheduling) a promise that waits on the customer ends the wait first (its due moves on as on
        a resume). The event says it goes with the change after it (``with_next``): undo undoes the two together."""
        if p.waiting_since is None:
            return []
        return [self._resumed(p, note, with_next=True)]

    @staticmethod
    def _require_open(p: Promise, doing: str) -> None:
        if not p.is_open:
            raise PromiseError(f"promise {p.id} is already {p.status.value}; it cannot be {doing}")

    def _link_customer(self, tx: StoreTx, name: str, phone: str, email: str, *, new_customer: bool = False
                       ) -> tuple[Customer, str]:
        """The known customer with this phone number or email (the first made, completed with what is new); for a
        name typed alone, the known customer of that name (with a warning saying so), unless ``new_customer``;
        else a new one. Returns the customer and the warning ("" when none)."""
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
            if merged != known or "name_key" not in matches[min(matches)]:
                tx.put_customer({**matches[min(matches)], **customer_record(merged)})  # its notes stay
            return merged, ""
        if not phone_key and not email_key and not new_customer:
            same_name = [doc for doc in tx.find_customers("name_key", name_key(name)) if not is_merged(doc)]
            if same_name:
                with _stored_records(self.store):
                    known = Customer.from_dict(min(same_name, key=lambda doc: doc["id"]))
                return known, (f"matched to customer {_contact_line(known)}; use --new-customer to make "
                               "another")
        customer = Customer(tx.next_id("customer"), name, phone, email)
        tx.put_customer(customer_record(customer))
        return customer, ""

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
        new_customer: bool = False,
    ) -> tuple[Promise, list[str]]:
        """Make a promise. Returns it and the warnings (which do not stop it): how a due at a wall time the clocks
        skip or repeat was taken, the reality check, then the known customer a name typed alone was matched to.
        ``new_customer``: never match by name (another customer of the same name)."""
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
            linked, matched = self._link_customer(tx, name, phone, email, new_customer=new_customer)
            warnings = notes + self._check_records(tx.promises.values(), due_at, now, owner_name, category_name,
                                                   customer=linked.id, summary=self._tx_history(tx, now))
            if matched:  # after the due's notes and the reality check, whose order callers rely on
                warnings.append(matched)
            pid = tx.next_id("promise")
            created = Event(EventKind.CREATED, now, self.user, {
                "due": due_at.isoformat(), "owner": owner_name, "category": category_name,
                "what": what_text, "complaint": complaint, "customer": linked.id,
            }, tx.next_id("change"))
            promise = Promise(
                id=pid, customer=linked, what=what_text, owner=owner_name, category=category_name,
                created_at=now, original_due=due_at, due=due_at, complaint=complaint, events=[created],
            )
            tx.put_promise(promise.to_dict())
            self._archive_old(tx, now)
        return promise, warnings

    def contact(self, pid: int | str, note: str, channel: str = "phone", *, template: str = "") -> Promise:
        """A conversation with the customer (``template``: the prepared notice the text came from, if any)."""
        text = clean_text(note, "note")
        if channel not in CHANNELS:
            raise PromiseError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
        extra = {"template": template} if template else {}

        def event(p: Promise) -> Event:
            self._require_open(p, "contacted")
            return self._event(EventKind.CONTACTED, channel=channel, note=text, **extra)

        return self._change(pid, event)

    def notice(self, pid: int | str, template: str, new_due: str | None = None) -> Notice:
        """The prepared notice ``template`` filled for a promise (``new_due``: a phrase for ``{new_due}``, e.g. the
        date about to be proposed; else the due in force). Nothing is logged: ``contact`` does that once sent."""
        texts = self.settings.templates
        if template not in texts:
            raise PromiseError(f"no template {template!r}: the desk has {', '.join(texts) or 'none'} "
                               "([templates] in settings.toml)")
        p = self.get(pid)
        tz = self.calendar.tz
        proposed = parse_due(new_due, self.now(), self.calendar) if new_due and new_due.strip() else p.due
        return fill(template, texts[template], p, when(p.due, tz), when(proposed, tz), self.settings.desk_name,
                    self.settings.desk_phone)

    def reschedule(self, pid: int | str, due: str, note: str) -> tuple[Promise, list[str]]:
        text = clean_text(note, "note")
        due_at, notes = parse_due_with_notes(due, self.now(), self.calendar)
        current = self.get(pid)
        self._require_open(current, "rescheduled")
        if due_at == current.due:
            raise PromiseError(f"promise {current.id} is already due then")
        warnings = notes + self.check_promise(due_at, current.owner, current.category, current.id,
                                      customer=current.customer.id)

        def event(p: Promise) -> list[Event]:  # a new due agreed ends any wait on the customer first
            self._require_open(p, "rescheduled")
            ended = self._end_wait(p, "a new due agreed while waiting")
            if ended:
                apply(p, ended[0])
            return [*ended, self._event(EventKind.RESCHEDULED, due=due_at.isoformat(), previous=p.due.isoformat(),
                                        note=text)]

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

    def _resumed(self, p: Promise, note: str, **extra: Any) -> Event:
        """The event that ends ``p``'s wait now: the due moved on by the business time waited (``extra``: more data)."""
        assert p.waiting_since is not None
        now = self.now()
        waited = self.calendar.business_seconds(p.waiting_since, now) if now > p.waiting_since else 0.0
        waited = round(waited / 60) * 60.0  # whole minutes: a due of 15:29:59.8 would read as 15:29
        due = self.calendar.add_business_seconds(p.due, waited) if waited else p.due
        return self._event(EventKind.RESUMED, due=due.isoformat(), previous=p.due.isoformat(), waited=waited,
                           note=note, **extra)

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

    def complaint(self, pid: int | str, note: str) -> Promise:
        """The customer complained about this promise, after it was made: open or closed, live or archived."""
        text = clean_text(note, "note (what the customer complained about)")

        def event(p: Promise) -> Event:
            if p.complaint:
                raise PromiseError(f"promise {p.id} already has a complaint; add to it with a note")
            return self._event(EventKind.COMPLAINT, complaint=True, note=text)

        return self._change(pid, event, archived=True)

    def clear_complaint(self, pid: int | str, note: str | None = None) -> Promise:
        """The complaint was set by mistake (or withdrawn): an event, so the timeline still shows it was there."""
        text = clean_text(note, "note", required=False)

        def event(p: Promise) -> Event:
            if not p.complaint:
                raise PromiseError(f"promise {p.id} has no complaint to clear")
            return self._event(EventKind.COMPLAINT, complaint=False, note=text)

        return self._change(pid, event, archived=True)

    def rate(self, pid: int | str, csat: int | str | None, note: str | None = None) -> Promise:
        """Record or correct the csat of a promise that was done (a survey answer arriving days later). The outcome
        is untouched; the figures count the score in the period the promise closed in."""
        score = parse_csat(csat)
        if score is None:
            raise PromiseError("csat is required: a whole number from 1 to 5")
        text = clean_text(note, "note", required=False)

        def event(p: Promise) -> Event:
            if p.status is not Status.DONE:
                raise PromiseError(f"promise {p.id} is {p.status.value}; only a done promise can be rated"
                                   + (" (give the score with done --csat)" if p.is_open else ""))
            if p.csat == score:
                raise PromiseError(f"promise {p.id} is already rated {score}")
            return self._event(EventKind.RATED, csat=score, previous=p.csat, note=text)

        return self._change(pid, event, archived=True)

    def undo_preview(self) -> UndoPreview:
        """What ``undo`` would undo now — which change of which promise, and when it was made — without undoing it
        (the board says it and asks before undoing a change older than ``UNDO_ASK_AFTER``). Raises PromiseError
        when there is nothing to undo, or a colleague changed that promise since."""
        return self._undo_target(self._load().snapshot.promises)[0]

    def _undo_target(self, promises: Mapping[int, Mapping[str, Any]]) -> tuple[UndoPreview, Promise, int]:
        """This user's latest change that is still in force: its preview, its promise and the event's index."""
        latest: tuple[tuple[datetime, int], int, int] | None = None
        for pid, doc in promises.items():
            with _stored_records(self.store):
                promise = Promise.from_dict(dict(doc))
            for index in promise.effective_indices():
                e = promise.events[index]
                # The latest by time, then by the desk's change number (two changes in one second); events saved
                # before change numbers were kept go by promise id, then by their order in the promise.
                # A merge of customers is not a change of the promise and is not undone here.
                if e.by == self.user and "merged_from" not in e.data and (latest is None
                                                                            or (e.order, pid, index) >= latest):
                    latest = (e.order, pid, index)
        if latest is None:
            raise PromiseError(f"nothing to undo for {self.user}")
        (at, _), pid, index = latest
        promise = Promise.from_dict(dict(promises[pid]))
        target = promise.events[index]
        # Later by position, not by time: events are appended in the order they happen, and two in one second tie.
        later = [promise.events[i] for i in promise.effective_indices()
                 if i > index and promise.events[i].by != self.user]
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
            promise.events.append(self._numbered(tx, self._event(EventKind.UNDONE, event=index,
                                                                 kind=target.kind.value)))
            effective = promise.effective_indices()
            before = max((i for i in effective if i < index), default=None)
            if before is not None and promise.events[before].data.get("with_next") and (
                    promise.events[before].by == target.by):  # the wait a closing ended: waiting again
                promise.events.append(self._numbered(tx, self._event(EventKind.UNDONE, event=before,
                                                                     kind=EventKind.RESUMED.value)))
            tx.put_promise(rebuild(promise).to_dict())
        return f"undid the {action_noun(target.kind)} of promise {pid}"

    def kudos(self, person: str, note: str, from_customer: str = "", *, new_staff: bool = False) -> dict[str, Any]:
        """Record praise for a staff member, from a customer (a nomination) or a colleague. Someone not on the
        staff list (when the desk keeps one) is refused, naming the list, unless ``new_staff``: a typo would
        otherwise start a second person in the recognition table."""
        doc = {
            "person": self._staff_name(clean_text(person, "person", limit=NAME_LIMIT), new_staff),
            "note": clean_text(note, "note"),
            "from_customer": clean_text(from_customer, "customer", required=False, limit=NAME_LIMIT),
            "by": self.user,
            "at": self.now().isoformat(),
        }
        with self.store.transaction() as tx:
            tx.add_kudos(doc)
        return doc

    def _staff_name(self, person: str, new_staff: bool) -> str:
        """``person`` as the staff list spells it; refused if not on a list the desk keeps (empty: anyone)."""
        staff = {name.casefold(): name for name in self.settings.staff}
        if not staff or new_staff:
            return staff.get(person.casefold(), person)
        if person.casefold() not in staff:
            raise PromiseError(f"{person} is not on the staff list ({', '.join(self.settings.staff)}); "
                               "use --new-staff to record it anyway")
        return staff[person.casefold()]

    def kudos_list(self, person: str | None = None) -> list[dict[str, Any]]:
        """The kudos recorded, oldest first; of one ``person`` (any case) if given. By month: ``Measures.kudos``."""
        found = list(self._load().kudos)
        if person is not None:
            found = [k for k in found if str(k["person"]).casefold() == person.strip().casefold()]
        return found

    def save_theme(self, theme: str) -> None:
        """Keep the board's theme (chosen in its command palette) in settings.toml for next time; nothing for
        settings built in memory (tests) or a theme already kept."""
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
        with self.store.transaction() as tx:  # os.urandom is what secrets.token_hex reads, without its ~5 ms import
            return tx.setdefault_meta("desk_id", os.urandom(6).hex())

    # ---------------------------------------------------------------- what the figures read (measures.py)
    def live_and_archived(self, start: datetime, end: datetime) -> list[Promise]:
        """Every live promise plus the archived ones that may have closed in ``[start, end)``."""
        tz = self.calendar.tz
        docs = self.store.read_closed(start.astimezone(tz), end.astimezone(tz))
        with _stored_records(self.store):
            return [Promise.from_dict(doc) for doc in docs]

    def shops(self) -> list[str]:
        """The shops of a chain when this desk sees several (a supervisor, or the database's owner), by name; []
        when it sees one (a data dir, or one shop's staff): then no view shows a shop."""
        found = self.store.shops()
        return found if len(found) > 1 else []


def promise_json(row: Row) -> dict[str, Any]:
    """The JSON shape of a promise (CLI ``--json``, exports)."""
    p, a = row.promise, row.assessment
    outcome = derive_outcome(p)
    doc = p.to_dict()
    # Every key and every event's data in full, whatever the stored form leaves out (records.py).
    doc.update(complaint=p.complaint, csat=p.csat, closed_at=p.closed_at.isoformat() if p.closed_at else None,
               blocked=p.blocked, blocked_note=p.blocked_note, cancel_reason=p.cancel_reason)
    doc["events"] = [{"kind": e.kind.value, "at": e.at.isoformat(), "by": e.by, "data": e.data} for e in p.events]
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
    data_dir: Path, *, db: str | None = None, now: str | None = None, user: str | None = None,
    clock: Clock | None = None,
) -> Desk:
    """A Desk on a data dir — or on a database (``db``, else ``$PROMISETRACK_DB``, else ``[store] url``): its
    settings, its store, the clock (``--now`` starts it at a moment) and the user (on a database, the login's)."""
    url, settings = _store_choice(data_dir, db)
    store: PromiseStore
    if url:
        store, settings, who = _database_store(url, settings)
        user = who if who is not None else user
    else:
        store = FileStore(data_dir, backups_kept=settings.backups_kept)
    settings = resolve_holidays(settings, data_dir if data_dir.is_dir() else None)
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
            clock = OffsetClock(start, SystemClock(settings.tz, whole_seconds=False))
    return Desk(store, settings, clock, resolve_user(user))


def _store_choice(data_dir: Path, db: str | None) -> tuple[str | None, Settings]:
    """The database URL (None: the data dir) and the local settings. With a database named by ``--db`` or the
    environment, a data dir without settings stays untouched (no template written into a folder nobody uses)."""
    named = resolve_db(db, Settings())
    if named and not (data_dir / SETTINGS_FILE).exists():
        return named, Settings()
    settings = load_settings(data_dir)
    return named or settings.url or None, settings


def resolve_db_url(data_dir: Path, db: str | None) -> str | None:
    """The database the desk is on (``--db`` > $PROMISETRACK_DB > ``[store] url``), or None: the data dir."""
    return _store_choice(data_dir, db)[0]


def _database_store(url: str, local: Settings) -> tuple[PromiseStore, Settings, str | None]:
    """The PostgreSQL store (psycopg is imported here, only here), the desk's settings as kept in the database (the
    local file's while it has none), and the staff name of the login (None for the database's owner)."""
    from promisetrack.store.postgres import PostgresStore

    store = PostgresStore(url)
    text = store.settings_text()
    settings = settings_from_toml(text, f"the settings kept in {store.location}") if text else local
    return store, settings, store.identity()


def _admin_store(data_dir: Path, db: str | None, *, check_schema: bool = True) -> Any:
    from promisetrack.store.postgres import PostgresStore

    url, _ = _store_choice(data_dir, db)
    if not url:
        raise PromiseError("no database named: give --db URL (or set $PROMISETRACK_DB, or [store] url)")
    return PostgresStore(url, check_schema=check_schema)


def init_database(data_dir: Path, db: str | None) -> tuple[str, int, int]:
    """``db init``: create or upgrade the schema. Returns where, the schema version before and after."""
    store = _admin_store(data_dir, db, check_schema=False)
    before, after = store.init_schema()
    return store.location, before, after


def add_staff(data_dir: Path, db: str | None, name: str, *, shop: str = "main", supervisor: bool = False,
              password: str | None = None, login: str | None = None) -> tuple[str, str | None]:
    """``db add-staff``: a login for a staff member. Returns the login and a made-up password (if none given)."""
    from promisetrack.store.postgres import login_name

    display = clean_text(name, "name", limit=NAME_LIMIT)
    shop_name = clean_text(shop, "shop", limit=NAME_LIMIT)
    role = login or login_name(display)
    if not role:
        raise PromiseError(f"cannot make a login name from {display!r}: give one with --login")
    if password is not None and not password:
        raise PromiseError("the password is empty")
    store = _admin_store(data_dir, db)
    try:
        return store.add_staff(display, role, shop=shop_name, supervisor=supervisor, password=password)
    except ValueError as exc:
        raise PromiseError(str(exc)) from None


class ImportCount(NamedTuple):
    """One kind of record in ``db import``: read from the data dir, added now, in the database after."""

    kind: str
    read: int
    added: int
    stored: int


def import_desk(data_dir: Path, db: str | None, source: Path, *, shop: str = "main") -> tuple[str, list[ImportCount]]:
    """``db import``: copy a data dir — live promises, archive, customers, kudos, settings, history summary — into
    the database, each record once by id (a second run adds nothing), and check every count. Raises DataError if a
    count differs."""
    files = FileStore(source)
    if not files.path.exists():
        raise PromiseError(f"{source} holds no promisetrack data (no {files.path.name})")
    snapshot = files.read()
    # An archive month (or a live file) not yet saved in schema 2 holds full records: the database gets compact ones.
    live = [records.compact(doc) for doc in snapshot.promises.values()]
    archived = [records.compact(doc) for doc in files.read_archived() if doc["id"] not in snapshot.promises]
    with _stored_records(files):
        customers = [customer_record(Customer.from_dict(doc)) for doc in snapshot.customers.values()]
    settings_path = source / SETTINGS_FILE
    try:
        settings = settings_path.read_text(encoding="utf-8") if settings_path.exists() else None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {settings_path}: {exc}") from None
    next_ids = {"promise": int(snapshot.meta.get("next_promise_id", 1001)),
                "customer": int(snapshot.meta.get("next_customer_id", 1)),
                "change": int(snapshot.meta.get("next_change", 1))}
    store = _admin_store(data_dir, db)
    result = store.import_desk(live=live, archived=archived, customers=customers, kudos=snapshot.kudos,
                               history=snapshot.history, settings=settings, shop=clean_text(shop, "shop"),
                               next_ids=next_ids)
    read = {"live": len(live), "archived": len(archived), "customers": len(customers), "kudos": len(snapshot.kudos)}
    counts = [ImportCount(kind, read[kind], *result[kind]) for kind in read]
    wrong = [c for c in counts if c.stored != c.read]
    if wrong:
        raise DataError("the copy does not match the data dir: " + "; ".join(
            f"{c.kind}: {c.read} read, {c.stored} in the database" for c in wrong))
    return store.location, counts
