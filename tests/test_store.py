"""FileStore: round trips, ids, atomic saves under injected failures, damaged files, backups, archive, locking."""

from __future__ import annotations

import errno
import multiprocessing
import os
import stat
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from promisetrack.errors import DataError, StoreLockedError
from promisetrack.store import SCHEMA_VERSION, FileStore, Snapshot, network_filesystem
from promisetrack.store import files as store_module

REPO = Path(__file__).resolve().parents[1]


def promise(pid: int, **fields: object) -> dict:
    return {"id": pid, "what": f"call back about order {pid}", "status": "open", "events": [], **fields}


def add_promise(store: FileStore, **fields: object) -> int:
    with store.transaction() as tx:
        pid = tx.next_id("promise")
        tx.put_promise(promise(pid, **fields))
    return pid


def temp_files(store: FileStore) -> list[Path]:
    folders = (store.data_dir, store.archive_dir, store.backups_dir)
    return [path for folder in folders if folder.exists() for path in folder.iterdir() if path.suffix == ".tmp"]


def set_mtime(path: Path, year: int, month: int, day: int) -> None:
    moment = datetime(year, month, day, 12).timestamp()
    os.utime(path, (moment, moment))


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "data", lock_timeout=5.0)


@pytest.fixture
def saved(store: FileStore) -> FileStore:
    """A store with two promises whose backup for today's file already exists, so the next commit goes straight
    to the live file."""
    add_promise(store)
    add_promise(store)
    assert len(store._backup_files()) == 1
    return store


# --- round trip and ids -----------------------------------------------------------------------------------------


def test_missing_file_reads_as_empty_and_is_not_created(store: FileStore) -> None:
    snapshot = store.read()
    assert snapshot == Snapshot(
        promises={}, customers={}, kudos=[],
        meta={"schema": SCHEMA_VERSION, "next_promise_id": 1001, "next_customer_id": 1, "next_change": 1},
    )
    assert store.signature() is None
    assert not store.data_dir.exists()
    assert store.archive_months() == []
    assert store.read_live_and_archived(["2026-10"]) == []
    assert store.check() == []


def test_round_trip(store: FileStore) -> None:
    with store.transaction() as tx:
        cid = tx.next_id("customer")
        tx.put_customer({"id": cid, "name": "Ada Lovelace", "phone": "+44 20 7946 0000"})
        pid = tx.next_id("promise")
        tx.put_promise(promise(pid, customer=cid, events=[{"kind": "created", "at": "2026-11-23T10:30:00+00:00"}]))
        tx.add_kudos({"text": "Thanks, Bea — called back as promised", "promise": pid})
        tx.add_kudos({"text": "second", "promise": pid})

    snapshot = store.read()
    assert snapshot.promises == {
        1001: promise(1001, customer=1, events=[{"kind": "created", "at": "2026-11-23T10:30:00+00:00"}])
    }
    assert snapshot.customers == {1: {"id": 1, "name": "Ada Lovelace", "phone": "+44 20 7946 0000"}}
    assert [kudos["text"] for kudos in snapshot.kudos] == ["Thanks, Bea — called back as promised", "second"]
    assert snapshot.meta == {"schema": SCHEMA_VERSION, "next_promise_id": 1002, "next_customer_id": 2,
                             "next_change": 1}
    tables = orjson.loads(store.path.read_bytes())
    assert set(tables) == {"meta", "promises", "customers", "kudos"}
    assert tables["promises"]["1001"]["what"] == "call back about order 1001"
    assert tables["meta"]["1"]["schema"] == SCHEMA_VERSION


def test_ids_persist_and_increase_across_instances(store: FileStore) -> None:
    assert [add_promise(store) for _ in range(3)] == [1001, 1002, 1003]
    other = FileStore(store.data_dir)
    assert add_promise(other) == 1004
    with other.transaction() as tx:
        assert [tx.next_id("customer"), tx.next_id("customer")] == [1, 2]
    with store.transaction() as tx:
        assert tx.next_id("customer") == 3
        with pytest.raises(ValueError, match="unknown id kind"):
            tx.next_id("kudos")


def test_deleted_promise_id_is_not_reused(store: FileStore) -> None:
    pid = add_promise(store)
    with store.transaction() as tx:
        tx.delete_promise(pid)
        tx.delete_promise(9999)  # absent: nothing happens
    assert store.read().promises == {}
    assert add_promise(store) == pid + 1


