"""Several desks adding at once on one data dir: nothing lost, no id twice, one customer per phone number."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from promisetrack.service import _phone_key
from promisetrack.store import FileStore
from tests.reliability.conftest import NOW, cli_env, run_cli

PROCESSES = 4
ADDS = 250
SHARED_PHONE = "+44 7700 900001"  # every process adds for this customer too: the registry must link them all

# One desk per process, as a board or a script would hold it: 250 adds, every fifth for the shared customer and the
# rest for customers of its own. Waits for the start file so that all four begin together; prints each id.
ADDER = """
import sys, time
from pathlib import Path
from promisetrack.service import open_desk

data, name, count, start = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
while not start.exists():
    time.sleep(0.005)
desk = open_desk(data, now=sys.argv[5], user=name)
for n in range(count):
    phone = sys.argv[6] if n % 5 == 0 else f"+44 7700 {name}{n:04d}"
    promise, _ = desk.add(f"Customer {name}-{n}", f"call back about order {name}-{n}", "fri 5pm", phone=phone)
    print(promise.id, flush=True)
"""


def test_four_processes_adding_250_promises_each_at_once(desk_dir: Path, tmp_path: Path) -> None:
    start = tmp_path / "go"
    adders = [
        subprocess.Popen(
            [sys.executable, "-c", ADDER, str(desk_dir), f"{n + 1}", str(ADDS), str(start), NOW, SHARED_PHONE],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(),
        )
        for n in range(PROCESSES)
    ]
    time.sleep(0.5)  # let them all import and wait at the start line
    start.touch()
    printed: list[int] = []
    spans = []
    for adder in adders:
        out, err = adder.communicate(timeout=240)
        assert adder.returncode == 0, err
        ids = [int(line) for line in out.split()]
        spans.append((min(ids), max(ids)))
        printed += ids
    first, *others = sorted(spans)
    assert any(low < first[1] for low, _ in others), "the desks did not run at the same time"

    store = FileStore(desk_dir)
    promises = store.read().promises
    assert len(printed) == len(set(printed)) == PROCESSES * ADDS
    assert sorted(printed) == sorted(promises) == list(range(1001, 1001 + PROCESSES * ADDS))
    assert all(doc["id"] == pid for pid, doc in promises.items())
    assert store.read().meta["next_promise_id"] == 1001 + PROCESSES * ADDS

    shared = {doc["customer"]["id"] for doc in promises.values() if doc["customer"]["phone"] == SHARED_PHONE}
    assert len(shared) == 1, "one customer for one phone number, whichever desk added them first"
    customers = store.read().customers
    assert [c for c in customers.values() if c.get("phone_key") == _phone_key(SHARED_PHONE)] == [
        customers[next(iter(shared))]
    ]
    assert len(customers) == 1 + PROCESSES * (ADDS - ADDS // 5)
    assert store.check() == []


def test_adds_through_the_cli_at_once(desk_dir: Path) -> None:
    """The real entry point, four at a time: each prints its own id, and every id is there once."""
    runs = 12
    script = (
        "import subprocess, sys\n"
        "procs = [subprocess.Popen([sys.executable, '-m', 'promisetrack', '--data', sys.argv[1], '--now', sys.argv[2],"
        " 'add', '--customer', f'Walk-in {n}', '--what', 'ring back', '--due', 'tomorrow'],"
        " stdout=subprocess.PIPE, text=True) for n in range(4)]\n"
        "print(' '.join(p.communicate()[0].strip() for p in procs))\n"
        "sys.exit(max(p.returncode for p in procs))\n"
    )
    printed: list[int] = []
    for _ in range(runs // 4):
        done = subprocess.run([sys.executable, "-c", script, str(desk_dir), NOW], capture_output=True, text=True,
                              env=cli_env(), timeout=120)
        assert done.returncode == 0, done.stderr
        printed += [int(pid) for pid in done.stdout.split()]
    assert sorted(printed) == list(range(1001, 1001 + runs))
    listed = run_cli(desk_dir, "list", "--json")
    assert listed.returncode == 0, listed.stderr
