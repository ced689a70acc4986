"""FileStore: the default back-end of the store contract (contract.py) — TinyDB over our own atomic, locked
storage, with a live file, a monthly archive and rolling daily backups. It keeps plain JSON-able dicts and knows
nothing of the model.

Layout of a data dir (dir 0700, files 0600)::

    promisetrack.json          live file: open promises and the recently closed ones (TinyDB layout)
    customers/NNNN.json        the customers, 1,000 a file by id (same layout): they grow with history, so they
                               are kept out of the live file and read a file at a time, only when needed
    promisetrack.lock          kernel lock (flock; filelock.FileLock off POSIX) taken by every write
    archive/YYYY-MM.json       older closed promises, by closing month (same layout)
    backups/promisetrack-YYYY-MM-DD.json   copies of the live file, one per day, newest ``backups_kept`` kept
    backups/promisetrack-schema-1.json     the live file as it was before its first save in schema 2 (kept)

Every write: lock -> re-read -> change in memory -> temp file in the same dir -> fsync -> ``os.replace`` -> fsync
the dir. Reads take no lock: a reader sees the old file or the new one, never a torn one. Reads need no TinyDB;
tinydb, orjson (and filelock, off POSIX) are imported on first use, so importing this module stays cheap.
"""

from __future__ import annotations

import errno
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from promisetrack import gctuning, records
from promisetrack.errors import DataError, StoreLockedError
from promisetrack.store.contract import LazyRecords, Snapshot

if TYPE_CHECKING:
    from tinydb import TinyDB
    from tinydb.table import Table