def test_put_replaces_the_whole_record(store: FileStore) -> None:
    pid = add_promise(store, closed_at="2026-11-20T10:00:00+00:00", status="done")
    with store.transaction() as tx:
        doc = dict(tx.promises[pid])
        del doc["closed_at"]
        doc["status"] = "open"
        tx.put_promise(doc)
    assert store.read().promises[pid] == promise(pid, status="open")


def test_putting_back_the_dict_the_view_handed_out(store: FileStore) -> None:
    pid = add_promise(store)
    with store.transaction() as tx:
        doc = tx.promises[pid]
        doc["status"] = "done"
        tx.put_promise(doc)
    assert store.read().promises[pid]["status"] == "done"


def test_tx_views_follow_changes_in_the_transaction(store: FileStore) -> None:
    first = add_promise(store)
    with store.transaction() as tx:
        pid = tx.next_id("promise")
        tx.put_promise(promise(pid))
        assert sorted(tx.promises) == [first, pid]
        assert pid in tx.promises and "1001" not in tx.promises
        assert tx.promises.get(9999) is None
        tx.delete_promise(first)
        assert list(tx.promises) == [pid] and len(tx.promises) == 1
        with pytest.raises(TypeError):
            tx.promises[pid] = {}  # type: ignore[index]
        cid = tx.next_id("customer")
        tx.put_customer({"id": cid, "name": "Bo"})
        assert dict(tx.customers) == {cid: {"id": cid, "name": "Bo"}}


def test_bad_ids_are_refused(store: FileStore) -> None:
    with store.transaction() as tx:
        for bad in ({"what": "no id"}, {"id": "1001"}, {"id": True}, {"id": 0}):
            with pytest.raises(ValueError, match="positive int 'id'"):
                tx.put_promise(bad)
        with pytest.raises(KeyError):
            tx.archive(1001, datetime(2026, 10, 15, 12, tzinfo=UTC))
    assert not store.path.exists()


def test_an_exception_inside_writes_nothing(saved: FileStore) -> None:
    before = saved.path.read_bytes()
    signature = saved.signature()
    with pytest.raises(RuntimeError, match="boom"), saved.transaction() as tx:
        tx.put_promise(promise(tx.next_id("promise")))
        tx.archive(1001, datetime(2026, 10, 15, 12, tzinfo=UTC))
        raise RuntimeError("boom")
    assert saved.path.read_bytes() == before
    assert saved.signature() == signature
    assert saved.archive_months() == []
    assert add_promise(saved) == 1003  # the id taken by the failed transaction was not saved either


def test_a_transaction_that_changes_nothing_does_not_write(saved: FileStore) -> None:
    signature = saved.signature()
    with saved.transaction() as tx:
        assert len(tx.promises) == 2
    assert saved.signature() == signature


def test_an_unserialisable_value_writes_nothing(saved: FileStore) -> None:
    before = saved.path.read_bytes()
    with pytest.raises(TypeError), saved.transaction() as tx:
        tx.put_promise(promise(1001, due=object()))
    assert saved.path.read_bytes() == before


def test_tx_is_unusable_after_the_transaction(store: FileStore) -> None:
    with store.transaction() as tx:
        pass
    with pytest.raises(RuntimeError, match="transaction is over"):
        tx.put_promise(promise(1001))
    with pytest.raises(RuntimeError, match="transaction is over"):
        tx.next_id("promise")


def test_transactions_do_not_nest(store: FileStore) -> None:
    with store.transaction(), pytest.raises(RuntimeError, match="does not nest"), store.transaction():
        pass
    add_promise(store)  # the store is usable afterwards


def test_a_second_store_sees_the_first_ones_writes(store: FileStore) -> None:
    watcher = FileStore(store.data_dir)
    assert watcher.read().promises == {}
    add_promise(store)
    first = watcher.signature()
    assert list(watcher.read().promises) == [1001]
    add_promise(store)
    assert watcher.signature() != first
    assert list(watcher.read().promises) == [1001, 1002]
    with watcher.transaction() as tx:
        tx.delete_promise(1001)
    assert list(store.read().promises) == [1002]


# --- atomic saves -----------------------------------------------------------------------------------------------


def _fd_path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


