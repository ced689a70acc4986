"""SIGKILL a writer at random moments: the data must always load and hold every write it acknowledged."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from promisetrack.store import FileStore

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 20
SEED = 20261123

# Adds promises one transaction at a time and prints each id once its transaction has committed. Every fifth
# transaction also moves the oldest live promise to the archive, so kills land between archive and live writes too.
WRITER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
from promisetrack.store import FileStore

store = FileStore(Path(sys.argv[1]), lock_timeout=30, backups_kept=3)
note = "waiting on the supplier; customer prefers a call after 4pm " * 8
while True:
    with store.transaction() as tx:
        pid = tx.next_id("promise")
        tx.put_promise({"id": pid, "what": "replacement kettle", "note": note, "events": [{"kind": "created"}]})
        if pid % 5 == 0:
            oldest = min(tx.promises)
            tx.archive(oldest, datetime(2026, oldest % 12 + 1, 15, 12, tzinfo=UTC))
    print(pid, flush=True)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkilled_writer_never_loses_an_acknowledged_write(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    data_dir = tmp_path / "data"
    store = FileStore(data_dir)
    acknowledged: list[int] = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.monotonic()

    for round_ in range(ROUNDS):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert writer.stdout is not None
        lines: list[bytes] = []
        if rng.random() < 0.8:
            lines.append(writer.stdout.readline())  # it is writing: kill it somewhere in the next few saves
        time.sleep(rng.uniform(0, 0.25))  # the random moment (not a synchronisation)
        writer.send_signal(signal.SIGKILL)
        out, err = writer.communicate(timeout=30)
        assert writer.returncode == -signal.SIGKILL, err.decode()
        lines += out.splitlines(keepends=True)
        acknowledged += [int(line) for line in lines if line.endswith(b"\n")]  # a half-printed id is no ack

        snapshot = store.read()  # loads (raises DataError if torn)
        closed = store.read_live_and_archived(store.archive_months())
        ids = [doc["id"] for doc in closed]
        assert len(ids) == len(set(ids)), f"round {round_}: an id appears twice"
        missing = set(acknowledged) - set(ids)
        assert not missing, f"round {round_}: acknowledged ids lost: {sorted(missing)}"
        if ids:
            assert snapshot.meta["next_promise_id"] > max(ids)

    assert len(acknowledged) == len(set(acknowledged))
    assert len(acknowledged) > ROUNDS  # the writer did get work done between kills
    assert store.check() == []
    with store.transaction() as tx:  # the next save clears what the killed saves left behind
        tx.put_promise({"id": tx.next_id("promise"), "what": "after the crashes"})
    leftovers = [path for folder in (data_dir, store.archive_dir, store.backups_dir) for path in folder.glob("*.tmp")]
    leftovers += list(data_dir.glob(".*.tmp")) + list(store.archive_dir.glob(".*.tmp"))
    assert leftovers == []
    assert time.monotonic() - started < 60