# 1: every record in full. 2: compact records (records.py). A schema 1 live file reads as it is and is converted,
# whole, by the first save (under the lock, atomically, after a copy to ``SCHEMA_1_BACKUP``); an archive month is
# converted when a save next rewrites it, and until then reads as it is.
SCHEMA_VERSION = 2
SCHEMA_1_BACKUP = "promisetrack-schema-1.json"
FILE_NAME = "promisetrack.json"
LOCK_NAME = "promisetrack.lock"
FIRST_ID = {"promise": 1001, "customer": 1, "change": 1}
COUNTER_KEY = {"promise": "next_promise_id", "customer": "next_customer_id", "change": "next_change"}
KIND_TABLE = {"promise": "promises", "customer": "customers"}
HISTORY_TABLE = "history"
LOCKED_MESSAGE = "another desk is saving — try again"
MOUNTS = Path("/proc/mounts")
LOCK_BACKEND = "flock" if os.name == "posix" else "filelock"  # see Store._locked
_CONTENTION = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES})  # "held elsewhere" from a non-blocking flock
_NO_LOCKS = frozenset({errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP})  # "this filesystem has no flock"
NETWORK_FILESYSTEMS = frozenset({"nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "fuse.sshfs", "afs", "ncpfs"})

CUSTOMERS_PER_FILE = 1000
_CUSTOMER_FILE = re.compile(r"(\d{4,})\.json")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_ARCHIVE_FILE = re.compile(r"(\d{4}-(?:0[1-9]|1[0-2]))\.json")
_BACKUP_FILE = re.compile(r"promisetrack-\d{4}-\d{2}-\d{2}\.json")
_TEMP_GLOB = ".*.json.*.tmp"  # what _write_atomic leaves behind when the process dies mid-save
_JSON_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}


class Tx:
    """One transaction's view of the live file; valid only inside ``Store.transaction()``.

    ``promises`` and ``customers`` are read-only views of the live tables, kept current as you put, delete and
    archive. Do not change the dicts they hand out in place: pass a changed copy (or the same dict) to ``put_*``.
    """

    def __init__(self, db: TinyDB, document: type, registry: _Registry) -> None:
        self._db = db
        self._document = document
        self._leaving: dict[int, str] = {}  # promise id -> archive month, moved at commit in one pass
        self._registry = registry
        self._valid = True
        self._migrating = False  # the live file was schema 1: its commit keeps a copy of it first
        self.promises: Mapping[int, dict[str, Any]] = _TableView(db.storage, "promises", self._leaving)
        self.customers: Mapping[int, dict[str, Any]] = _RegistryView(registry)

    def find_customers(self, key: str, value: str | int) -> list[dict[str, Any]]:
        """The customers whose record has ``key`` equal to ``value`` (e.g. a normalised phone number).

        Reads only the customer files that hold ``"key":value`` (a byte search, no parsing) — so looking up a
        customer costs about the same with 30 customers as with 30,000.
        """
        self._check_valid()
        return self._registry.find(key, value)

    def unfiled_customers(self) -> list[dict[str, Any]]:
        """Customers still in the live file's own table (data written before the customer files): they move into
        ``customers/`` at this transaction's commit; put them back changed to give them lookup keys first."""
        self._check_valid()
        return self._registry.unfiled()

    def next_id(self, kind: str) -> int:
        """The next id of a ``"promise"`` (from 1001) or a ``"customer"`` (from 1); the counter is saved in meta."""
        self._check_valid()
        if kind not in COUNTER_KEY:
            raise ValueError(f"unknown id kind {kind!r}: expected one of {sorted(COUNTER_KEY)}")
        meta = dict(self._table("meta").get(doc_id=1) or {"schema": SCHEMA_VERSION})
        current = _counter(meta, kind, self._db.storage.tables)
        if kind == "customer":  # never reuse a customer file's id (a live file restored from an older backup)
            current = max(current, self._registry.highest_id() + 1)
        meta[COUNTER_KEY[kind]] = current + 1
        self._replace(self._table("meta"), 1, meta)
        return current

    def setdefault_meta(self, key: str, value: str) -> str:
        """The meta table's ``key``, set to ``value`` first if it has none (read under this transaction's lock)."""
        self._check_valid()
        meta = dict(self._table("meta").get(doc_id=1) or {"schema": SCHEMA_VERSION})
        if key not in meta:
            meta[key] = value
            self._replace(self._table("meta"), 1, meta)
        return str(meta[key])

    def next_ids(self, kind: str, count: int) -> range:
        """``count`` consecutive new ids of ``kind`` at once (bulk imports); the counter moves past them."""
        self._check_valid()
        if count < 0:
            raise ValueError(f"cannot take {count} ids")
        first = self.next_id(kind)
        meta = dict(self._table("meta").get(doc_id=1) or {})
        meta[COUNTER_KEY[kind]] = first + count
        self._replace(self._table("meta"), 1, meta)
        return range(first, first + count)

    def put_promise(self, doc: dict[str, Any]) -> None:
        """Insert or replace the promise ``doc["id"]`` in the live file (and keep it there if it was archived)."""
        self._check_valid()
        pid = _doc_id(doc)
        self._leaving.pop(pid, None)
        self._replace(self._table("promises"), pid, doc)

    def put_promises(self, docs: Iterable[dict[str, Any]]) -> None:
        """``put_promise`` for many promises in one pass over the table (one ``put_promise`` costs a pass each)."""
        self._check_valid()
        by_id = {_doc_id(doc): doc for doc in docs}
        for pid in by_id:
            self._leaving.pop(pid, None)
        self._replace_many(self._table("promises"), by_id)

    def put_customers(self, docs: Iterable[dict[str, Any]]) -> None:
        """``put_customer`` for many customers."""
        self._check_valid()
        for doc in docs:
            self._registry.put(doc)

    def delete_promise(self, pid: int) -> None:
        """Remove a promise from the live file (no-op if it is not there)."""
        self._check_valid()
        self._leaving.pop(pid, None)
        self._table("promises").remove(doc_ids=[pid])

    def put_customer(self, doc: dict[str, Any]) -> None:
        """Insert or replace the customer ``doc["id"]`` (in its file ``customers/NNNN.json``)."""
        self._check_valid()
        self._registry.put(doc)

    def add_kudos(self, doc: dict[str, Any]) -> None:
        """Append a kudos record."""
        self._check_valid()
        self._table("kudos").insert(dict(doc))

    def history(self) -> dict[str, Any] | None:
        """The summary the service keeps of archived promises (the ``history`` table's record), None if none yet."""
        self._check_valid()
        return self._db.storage.tables.get(HISTORY_TABLE, {}).get("1")

    def put_history(self, doc: dict[str, Any]) -> None:
        """Replace the summary of archived promises; it is saved with the live file, in the same atomic write that
        removes the promises archived in this transaction."""
        self._check_valid()
        self._replace(self._table(HISTORY_TABLE), 1, doc)

    def archive(self, pid: int, closed_at: datetime) -> None:
        """Move a (closed) promise from the live file to ``archive/<month>.json`` when the transaction commits; the
        month is that of ``closed_at`` as given (the desk passes it in its own timezone)."""
        self._check_valid()
        month = closed_at.strftime("%Y-%m")
        _check_month(month)
        if pid not in self.promises:
            raise KeyError(f"promise {pid} is not in the live file")
        self._leaving[pid] = month  # TinyDB's remove is O(table): one remove at commit, whatever the count

    @property
    def changed(self) -> bool:
        return self._db.storage.changed or bool(self._leaving) or bool(self._registry.dirty)

    def _table(self, name: str) -> Table:
        return self._db.table(name, cache_size=0)

    def _replace(self, table: Table, doc_id: int, doc: Mapping[str, Any]) -> None:
        new = dict(doc)  # a copy: ``doc`` may be the very dict the table holds

        def overwrite(stored: dict[str, Any]) -> None:
            stored.clear()
            stored.update(new)

        if table.contains(doc_id=doc_id):
            table.update(overwrite, doc_ids=[doc_id])  # update() alone would merge, keeping removed keys
        else:
            table.insert(self._document(new, doc_id))

    def _replace_many(self, table: Table, docs: Mapping[int, Mapping[str, Any]]) -> None:
        present = [doc_id for doc_id in docs if table.contains(doc_id=doc_id)]
        if present:
            table.remove(doc_ids=present)
        table.insert_multiple(self._document(dict(doc), doc_id) for doc_id, doc in docs.items())

    def _check_valid(self) -> None:
        if not self._valid:
            raise RuntimeError("this transaction is over: use a Tx only inside Store.transaction()")


class FileStore:
    """The data dir: read snapshots without a lock, change them in locked, atomic transactions (``PromiseStore``)."""

    readable_after_fork = True

    def __init__(self, data_dir: Path, *, lock_timeout: float = 5.0, backups_kept: int = 7) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / FILE_NAME
        self.archive_dir = self.data_dir / "archive"
        self.backups_dir = self.data_dir / "backups"
        self.customers_dir = self.data_dir / "customers"
        self.lock_path = self.data_dir / LOCK_NAME
        self.lock_timeout = lock_timeout
        self.backups_kept = backups_kept
        self._local = threading.local()
        self._notes: list[str] = []

    # --- reading ---------------------------------------------------------------------------------------------

    def read(self) -> Snapshot:
        """The live file now; a missing file is an empty snapshot (and is not created).

        Reads go straight from orjson's dicts, without TinyDB (not even imported): a read-only command such as
        ``list`` pays neither TinyDB's import nor a copy of every record into a ``Document``.
        """
        tables = self._read_live().tables
        kudos = tables.get("kudos", {})
        return Snapshot(
            promises=_by_id(tables.get("promises", {})),
            customers=LazyRecords(_Registry(self, tables.get("customers", {})).all),
            kudos=[kudos[key] for key in sorted(kudos, key=int)],
            meta=_full_meta(tables),
            history=tables.get(HISTORY_TABLE, {}).get("1"),
        )

    @property
    def location(self) -> str:
        return str(self.data_dir)

    def shops(self) -> list[str]:
        """[]: a data dir is one shop, and its records carry none."""
        return []

    def watch(self) -> None:
        """None: a board polls ``version()`` (a stat of the live file) about once a second."""
        return None

    def version(self) -> tuple[int, int, int] | None:
        """The live file's ``signature``: every save replaces the file, so it changes with every save."""
        return self.signature()

    def fetch(self, pid: int) -> dict[str, Any] | None:
        """One promise: from the live file, else from the archive, newest month first (an old id is rarely asked)."""
        doc = self.read().promises.get(pid)
        if doc is not None:
            return doc
        for month in reversed(self.archive_months()):
            found = self._archived_promises([month]).get(pid)
            if found is not None:
                return found
        return None

    def read_closed(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Every live promise plus those archived in the months ``[start, end)`` touches, in ``start``'s zone."""
        months = set(_months_between(start, end.astimezone(start.tzinfo)))
        return self.read_live_and_archived([m for m in self.archive_months() if m in months])

    def read_archived(self) -> list[dict[str, Any]]:
        return self.read_archive(self.archive_months())

    def customer_promises(self, customer_id: int) -> list[dict[str, Any]]:
        """Every promise of one customer, reading the live file and every archive month."""
        return [doc for doc in self.read_live_and_archived(self.archive_months())
                if (doc.get("customer") or {}).get("id") == customer_id]

    def signature(self) -> tuple[int, int, int] | None:
        """(inode, mtime in ns, size) of the live file, None if there is none; changes with every save."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise DataError(f"could not read {self.path}: {_why(error)}") from error
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def archive_months(self) -> list[str]:
        """The months that have an archive file, "YYYY-MM", oldest first."""
        return sorted(match[1] for name in _listdir(self.archive_dir) if (match := _ARCHIVE_FILE.fullmatch(name)))

    def read_archive(self, months: Iterable[str]) -> list[dict[str, Any]]:
        """The promises in those months' archive files (a month without a file has none)."""
        return list(self._archived_promises(months).values())

    def read_live_and_archived(self, months: Iterable[str]) -> list[dict[str, Any]]:
        """Promises archived in those months plus every live promise, once each by id (the live copy wins)."""
        promises = self._archived_promises(months)
        promises.update(self.read().promises)
        return [promises[pid] for pid in sorted(promises)]

    # --- writing ---------------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """Lock, re-read, yield a Tx; save what changed when the block ends, write nothing if it raises."""
        if getattr(self._local, "active", False):
            raise RuntimeError("Store.transaction() does not nest")
        self._local.active = True
        try:
            self._make_dir(self.data_dir)
            with self._locked():
                self._remove_stale_temps()
                db = self._open_live()
                migrating = _upgrade(db.storage.tables)
                tx = Tx(db, _tinydb()[1], _Registry(self, db.storage.tables.get("customers", {})))
                tx._migrating = migrating
                try:
                    yield tx
                finally:
                    tx._valid = False
                if tx.changed:
                    self._commit(tx)
        finally:
            self._local.active = False

    # --- health ----------------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Problems found in the data dir, as sentences for a person; [] when all is well."""
        if not self.data_dir.exists():
            return []
        if not self.data_dir.is_dir():
            return [f"{self.data_dir} is not a folder"]
        problems = _access_problems(self.data_dir, 0o700)
        try:
            self._open_live()
        except DataError as error:
            problems.append(error.message)
        problems += _access_problems(self.path, 0o600)
        problems += _access_problems(self.archive_dir, 0o700)
        for month in self.archive_months():
            path = self._archive_path(month)
            try:
                self._open_archive(path, month)
            except DataError as error:
                problems.append(error.message)
            problems += _access_problems(path, 0o600)
        problems += _access_problems(self.customers_dir, 0o700)
        for number in self._customer_numbers():
            try:
                self._customer_records(number)
            except DataError as error:
                problems.append(error.message)
            problems += _access_problems(self._customer_path(number), 0o600)
        problems += _access_problems(self.backups_dir, 0o700)
        for path in self._backup_files():
            try:
                _open_db(path, {})
            except _Unusable as unusable:
                problems.append(f"the backup {path} cannot be used: {unusable.reason}; delete it")
            except DataError as error:
                problems.append(error.message)
            problems += _access_problems(path, 0o600)
        return problems

    def newest_good_backup(self) -> Path | None:
        """The newest backup that reads and validates, None if there is none."""
        for path in reversed(self._backup_files()):
            try:
                _open_db(path, {})
            except (_Unusable, DataError):
                continue
            return path
        return None

    def warnings(self) -> list[str]:
        """Things the desk should know that do not stop it working."""
        notes = list(self._notes)
        fstype = network_filesystem(self.data_dir, _read_mounts())
        if fstype:
            notes.append(
                f"the data folder {self.data_dir} is on a network filesystem ({fstype}): "
                "locks do not work across NFS clients, so use it from one computer at a time"
            )
        return notes

    # --- internals -------------------------------------------------------------------------------------------

    def _read_live(self) -> _FileStorage:
        try:
            return _FileStorage(self.path, _empty_live())
        except _Unusable as unusable:
            raise self._live_unusable(unusable) from None

    def _open_live(self) -> TinyDB:
        try:
            return _open_db(self.path, _empty_live())
        except _Unusable as unusable:
            raise self._live_unusable(unusable) from None

    def unreadable(self, reason: str) -> DataError:
        """The error for a live file that parses but holds a record this version cannot read (said by the caller,
        who knows the records): like a damaged file, it names the newest good backup."""
        return self._live_unusable(_Unusable(reason))

    def _live_unusable(self, unusable: _Unusable) -> DataError:
        return DataError(f"{self.path} cannot be used: {unusable.reason}. Nothing was changed. {self._restore_hint()}")

    def _read_archive(self, path: Path, month: str) -> _FileStorage:
        try:
            return _FileStorage(path, _empty_archive(month))
        except _Unusable as unusable:
            raise _archive_unusable(path, unusable) from None

    def _open_archive(self, path: Path, month: str) -> TinyDB:
        try:
            return _open_db(path, _empty_archive(month))
        except _Unusable as unusable:
            raise _archive_unusable(path, unusable) from None

    def _restore_hint(self) -> str:
        backup = self.newest_good_backup()
        if backup is None:
            return "There is no backup yet."
        import shlex

        return (
            f"The newest good backup is {backup}: to restore it, close promisetrack on every desk and copy it over "
            f"the data file (cp {shlex.quote(str(backup))} {shlex.quote(str(self.path))})."
        )

    def _archive_path(self, month: str) -> Path:
        _check_month(month)
        return self.archive_dir / f"{month}.json"

    def _archived_promises(self, months: Iterable[str]) -> dict[int, dict[str, Any]]:
        promises: dict[int, dict[str, Any]] = {}
        for month in months:
            promises.update(_by_id(self._read_archive(self._archive_path(month), month).tables.get("promises", {})))
        return promises

    def _customer_path(self, number: int) -> Path:
        return self.customers_dir / f"{number:04d}.json"

    def _customer_numbers(self) -> list[int]:
        names = _listdir(self.customers_dir)
        return sorted(int(match[1]) for name in names if (match := _CUSTOMER_FILE.fullmatch(name)))

    def _customer_bytes(self, number: int) -> bytes:
        path = self._customer_path(number)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return b""
        except OSError as error:
            raise DataError(f"could not read {path}: {_why(error)} — nothing was changed") from error

    def _customer_records(self, number: int, raw: bytes | None = None) -> dict[int, dict[str, Any]]:
        path = self._customer_path(number)
        try:
            tables = _FileStorage(path, _empty_customers()).tables if raw is None else _parse(raw)
        except _Unusable as unusable:
            raise DataError(
                f"{path} cannot be used: {unusable.reason}. Nothing was changed. Customer files have no backups: "
                "restore it from your own copies, or move it out of the customers folder to carry on without those "
                "customers (their promises keep their name, phone and email)."
            ) from None
        return _by_id(tables.get("customers", {}))

    def _backup_files(self) -> list[Path]:
        names = sorted(name for name in _listdir(self.backups_dir) if _BACKUP_FILE.fullmatch(name))
        return [self.backups_dir / name for name in names]

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the kernel lock on the ``.lock`` file: ``flock`` on POSIX, filelock's ``FileLock`` elsewhere.

        Why not filelock everywhere: importing it brings logging, hashing and its own async layer, which would cost
        ``promisetrack add`` more than all its own work, and on POSIX it only wraps the very ``flock`` below.
        Both are the same kernel lock on the same file, so desks running either version exclude each other, and
        the lock dies with its process.
        """
        try:
            release = _flock(self.lock_path, self.lock_timeout) if LOCK_BACKEND == "flock" else self._filelock()
        except TimeoutError:
            raise StoreLockedError(LOCKED_MESSAGE) from None
        except OSError as error:
            why = _why(error)
            if error.errno in _NO_LOCKS:  # a network mount without flock; a soft lock would not be safe either
                why = "this filesystem does not support file locks (is the data folder on a network drive?)"
            raise DataError(f"could not lock {self.lock_path}: {why} — nothing was changed") from error
        try:
            yield
        finally:
            release()

    def _filelock(self) -> Callable[[], None]:
        from filelock import FileLock, Timeout

        lock = FileLock(self.lock_path, timeout=self.lock_timeout, mode=0o600, fallback_to_soft=False)
        try:
            lock.acquire()
        except Timeout:
            raise TimeoutError from None
        return lock.release

    def _remove_stale_temps(self) -> None:
        """Temp files of a save that died midway; only a lock holder may remove them (none is being written)."""
        for folder in (self.data_dir, self.archive_dir, self.backups_dir, self.customers_dir):
            for temp in folder.glob(_TEMP_GLOB):
                with suppress(FileNotFoundError):
                    temp.unlink()

    def _commit(self, tx: Tx) -> None:
        """Backup of the old live file, then archive files, customer files, the live file; each an atomic replace.

        Everything is read and serialised before the first write, so a bad archive file or an unserialisable
        value stops the commit with nothing written.
        """
        import orjson

        document = _tinydb()[1]
        by_month: dict[str, dict[int, dict[str, Any]]] = {}
        for pid, month in tx._leaving.items():
            by_month.setdefault(month, {})[pid] = tx._db.storage.tables["promises"][str(pid)]
        saves: list[tuple[Path, bytes]] = []
        for month, docs in sorted(by_month.items()):
            path = self._archive_path(month)
            archive = self._open_archive(path, month)
            _upgrade(archive.storage.tables)
            promises = archive.table("promises", cache_size=0)
            promises.remove(doc_ids=list(docs))  # there already if a crash came between archive and live write
            promises.insert_multiple(document(doc, pid) for pid, doc in docs.items())
            saves.append((path, orjson.dumps(archive.storage.tables)))
        customer_saves = tx._registry.saves()
        saves += customer_saves
        if tx._leaving:
            tx._table("promises").remove(doc_ids=list(tx._leaving))
        live = tx._db.storage
        live.tables.setdefault("meta", {})["1"] = {**_full_meta(live.tables), "schema": SCHEMA_VERSION}
        live.tables["customers"] = {}  # they are in customers/ now (an empty table keeps the file's layout)
        saves.append((self.path, orjson.dumps(live.tables)))

        self._backup(live)
        if tx._migrating and live.raw is not None:  # the file as this version found it, for an older one to read
            self._make_dir(self.backups_dir)
            self._save(self.backups_dir / SCHEMA_1_BACKUP, live.raw)
        if by_month:
            self._make_dir(self.archive_dir)
        if customer_saves:
            self._make_dir(self.customers_dir)
        for path, payload in saves:
            self._save(path, payload)

    def _backup(self, live: _FileStorage) -> None:
        """Copy the live file as read (so known good) to backups/ once per date of its mtime; prune old ones."""
        if live.raw is None or live.mtime_ns is None or self.backups_kept < 1:
            return
        from datetime import datetime

        day = datetime.fromtimestamp(live.mtime_ns / 1e9).date().isoformat()
        target = self.backups_dir / f"promisetrack-{day}.json"
        if target.exists():
            return
        self._make_dir(self.backups_dir)
        self._save(target, live.raw)
        for old in self._backup_files()[: -self.backups_kept]:
            # A backup that cannot be pruned costs only space; check() reports an unwritable backups folder.
            with suppress(OSError):
                old.unlink()

    def _save(self, path: Path, payload: bytes) -> None:
        try:
            _write_atomic(path, payload)
        except OSError as error:
            raise DataError(f"could not save {path}: {_why(error)} — nothing was changed") from error
        try:
            _fsync_dir(path.parent)
        except OSError as error:
            # The new file is in place and fsynced, and other desks already see it: reporting "nothing was
            # changed" would be false, so the save stands and the desk is told it may not survive a power cut.
            note = f"could not confirm the save of {path} on disk ({_why(error)}): a power cut now could undo it"
            if note not in self._notes:
                self._notes.append(note)

    def _make_dir(self, path: Path) -> None:
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise DataError(f"could not create {path}: {_why(error)} — nothing was changed") from error


class _Registry:
    """The customers: ``customers/NNNN.json``, ``CUSTOMERS_PER_FILE`` a file by id (file N holds ids N*1000+1 to
    (N+1)*1000), in the live file's layout and saved the same atomic way, each file read only when needed.

    It lives apart from the live file because it grows with the desk's whole history, while the live file must stay
    the size of the open promises: the board and ``list`` never read it, and ``add`` reads only the file holding the
    customer it looks up (``find``). Customers in the live file's own ``customers`` table (written before the
    registry moved out) are read as well and move into the files at the next save.
    """

    def __init__(self, store: FileStore, legacy: Mapping[str, dict[str, Any]]) -> None:
        self._store = store
        self._legacy = _by_id(legacy)
        self._on_disk: list[int] | None = None
        self._loaded: dict[int, dict[int, dict[str, Any]]] = {}  # file number -> {id: record}
        self.dirty: set[int] = set()

    def numbers(self) -> list[int]:
        if self._on_disk is None:
            self._on_disk = self._store._customer_numbers()
        return sorted(set(self._on_disk) | set(self._loaded))

    def get(self, cid: int) -> dict[str, Any] | None:
        number = _customer_file(cid)
        if number in self.numbers():
            found = self._records(number).get(cid)
            if found is not None:
                return found
        return self._legacy.get(cid)

    def all(self) -> dict[int, dict[str, Any]]:
        records = dict(self._legacy)
        for number in self.numbers():
            records.update(self._records(number))
        return dict(sorted(records.items()))

    def put(self, doc: Mapping[str, Any]) -> None:
        cid = _doc_id(doc)
        number = _customer_file(cid)
        self._records(number)[cid] = dict(doc)
        self.dirty.add(number)

    def find(self, key: str, value: Any) -> list[dict[str, Any]]:
        import orjson

        needle = orjson.dumps(key) + b":" + orjson.dumps(value)  # as orjson writes it: no spaces
        found = {cid: doc for cid, doc in self._legacy.items() if doc.get(key) == value}
        for number in self.numbers():
            if number not in self._loaded:
                raw = self._store._customer_bytes(number)
                if needle not in raw:
                    continue
                self._loaded[number] = self._store._customer_records(number, raw)
            found.update((cid, doc) for cid, doc in self._loaded[number].items() if doc.get(key) == value)
        return [found[cid] for cid in sorted(found)]

    def unfiled(self) -> list[dict[str, Any]]:
        return [doc for cid, doc in self._legacy.items() if cid not in self._records(_customer_file(cid))]

    def highest_id(self) -> int:
        numbers = self.numbers()
        ids = [*self._legacy, *(self._records(numbers[-1]) if numbers else ())]
        return max(ids, default=0)

    def saves(self) -> list[tuple[Path, bytes]]:
        """The files to write at commit: the changed ones, and those the live file's old table moves into."""
        import orjson

        for cid, doc in self._legacy.items():
            records = self._records(_customer_file(cid))
            if cid not in records:
                records[cid] = doc
                self.dirty.add(_customer_file(cid))
        saves = []
        for number in sorted(self.dirty):
            table = {str(cid): doc for cid, doc in sorted(self._records(number).items())}
            saves.append((self._store._customer_path(number), orjson.dumps({**_empty_customers(), "customers": table})))
        return saves

    def _records(self, number: int) -> dict[int, dict[str, Any]]:
        if number not in self._loaded:
            self.numbers()  # lists the files on disk once
            assert self._on_disk is not None
            self._loaded[number] = self._store._customer_records(number) if number in self._on_disk else {}
        return self._loaded[number]


class _RegistryView(Mapping):
    """Read-only ``{id: record}`` view of the customers (reading every customer file when iterated)."""

    def __init__(self, registry: _Registry) -> None:
        self._registry = registry

    def __getitem__(self, cid: int) -> dict[str, Any]:
        found = self._registry.get(cid) if type(cid) is int else None
        if found is None:
            raise KeyError(cid)
        return found

    def __iter__(self) -> Iterator[int]:
        return iter(self._registry.all())

    def __len__(self) -> int:
        return len(self._registry.all())

    def __repr__(self) -> str:
        return repr(self._registry.all())


class _TableView(Mapping):
    """Read-only ``{id: doc}`` view of one table of a transaction's in-memory data, less the ``leaving`` ids
    (promises archived in this transaction; they are always in the table until it commits)."""

    def __init__(self, storage: _FileStorage, name: str, leaving: Mapping[int, str]) -> None:
        self._storage = storage
        self._name = name
        self._leaving = leaving

    def _raw(self) -> dict[str, dict[str, Any]]:
        return self._storage.tables.get(self._name, {})  # TinyDB swaps the table dict on every change

    def __getitem__(self, doc_id: int) -> dict[str, Any]:
        if type(doc_id) is not int or doc_id in self._leaving:
            raise KeyError(doc_id)
        return self._raw()[str(doc_id)]

    def __contains__(self, doc_id: object) -> bool:
        return type(doc_id) is int and doc_id not in self._leaving and str(doc_id) in self._raw()

    def __iter__(self) -> Iterator[int]:
        return (doc_id for key in self._raw() if (doc_id := int(key)) not in self._leaving)

    def __len__(self) -> int:
        return len(self._raw()) - len(self._leaving)

    # One pass over the table: Mapping's own items() and values() look every key up again, which is most of the
    # cost of a scan of the live file inside a transaction.
    def items(self) -> list[tuple[int, dict[str, Any]]]:  # type: ignore[override]
        leaving = self._leaving
        return [(doc_id, doc) for key, doc in self._raw().items() if (doc_id := int(key)) not in leaving]

    def values(self) -> list[dict[str, Any]]:  # type: ignore[override]
        if not self._leaving:
            return list(self._raw().values())
        return [doc for _, doc in self.items()]


class _FileStorage:
    """Our TinyDB storage (TinyDB's Storage is mixed in by ``_tinydb()``, so tinydb loads only when needed).

    It opens its file by path once, when built, validates it and keeps the tables in memory; TinyDB's writes
    change only that memory, and ``Store._commit`` saves it atomically. A missing file reads as ``empty``. Never
    TinyDB's JSONStorage: that one rewrites in place and keeps a handle to a file that saves replace.
    """

    def __init__(self, path: Path, empty: dict[str, Any]) -> None:
        self.path = path
        self.raw: bytes | None = None
        self.mtime_ns: int | None = None
        self.changed = False
        try:
            with open(path, "rb") as file:
                self.mtime_ns = os.fstat(file.fileno()).st_mtime_ns
                self.raw = file.read()
        except FileNotFoundError:
            self.tables = empty
            return
        except OSError as error:
            raise DataError(f"could not read {path}: {_why(error)} — nothing was changed") from error
        self.tables = _parse(self.raw)

    def read(self) -> dict[str, Any]:
        return self.tables

    def write(self, data: dict[str, Any]) -> None:
        self.tables = data
        self.changed = True

    def close(self) -> None:
        """Nothing to close: no handle outlives a read."""


class _Unusable(Exception):
    """A data file that must not be used or overwritten; ``reason`` completes "<file> cannot be used: ..."."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@cache
def _tinydb() -> tuple[type, type, type]:
    """TinyDB, its Document class and our storage class, imported on first use."""
    from tinydb import TinyDB
    from tinydb.storages import Storage
    from tinydb.table import Document

    storage = type("FileStorage", (_FileStorage, Storage), {"__doc__": _FileStorage.__doc__})
    return TinyDB, Document, storage


def _open_db(path: Path, empty: dict[str, Any]) -> TinyDB:
    tinydb, _, storage = _tinydb()
    return tinydb(path, empty, storage=storage)


def _parse(raw: bytes) -> dict[str, Any]:
    """The tables in a data file's bytes, or ``_Unusable`` saying what is wrong with them."""
    import orjson

    if not raw:
        raise _Unusable("it is empty (0 bytes)")
    try:
        with gctuning.paused():  # a tree of dicts and lists with no cycles: see gctuning
            tables = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise _Unusable(_json_problem(error, len(raw))) from None
    _validate(tables)
    return tables


def _json_problem(error: Any, size: int) -> str:
    if "UTF-8" in error.msg:
        return "it is damaged (it holds bytes that are not UTF-8 text)"
    if "empty" in error.msg:
        return "it is empty (only blank space)"
    if error.msg.startswith("unexpected end of data") and error.pos >= size - 1:
        return f"it is cut short (truncated after {size} bytes)"
    return f"it is damaged (not valid JSON: {error.msg} at line {error.lineno}, column {error.colno})"


def _validate(tables: Any) -> None:
    if not isinstance(tables, dict):
        kind = "null" if tables is None else _JSON_KINDS.get(type(tables), type(tables).__name__)
        raise _Unusable(f"it is not a promisetrack data file (it holds {kind}, not an object)")
    meta = tables.get("meta")
    doc = meta.get("1") if isinstance(meta, dict) else None
    if not isinstance(doc, dict) or "schema" not in doc:
        raise _Unusable("it is not a promisetrack data file (it has no meta table with a schema version)")
    schema = doc["schema"]
    if type(schema) is not int or schema < 1:
        raise _Unusable(f"it is not a promisetrack data file (unknown schema {schema!r})")
    if schema > SCHEMA_VERSION:
        raise _Unusable(
            f"it was written by a newer promisetrack (data schema {schema}; this version reads schema "
            f"{SCHEMA_VERSION} at most) — upgrade promisetrack to use it"
        )
    for name, table in tables.items():
        if not isinstance(table, dict) or not all(
            key.isdecimal() and isinstance(value, dict) for key, value in table.items()
        ):
            raise _Unusable(f"it is damaged (its {name!r} table is not a set of numbered records)")


def _upgrade(tables: dict[str, Any]) -> bool:
    """Convert a data file's tables read as schema 1 to schema 2 in memory (its records made compact, its schema
    raised); the caller saves them. True if it was schema 1."""
    meta = tables["meta"]["1"]
    if meta["schema"] >= SCHEMA_VERSION:
        return False
    promises = tables.get("promises", {})
    for key, doc in promises.items():
        promises[key] = records.compact(doc)
    tables["meta"]["1"] = {**meta, "schema": SCHEMA_VERSION}
    return True


def _archive_unusable(path: Path, unusable: _Unusable) -> DataError:
    return DataError(
        f"{path} cannot be used: {unusable.reason}. Nothing was changed. Archive files have no backups: "
        "restore it from your own copies, or move it out of the archive folder to carry on without it."
    )


def _by_id(table: Mapping[str, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """A stored table as ``{id: record}`` (the records themselves, not copies)."""
    return {int(key): doc for key, doc in table.items()}


def _empty_live() -> dict[str, Any]:
    return {"meta": {"1": {"schema": SCHEMA_VERSION}}, "promises": {}, "customers": {}, "kudos": {}}


def _empty_customers() -> dict[str, Any]:
    return {"meta": {"1": {"schema": SCHEMA_VERSION}}, "customers": {}}


def _customer_file(cid: int) -> int:
    return (cid - 1) // CUSTOMERS_PER_FILE


def _empty_archive(month: str) -> dict[str, Any]:
    return {"meta": {"1": {"schema": SCHEMA_VERSION, "month": month}}, "promises": {}}


def _counter(meta: Mapping[str, Any], kind: str, tables: Mapping[str, Any]) -> int:
    """The saved next id of ``kind``; for a file without one, the first id above those in use."""
    value = meta.get(COUNTER_KEY[kind])
    if type(value) is int:
        return value
    in_use = tables.get(KIND_TABLE[kind], {}) if kind in KIND_TABLE else {}
    return max([FIRST_ID[kind], *(int(key) + 1 for key in in_use)])


def _full_meta(tables: Mapping[str, Any]) -> dict[str, Any]:
    meta = dict(tables.get("meta", {}).get("1", {}))
    for kind, key in COUNTER_KEY.items():
        meta[key] = _counter(meta, kind, tables)
    return meta


def _doc_id(doc: Mapping[str, Any]) -> int:
    doc_id = doc.get("id")
    if type(doc_id) is not int or doc_id < 1:
        raise ValueError(f"a stored record needs a positive int 'id', not {doc_id!r}")
    return doc_id


def _months_between(start: datetime, end: datetime) -> list[str]:
    """Every ``YYYY-MM`` that ``[start, end)`` touches (the archive files it needs)."""
    last = (end - timedelta(microseconds=1)) if end > start else start
    months, year, month = [], start.year, start.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _check_month(month: str) -> None:
    if not isinstance(month, str) or not _MONTH.fullmatch(month):
        raise ValueError(f"an archive month is 'YYYY-MM', not {month!r}")


def _write_atomic(path: Path, payload: bytes) -> None:
    """Write ``payload`` to a 0600 temp file beside ``path``, fsync it, and rename it over ``path``.

    On any failure the temp file is removed and ``path`` is as it was. The caller fsyncs the dir.
    """
    import tempfile

    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise


def _flock(path: Path, timeout: float) -> Callable[[], None]:
    """Take an exclusive ``flock`` on ``path`` (created 0600) within ``timeout`` seconds; returns the release.

    Raises TimeoutError if another process holds it that long, OSError if the file cannot be opened or locked.
    No O_TRUNC (the holder's file is not ours to touch), O_NOFOLLOW (a symlink planted at the path is refused,
    not followed), O_NONBLOCK (a lease on the file cannot stall the open past the timeout). A lock won on a file
    that was unlinked meanwhile guards no name, so it is dropped and the path opened again.
    """
    import fcntl
    import time

    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        fd = os.open(path, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno not in _CONTENTION:
                raise
        except BaseException:
            os.close(fd)
            raise
        else:
            if os.fstat(fd).st_nlink > 0:
                return lambda: os.close(fd)  # closing the descriptor frees its flock
            os.close(fd)
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        time.sleep(min(pause, left))
        pause = min(pause * 2, 0.02)


def _fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _listdir(path: Path) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []
    except OSError as error:
        raise DataError(f"could not read {path}: {_why(error)}") from error


def _access_problems(path: Path, mode: int) -> list[str]:
    """What is wrong with the permissions of ``path`` (if it exists), which should have ``mode``."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return []
    except OSError as error:
        return [f"could not read {path}: {_why(error)}"]
    problems = []
    if st.st_mode & 0o077:
        problems.append(
            f"{path} can be opened by other users (mode {st.st_mode & 0o777:o}): run chmod {mode:o} '{path}'"
        )
    if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
        problems.append(f"{path} is not writable, so saves will fail")
    return problems


def _read_mounts() -> str:
    try:
        return MOUNTS.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def network_filesystem(path: Path, mounts: str) -> str | None:
    """The network filesystem type (nfs, cifs, ...) ``path`` lives on per a /proc/mounts text, else None."""
    target = os.path.realpath(path)
    best_mount, best_type = "", ""
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = re.sub(r"\\([0-7]{3})", lambda match: chr(int(match[1], 8)), fields[1])
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best_mount):
            best_mount, best_type = mount, fields[2]
    return best_type if best_type in NETWORK_FILESYSTEMS else None


def _why(error: OSError) -> str:
    return error.strerror or str(error)