def _disk_full(*_: object) -> int:
    raise OSError(28, "No space left on device")


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to tell descriptors apart")
@pytest.mark.parametrize("step", ["mkstemp", "write", "fsync", "replace"])
def test_a_failed_save_leaves_the_old_file(saved: FileStore, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    before = saved.read()
    before_bytes = saved.path.read_bytes()
    data_dir = str(saved.data_dir)
    real_write, real_fsync, real_replace = os.write, os.fsync, os.replace

    def write(fd: int, data: bytes) -> int:
        if _fd_path(fd).startswith(data_dir):
            real_write(fd, bytes(data)[: len(data) // 2])  # a torn temp file
            _disk_full()
        return real_write(fd, data)

    def fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    def replace(source: str, target: object) -> None:
        if Path(target) == saved.path:  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied")
        real_replace(source, target)  # type: ignore[arg-type]

    def mkstemp(*_: object, **__: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    fakes = {"mkstemp": (tempfile, mkstemp), "write": (os, write), "fsync": (os, fsync), "replace": (os, replace)}
    module, fake = fakes[step]
    monkeypatch.setattr(module, step, fake)

    with pytest.raises(DataError) as failure:
        add_promise(saved)
    assert str(saved.path) in failure.value.message
    assert "nothing was changed" in failure.value.message
    monkeypatch.undo()
    assert saved.path.read_bytes() == before_bytes
    assert saved.read() == before
    assert temp_files(saved) == []
    assert add_promise(saved) == 1003  # and the store carries on


def test_a_failed_dir_fsync_keeps_the_save_and_warns(saved: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the rename is done other desks already see the new file: the save stands (no "nothing was changed",
    which would invite a duplicate), and the desk is warned that a power cut could still undo it."""
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(22, "Invalid argument")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    pid = add_promise(saved)
    monkeypatch.undo()
    assert pid in saved.read().promises
    assert temp_files(saved) == []
    assert any("could not confirm the save" in note and "Invalid argument" in note for note in saved.warnings())


def test_a_failed_backup_stops_the_commit(store: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    add_promise(store)
    before = store.path.read_bytes()
    real_replace = os.replace

    def replace(source: str, target: object) -> None:
        if Path(target).parent == store.backups_dir:  # type: ignore[arg-type]
            _disk_full()
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(DataError, match=r"could not save .*backups.*No space left on device — nothing was changed"):
        add_promise(store)
    assert store.path.read_bytes() == before
    assert temp_files(store) == []


def test_stale_temp_files_are_removed_by_the_next_save(saved: FileStore) -> None:
    stale = saved.data_dir / ".promisetrack.json.abc123.tmp"
    stale.write_bytes(b'{"meta": ')
    other = saved.data_dir / "notes.tmp"
    other.write_text("not ours")
    add_promise(saved)
    assert not stale.exists()
    assert other.exists()


# --- damaged files ----------------------------------------------------------------------------------------------

DAMAGED = {
    "garbage": (b"this is not json", "not valid JSON"),
    "truncated": (b'{"meta": {"1": {"schema": 1}}, "promises": {"1001": {"id": 10', "cut short"),
    "empty": (b"", "empty (0 bytes)"),
    "blank": (b"  \n", "empty"),
    "not-utf8": (b'{"meta": {"1": {"schema": 1}}, "promises": {"1001": {"what": "caf\xe9"}}}', "not UTF-8"),
    "a list": (b"[1, 2, 3]", "not a promisetrack data file"),
    "foreign": (b'{"_default": {"1": {"name": "x"}}}', "not a promisetrack data file"),
    "no schema": (b'{"meta": {"1": {"next_promise_id": 1001}}}', "not a promisetrack data file"),
    "future schema": (b'{"meta": {"1": {"schema": 3}}, "promises": {}}', "written by a newer promisetrack"),
    "bad table": (b'{"meta": {"1": {"schema": 1}}, "promises": [1, 2]}', "damaged"),
}


def _assert_refused(store: FileStore, error: DataError, problem: str) -> None:
    message = error.message
    assert str(store.path) in message
    assert problem in message
    assert "Nothing was changed" in message


@pytest.mark.parametrize("case", list(DAMAGED))
def test_a_damaged_file_is_refused_and_never_overwritten(store: FileStore, case: str) -> None:
    content, problem = DAMAGED[case]
    store.data_dir.mkdir(mode=0o700)
    store.path.write_bytes(content)
    store.path.chmod(0o600)

    with pytest.raises(DataError) as failure:
        store.read()
    _assert_refused(store, failure.value, problem)
    assert "no backup yet" in failure.value.message

    with pytest.raises(DataError) as failure, store.transaction() as tx:
        tx.put_promise(promise(1001))
    _assert_refused(store, failure.value, problem)
    assert store.path.read_bytes() == content
    assert not store.backups_dir.exists()
    assert store.check() == [failure.value.message]


def test_the_message_names_the_newest_good_backup(store: FileStore) -> None:
    add_promise(store)
    good = store.path.read_bytes()
    store.backups_dir.mkdir(mode=0o700)
    older = store.backups_dir / "promisetrack-2026-11-19.json"
    newest_good = store.backups_dir / "promisetrack-2026-11-20.json"
    newer_but_damaged = store.backups_dir / "promisetrack-2026-11-21.json"
    older.write_bytes(good)
    newest_good.write_bytes(good)
    newer_but_damaged.write_bytes(good[:20])
    store.path.write_bytes(b"\x00\x00\x00")

    assert store.newest_good_backup() == newest_good
    with pytest.raises(DataError) as failure:
        store.read()
    message = failure.value.message
    assert str(newest_good) in message and "copy it over" in message and f"cp {newest_good} {store.path}" in message
    assert str(newer_but_damaged) not in message

    # Following the advice works.
    store.path.write_bytes(newest_good.read_bytes())
    assert list(store.read().promises) == [1001]


def test_an_unreadable_file_is_a_data_error(store: FileStore) -> None:
    store.path.mkdir(parents=True)  # a folder where the file should be
    with pytest.raises(DataError, match=r"could not read .*promisetrack\.json"):
        store.read()


# --- backups ----------------------------------------------------------------------------------------------------


def test_one_backup_per_day_of_the_file_and_old_ones_pruned(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "data", backups_kept=3)
    add_promise(store)
    assert not store.backups_dir.exists()  # nothing to back up before the first save
    contents = {}
    for day in range(1, 7):
        set_mtime(store.path, 2020, 3, day)
        contents[day] = store.path.read_bytes()
        add_promise(store)
        set_mtime(store.path, 2020, 3, day)
        add_promise(store)  # same day again: the day's backup stays the first one
    names = [path.name for path in store._backup_files()]
    assert names == ["promisetrack-2020-03-04.json", "promisetrack-2020-03-05.json", "promisetrack-2020-03-06.json"]
    for day in (4, 5, 6):
        assert (store.backups_dir / f"promisetrack-2020-03-{day:02d}.json").read_bytes() == contents[day]
    assert store.newest_good_backup() == store.backups_dir / "promisetrack-2020-03-06.json"


def test_no_backups_when_none_are_kept(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "data", backups_kept=0)
    add_promise(store)
    add_promise(store)
    assert store.newest_good_backup() is None
    assert not store.backups_dir.exists()


# --- archive ----------------------------------------------------------------------------------------------------


def test_archive_moves_a_promise_out_of_the_live_file(saved: FileStore) -> None:
    with saved.transaction() as tx:
        tx.put_promise({**tx.promises[1001], "status": "done", "closed_at": "2026-10-02T12:00:00+01:00"})
        tx.archive(1001, datetime(2026, 10, 15, 12, tzinfo=UTC))
        assert 1001 not in tx.promises
    assert list(saved.read().promises) == [1002]
    assert saved.archive_months() == ["2026-10"]
    assert [doc["id"] for doc in saved.read_archive(["2026-10"])] == [1001]
    assert saved.read_archive(["2026-10"])[0]["status"] == "done"
    assert saved.read_archive(["2026-09"]) == []
    assert [doc["id"] for doc in saved.read_live_and_archived(["2026-10", "2026-09"])] == [1001, 1002]
    tables = orjson.loads((saved.archive_dir / "2026-10.json").read_bytes())
    assert tables["meta"]["1"]["schema"] == SCHEMA_VERSION and "1001" in tables["promises"]

    # A second move into the same month keeps the first.
    with saved.transaction() as tx:
        tx.archive(1002, datetime(2026, 10, 15, 12, tzinfo=UTC))
    assert sorted(doc["id"] for doc in saved.read_archive(["2026-10"])) == [1001, 1002]
    assert saved.read().promises == {}
    assert add_promise(saved) == 1003


def test_a_crash_between_archive_and_live_write_loses_nothing(
    saved: FileStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace

    def replace(source: str, target: object) -> None:
        if Path(target) == saved.path:  # type: ignore[arg-type]
            raise OSError(5, "Input/output error")
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(DataError, match="nothing was changed"), saved.transaction() as tx:
        tx.archive(1001, datetime(2026, 10, 15, 12, tzinfo=UTC))
    monkeypatch.undo()

    assert [doc["id"] for doc in saved.read_archive(["2026-10"])] == [1001]  # written first
    assert 1001 in saved.read().promises  # and still live
    assert [doc["id"] for doc in saved.read_live_and_archived(saved.archive_months())] == [1001, 1002]
    assert temp_files(saved) == []

    # Doing it again completes the move.
    with saved.transaction() as tx:
        tx.archive(1001, datetime(2026, 10, 15, 12, tzinfo=UTC))
    assert [doc["id"] for doc in saved.read_live_and_archived(["2026-10"])] == [1001, 1002]
    assert 1001 not in saved.read().promises


def test_archiving_then_putting_or_deleting_in_the_same_transaction(saved: FileStore) -> None:
    with saved.transaction() as tx:
        tx.archive(1001, datetime(2026, 10, 15, 12, tzinfo=UTC))
        tx.archive(1002, datetime(2026, 10, 15, 12, tzinfo=UTC))
        assert list(tx.promises) == [] and len(tx.promises) == 0 and tx.promises.get(1001) is None
        with pytest.raises(KeyError):
            tx.archive(1001, datetime(2026, 11, 15, 12, tzinfo=UTC))  # already leaving
        tx.put_promise(promise(1001, status="reopened"))  # put back: it stays live
        tx.delete_promise(1002)  # deleted: it goes nowhere
        assert dict(tx.promises) == {1001: promise(1001, status="reopened")}
    assert saved.read().promises == {1001: promise(1001, status="reopened")}
    assert saved.archive_months() == []


def test_many_promises_archive_in_one_transaction(store: FileStore) -> None:
    with store.transaction() as tx:
        for _ in range(300):
            pid = tx.next_id("promise")
            tx.put_promise(promise(pid, status="done"))
    with store.transaction() as tx:
        for pid in list(tx.promises):
            tx.archive(pid, datetime(2026, 9 if pid % 2 else 10, 15, 12, tzinfo=UTC))
        assert len(tx.promises) == 0
    assert store.read().promises == {}
    assert len(store.read_archive(["2026-09"])) == len(store.read_archive(["2026-10"])) == 150
    assert [doc["id"] for doc in store.read_live_and_archived(store.archive_months())] == list(range(1001, 1301))


def test_the_live_copy_wins_over_the_archived_one(saved: FileStore) -> None:
    with saved.transaction() as tx:
        tx.archive(1001, datetime(2026, 10, 15, 12, tzinfo=UTC))
    with saved.transaction() as tx:
        tx.put_promise(promise(1001, status="reopened"))
    closed = saved.read_live_and_archived(["2026-10"])
    assert [(doc["id"], doc["status"]) for doc in closed] == [(1001, "reopened"), (1002, "open")]


def test_a_damaged_archive_file_stops_the_move(saved: FileStore) -> None:
    saved.archive_dir.mkdir(mode=0o700)
    damaged = saved.archive_dir / "2026-10.json"
    damaged.write_bytes(b'{"meta": {"1": {"schema": 1}}, "promises": {"7": ')
    before = saved.path.read_bytes()
    with pytest.raises(DataError) as failure, saved.transaction() as tx:
        tx.archive(1001, datetime(2026, 10, 15, 12, tzinfo=UTC))
    assert str(damaged) in failure.value.message and "Nothing was changed" in failure.value.message
    assert saved.path.read_bytes() == before
    assert damaged.read_bytes().endswith(b'"7": ')
    with pytest.raises(DataError, match=r"2026-10\.json cannot be used"):
        saved.read_live_and_archived(["2026-10"])
    assert any("2026-10.json" in problem for problem in saved.check())


# --- locking ----------------------------------------------------------------------------------------------------

HOLD_LOCK = """
import sys
from filelock import FileLock
with FileLock(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()
"""


@pytest.mark.parametrize("backend", ["flock", "filelock"])
def test_a_held_lock_times_out_with_a_clear_message(
    saved: FileStore, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.setattr(store_module, "LOCK_BACKEND", backend)  # the holder uses filelock: the two exclude each other
    before = saved.path.read_bytes()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(saved.lock_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        impatient = FileStore(saved.data_dir, lock_timeout=0.2)
        with pytest.raises(StoreLockedError) as failure:
            add_promise(impatient)
        assert failure.value.message == "another desk is saving — try again"
        assert isinstance(failure.value, DataError)
        assert saved.path.read_bytes() == before
        assert impatient.read().promises.keys() == {1001, 1002}  # reading needs no lock
    finally:
        holder.communicate("", timeout=10)
    assert add_promise(FileStore(saved.data_dir, lock_timeout=0.2)) == 1003  # freed when the holder let go


@pytest.mark.parametrize("backend", ["flock", "filelock"])
def test_a_filesystem_without_locks_is_refused(store: FileStore, monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    import filelock

    class NoFlock:
        def __init__(self, *_: object, **options: object) -> None:
            assert options["fallback_to_soft"] is False  # never a silent soft lock

        def acquire(self) -> None:
            raise OSError(errno.ENOSYS, "Function not implemented")

    def no_flock(*_: object) -> None:
        raise OSError(errno.ENOSYS, "Function not implemented")

    monkeypatch.setattr(store_module, "LOCK_BACKEND", backend)  # POSIX uses flock itself; filelock elsewhere
    monkeypatch.setattr(filelock, "FileLock", NoFlock)
    if os.name == "posix":
        import fcntl

        monkeypatch.setattr(fcntl, "flock", no_flock)
    with pytest.raises(DataError, match="does not support file locks") as failure:
        add_promise(store)
    assert "nothing was changed" in failure.value.message
    assert not store.path.exists()


def _add_many(data_dir: str, count: int, start: object) -> None:
    start.wait(10)  # type: ignore[attr-defined]
    store = FileStore(Path(data_dir), lock_timeout=30)
    for _ in range(count):
        add_promise(store, by=os.getpid())


def test_two_processes_adding_at_once_lose_nothing(store: FileStore) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_add_many, args=(str(store.data_dir), 100, start)) for _ in range(2)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    snapshot = store.read()
    assert sorted(snapshot.promises) == list(range(1001, 1201))
    assert len({doc["by"] for doc in snapshot.promises.values()}) == 2
    assert snapshot.meta["next_promise_id"] == 1201


# --- permissions, check, warnings -------------------------------------------------------------------------------


def test_files_are_0600_and_folders_0700(saved: FileStore) -> None:
    with saved.transaction() as tx:
        tx.archive(1001, datetime(2026, 10, 15, 12, tzinfo=UTC))

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    for folder in (saved.data_dir, saved.archive_dir, saved.backups_dir):
        assert mode(folder) == 0o700, folder
    for path in (saved.path, saved.lock_path, saved.archive_dir / "2026-10.json", *saved._backup_files()):
        assert mode(path) == 0o600, path
    assert saved.check() == []


def test_check_reports_loose_permissions_and_damaged_backups(saved: FileStore) -> None:
    saved.path.chmod(0o644)
    saved.data_dir.chmod(0o755)
    (saved.backups_dir / "promisetrack-2026-01-01.json").write_bytes(b"{")
    problems = saved.check()
    assert any(str(saved.path) in p and "chmod 600" in p for p in problems)
    assert any(str(saved.data_dir) in p and "chmod 700" in p for p in problems)
    assert any("promisetrack-2026-01-01.json" in p and "cut short" in p for p in problems)
    add_promise(saved)  # a save writes a fresh 0600 file
    assert stat.S_IMODE(saved.path.stat().st_mode) == 0o600


def test_a_network_data_dir_gets_a_warning(store: FileStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/sda1 / ext4 rw 0 0\nserver:/desk {tmp_path} nfs4 rw 0 0\n")
    monkeypatch.setattr(store_module, "MOUNTS", mounts)
    [warning] = store.warnings()
    assert "locks do not work across NFS clients" in warning and "nfs4" in warning

    mounts.write_text("/dev/sda1 / ext4 rw 0 0\n")
    assert store.warnings() == []


def test_network_filesystem_takes_the_deepest_mount() -> None:
    mounts = (
        "/dev/sda1 / ext4 rw 0 0\n"
        "//nas/share /mnt/front\\040desk cifs rw 0 0\n"
        "tmpfs /mnt/front\\040desk/local tmpfs rw 0 0\n"
    )
    assert network_filesystem(Path("/mnt/front desk/data"), mounts) == "cifs"
    assert network_filesystem(Path("/mnt/front desk/local/data"), mounts) is None
    assert network_filesystem(Path("/mnt/front deskx"), mounts) is None
    assert network_filesystem(Path("/home/bea"), "") is None


def test_importing_the_store_does_not_load_its_backends() -> None:
    code = "import sys, promisetrack.store; print(sorted({'tinydb', 'filelock', 'orjson'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
