"""Issue 13: a data dir of schema 1 (every record in full) is converted to the compact records of schema 2 by its
first save — under the lock, atomically, after a copy of the old live file — and reads back the same promises; an
archive month is converted when a save rewrites it; an older promisetrack refuses the converted files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from benchmarks import generate
from promisetrack import records
from promisetrack.clock import FixedClock
from promisetrack.errors import DataError
from promisetrack.model import Promise
from promisetrack.outcomes import derive_outcome
from promisetrack.service import open_desk
from promisetrack.store import files as store_module
from promisetrack.store.files import SCHEMA_1_BACKUP, FileStore


def schema_1_record(doc: dict[str, Any]) -> dict[str, Any]:
    """A record as promisetrack wrote it before schema 2: every key, every event's data, the created event whole."""
    p = Promise.from_dict(doc)
    out = {
        "id": p.id, "customer": p.customer.to_dict(), "what": p.what, "owner": p.owner, "category": p.category,
        "created_at": p.created_at.isoformat(), "original_due": p.original_due.isoformat(),
        "due": p.due.isoformat(), "status": p.status.value, "complaint": p.complaint, "csat": p.csat,
        "closed_at": p.closed_at.isoformat() if p.closed_at else None, "blocked": p.blocked,
        "blocked_note": p.blocked_note, "cancel_reason": p.cancel_reason,
        "events": [{"kind": e.kind.value, "at": e.at.isoformat(), "by": e.by, "data": e.data,
                    **({"n": e.n} if e.n is not None else {})} for e in p.events],  # (n: since schema 2's data)
    }  # fmt: skip
    if p.waiting_since is not None:
        out["waiting_since"] = p.waiting_since.isoformat()
        out["waiting_note"] = p.waiting_note
        out["waiting_until"] = p.waiting_until.isoformat() if p.waiting_until else None
    return out


def to_schema_1(path: Path) -> None:
    tables = orjson.loads(path.read_bytes())
    tables["meta"]["1"]["schema"] = 1
    tables["promises"] = {key: schema_1_record(doc) for key, doc in tables.get("promises", {}).items()}
    path.write_bytes(orjson.dumps(tables))


def all_records(store: FileStore) -> dict[int, dict[str, Any]]:
    found = {doc["id"]: doc for doc in store.read_archived()}
    found.update(store.read().promises)  # the live copy wins
    return found


def schema(path: Path) -> int:
    return orjson.loads(path.read_bytes())["meta"]["1"]["schema"]


