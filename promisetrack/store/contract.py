"""The store contract: what ``service.Desk`` sees of wherever the promises are kept.

Two back-ends keep it — ``files.FileStore`` (TinyDB in a data dir, the zero-set-up default) and
``postgres.PostgresStore`` (several PCs on one PostgreSQL server) — and one contract test suite
(``tests/store/``) runs against both, as Harlequin runs its functional tests over every adapter.

A store keeps plain JSON-able dicts (a promise's ``to_dict()``, a customer record, a kudos record) and knows
nothing of the model: no risk, no outcomes. Records are the **live set** — open promises and those closed in the
last weeks (``archive_after_days``) — plus the **archive** of older closed ones, which is read only on demand
(reports, a promise's detail, a customer's history).

Errors: a store raises ``errors.DataError`` (a sentence for a person, naming a way to recover where there is one)
for anything wrong with the data or the connection, ``errors.StoreLockedError`` (a ``DataError``) when another
writer holds the store past the timeout, and never leaves a half-written change behind.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from promisetrack.errors import DataError

Record = dict[str, Any]


@dataclass
class Snapshot:
    """The live set as read at one moment (archived promises are not in it)."""

    promises: dict[int, Record] = field(default_factory=dict)
    customers: Mapping[int, Record] = field(default_factory=dict)  # may be read on first use
    kudos: list[Record] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] | None = None  # the summary of archived promises (history.py); None: not kept yet


class LazyRecords(Mapping[int, Record]):
    """Records by id, read on first use (a snapshot's customers: the board and ``list`` never use them)."""

    def __init__(self, load: Callable[[], dict[int, Record]]) -> None:
        self._load = load
        self._records: dict[int, Record] | None = None

    def _all(self) -> dict[int, Record]:
        if self._records is None:
            self._records = self._load()
        return self._records

    def __getitem__(self, key: int) -> Record:
        return self._all()[key]

    def __iter__(self) -> Iterator[int]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


class StoreTx(Protocol):
    """One transaction: a consistent view of the live set that the caller changes; valid only inside
    ``PromiseStore.transaction()``. Nothing is visible to other readers until the block ends without an
    exception; if it raises, nothing is written. Do not change the dicts it hands out in place: pass a changed
    copy (or the same dict) to ``put_*``."""

    promises: Mapping[int, Record]
    """The live set's promises by id, kept current as this transaction puts, deletes and archives."""

    def next_id(self, kind: str) -> int:
        """A new id of a ``"promise"`` (from 1001) or a ``"customer"`` (from 1), or the desk's next change number
        (``"change"``, from 1; each saved event carries one): never handed out twice, also when several writers run
        at once, and growing in the order the transactions take them. An id taken by a transaction that then fails
        may be skipped, never reused."""

    def put_promise(self, doc: Record) -> None:
        """Insert or replace the promise ``doc["id"]`` in the live set."""

    def delete_promise(self, pid: int) -> None:
        """Remove a promise from the live set (undo of its creation). Raises KeyError if it is not there."""

    def put_customer(self, doc: Record) -> None:
        """Insert or replace the customer ``doc["id"]``."""

    def find_customers(self, key: str, value: str | int) -> list[Record]:
        """The customers whose record has ``key`` (``phone_key``, ``email_key``, ``name_key``, or ``id``) equal to
        ``value``: a key search, never a scan of every customer."""

    def unfiled_customers(self) -> list[Record]:
        """Customers that need their lookup keys (re)written: a store upgraded from an older layout; else []."""

    def add_kudos(self, doc: Record) -> None:
        """Append a kudos record."""

    def archive(self, pid: int, closed_at: datetime) -> None:
        """Move a closed promise out of the live set into the archive when the transaction commits. A crash between
        the two halves of the move loses nothing: readers de-duplicate by id."""

    def history(self) -> dict[str, Any] | None:
        """The summary of archived promises (lead times, repeat breakers), or None if none is kept yet."""

    def put_history(self, summary: dict[str, Any]) -> None:
        """Replace the summary of archived promises; saved with the transaction."""

    def setdefault_meta(self, key: str, value: str) -> str:
        """The store's own setting ``key`` (e.g. ``desk_id``): the one stored, else ``value``, stored now and saved
        with the transaction. Two writers racing to set it both get the first one's."""


class PromiseStore(Protocol):
    """Where a desk's promises live. Reads take no lock and see a whole committed state, never half of a write."""

    #: Can a forked child process read this store with what it inherits from the parent (``promisetrack.ahead``)?
    #: The files can: a read opens them afresh. A database cannot: the child would talk on the parent's connection.
    readable_after_fork: bool

    @property
    def location(self) -> str:
        """Where the data is, for people: a data dir, or a database without its password."""

    def read(self) -> Snapshot:
        """The live set now. An empty store is an empty snapshot (reading creates nothing)."""

    def version(self) -> Hashable | None:
        """An opaque token that changes whenever anyone (this process or another) commits a change; None while the
        store holds nothing. Cheap enough to ask about once a second (the board's watch)."""

    def fetch(self, pid: int) -> Record | None:
        """One promise by id, live or archived; None if there is no such promise."""

    def read_closed(self, start: datetime, end: datetime) -> list[Record]:
        """Every live promise, plus the archived ones that may have closed in ``[start, end)`` (a store may return
        more archived ones; the caller filters by ``closed_at``), once each by id, in id order."""

    def read_archived(self) -> list[Record]:
        """Every archived promise (slow on years of history: a one-time migration's question)."""

    def customer_promises(self, customer_id: int) -> list[Record]:
        """Every promise of one customer, live and archived, once each by id."""

    def shops(self) -> list[str]:
        """The shops whose promises this login sees, by name, when the store keeps several (a database: every
        promise record it returns then carries its ``shop``); [] for a store that is one shop (a data dir)."""

    def transaction(self) -> AbstractContextManager[StoreTx]:
        """A change: lock (or begin), re-read, yield a ``StoreTx``; commit when the block ends, write nothing if it
        raises. Raises ``StoreLockedError`` when another writer holds the store longer than the timeout. Does not
        nest."""

    def check(self) -> list[str]:
        """Problems found in the store (files, permissions, backups; schema, connection, roles), as sentences for a
        person; [] when all is well."""

    def warnings(self) -> list[str]:
        """Things that are not wrong yet but will bite (a data dir on a network filesystem); [] when none."""

    def unreadable(self, reason: str) -> DataError:
        """The error for a record this version cannot read, with the store's way to recover (a backup)."""

    def watch(self) -> Watch | None:
        """A way to hear of other writers' changes as they commit, or None: then poll ``version()`` (the files)."""


class Watch(Protocol):
    """How a board hears of changes made elsewhere, for a store that can tell (``PromiseStore.watch``)."""

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True if anyone committed a change since the last call (then re-read).
        Raises ``DataError`` when the connection is lost; call again to reconnect (a reconnect returns True: what
        happened while away was not heard, so read everything again)."""

    def close(self) -> None:
        """Stop listening and free the connection."""