@pytest.fixture(scope="module")
def old_desk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated 1-year desk (200 open), rewritten as schema 1."""
    data_dir = tmp_path_factory.mktemp("schema1") / "desk"
    generate.write(data_dir, 1, 200, 6, quiet=True)
    for path in [data_dir / "promisetrack.json", *sorted((data_dir / "archive").glob("*.json"))]:
        to_schema_1(path)
    return data_dir


@pytest.fixture
def desk_dir(old_desk: Path, tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "desk"
    shutil.copytree(old_desk, target)
    return target


def test_the_first_save_converts_the_live_file_and_every_promise_reads_back_the_same(desk_dir: Path) -> None:
    store = FileStore(desk_dir)
    live_path = store.path
    before_bytes = live_path.read_bytes()
    before = all_records(store)
    assert len(before) == 20161 and schema(live_path) == 1
    assert all("due" in doc["events"][0]["data"] for doc in before.values())  # really the old form

    desk = open_desk(desk_dir, clock=FixedClock(generate.ANCHOR), user="ana")
    new_id = desk.add("Ana Silva", "call back with the quote", "tomorrow 12:00")[0].id

    after = all_records(FileStore(desk_dir))
    assert schema(live_path) == store_module.SCHEMA_VERSION == 2
    assert (desk_dir / "backups" / SCHEMA_1_BACKUP).read_bytes() == before_bytes
    assert set(after) == set(before) | {new_id}
    for pid, old in before.items():
        a, b = Promise.from_dict(old), Promise.from_dict(after[pid])
        assert a == b, pid
        assert derive_outcome(a) == derive_outcome(b), pid
    live = orjson.loads(live_path.read_bytes())["promises"]
    assert len(live_path.read_bytes()) < 0.8 * len(before_bytes)
    for doc in live.values():
        assert doc == records.compact(doc)  # nothing left to drop
        created = doc["events"][0]
        assert not set(created.get("data", {})) & {"due", "owner", "category", "what", "customer"}
        assert created.get("at", doc["created_at"]) == doc["created_at"] != created.get("at")
        assert all(e.get("data", True) != {} for e in doc["events"])
        assert not {"blocked", "blocked_note", "cancel_reason"} & {k for k, v in doc.items() if not v}
    new = live[str(new_id)]
    assert "." not in new["created_at"] and "at" not in new["events"][0]  # whole seconds, not repeated

    # Untouched archive months stay as they were (converted when a save rewrites them) and read the same.
    assert {schema(path) for path in (desk_dir / "archive").glob("*.json")} == {1}

    # A second save converts nothing again: the copy of the schema 1 file stays the one taken.
    desk.add("Bo Lind", "order the part", "tomorrow 15:00")
    assert (desk_dir / "backups" / SCHEMA_1_BACKUP).read_bytes() == before_bytes


def test_an_archive_month_is_converted_when_a_save_rewrites_it(desk_dir: Path) -> None:
    store = FileStore(desk_dir)
    before = all_records(store)
    months_before = {path.name: schema(path) for path in store.archive_dir.glob("*.json")}
    later = generate.ANCHOR + timedelta(days=40)  # the closed promises still live are archived by the next save
    open_desk(desk_dir, clock=FixedClock(later), user="ana").add("Ana Silva", "call back", "tomorrow 12:00")

    store = FileStore(desk_dir)
    rewritten = {path.name for path in store.archive_dir.glob("*.json") if schema(path) == 2}
    assert rewritten and all(months_before.get(name, 1) == 1 for name in rewritten)
    assert len(rewritten) < len(list(store.archive_dir.glob("*.json")))  # the others wait for their turn
    after = all_records(store)
    for pid, old in before.items():
        assert Promise.from_dict(old) == Promise.from_dict(after[pid]), pid
    for name in rewritten:
        for doc in orjson.loads((store.archive_dir / name).read_bytes())["promises"].values():
            assert doc == records.compact(doc)


def test_an_older_promisetrack_refuses_the_converted_desk(desk_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    open_desk(desk_dir, clock=FixedClock(generate.ANCHOR), user="ana").add("Ana Silva", "call back", "tomorrow")
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    newer = r"written by a newer promisetrack \(data schema 2; this version reads schema 1"
    with pytest.raises(DataError, match=newer):
        FileStore(desk_dir).read()
    # ... and can read the copy kept of the file it wrote.
    old_dir = desk_dir.parent / "restored"
    old_dir.mkdir(mode=0o700)
    (old_dir / "promisetrack.json").write_bytes((desk_dir / "backups" / SCHEMA_1_BACKUP).read_bytes())
    assert len(FileStore(old_dir).read().promises) > 200


def test_a_created_event_reads_the_same_after_a_reassignment_a_complaint_a_merge_and_an_undo(tmp_path: Path) -> None:
    clock = FixedClock(generate.ANCHOR)
    desk = open_desk(tmp_path / "desk", clock=clock, user="ana")
    first = desk.add("Ana Silva", "call back with the quote", "tomorrow 12:00", phone="0700 111")[0].id
    twin = desk.add("Ana Silva", "order the part", "tomorrow 15:00", phone="0700 222", new_customer=True,
                    owner="Ben", complaint=True)[0]
    clock.advance(timedelta(minutes=5))
    desk.reassign(first, "Ben")
    clock.advance(timedelta(minutes=5))
    desk.reassign(first, "Mia")
    clock.advance(timedelta(minutes=5))
    desk.undo()
    clock.advance(timedelta(minutes=5))
    desk.complaint(first, "rude on the phone")
    desk.merge_customers(twin.customer.id - 1, twin.customer.id)
    store = FileStore(tmp_path / "desk")
    docs = store.read().promises
    for pid, owner, customer, complaint in ((first, "ana", twin.customer.id - 1, False),
                                            (twin.id, "Ben", twin.customer.id, True)):
        doc = docs[pid]
        created = Promise.from_dict(doc).events[0]
        assert (created.data["owner"], created.data["customer"], created.data["complaint"]) == (
            owner, customer, complaint)
        stored = doc["events"][0]
        assert set(stored.get("data", {})) == ({"complaint"} if complaint else set())  # all derived, none repeated
        assert Promise.from_dict(doc) == Promise.from_dict(schema_1_record(doc))
    assert docs[first]["owner"] == "Ben" and docs[twin.id]["customer"]["id"] == twin.customer.id - 1
