"""The board's first read, run ahead in a forked child (``promisetrack.ahead``): the same result as reading here, and
anything that goes wrong in the child costs only time — the work runs again here, with its errors as they would be."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from promisetrack.ahead import Ahead
from promisetrack.errors import DataError
from promisetrack.service import Desk

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform: Ahead runs the work here")


def test_the_work_runs_in_a_child_and_its_result_comes_back() -> None:
    ahead = Ahead(lambda: (os.getpid(), {"rows": [1, 2, 3]}))
    assert ahead.forked
    pid, value = ahead.result()
    assert pid != os.getpid() and value == {"rows": [1, 2, 3]}


def test_without_fork_the_work_runs_here() -> None:
    ahead = Ahead(os.getpid, fork=False)
    assert not ahead.forked
    assert ahead.result() == os.getpid()


def test_a_child_that_dies_leaves_the_work_to_the_parent() -> None:
    parent = os.getpid()

    def work() -> str:
        if os.getpid() != parent:
            os._exit(3)  # killed half-way: nothing written to the pipe
        return "read here"

    assert Ahead(work).result() == "read here"


def test_a_result_that_cannot_travel_is_worked_out_here() -> None:
    parent = os.getpid()
    ahead = Ahead(lambda: (lambda: "a lambda cannot be pickled") if os.getpid() != parent else "read here")
    assert ahead.result() == "read here"


def test_the_parents_unwritten_output_is_not_written_twice(capfd: pytest.CaptureFixture[str]) -> None:
    sys.stdout.write("said once")  # still in the buffer when the child is forked
    Ahead(lambda: 42).result()
    sys.stdout.flush()
    assert capfd.readouterr().out == "said once"


def test_a_corrupt_data_file_is_the_same_error_as_without_the_child(desk: Desk, data_dir: Path) -> None:
    desk.add("Maria Lopez", "Call back", "fri")
    (data_dir / "promisetrack.json").write_text('{"promises": {"1": ', encoding="utf-8")
    with pytest.raises(DataError) as direct:
        desk.first_read(20)
    ahead = Ahead(lambda: desk.first_read(20), fork=desk.readable_after_fork)
    assert ahead.forked
    with pytest.raises(DataError) as through_the_child:
        ahead.result()
    assert through_the_child.value.message == direct.value.message


def test_the_first_read_ahead_is_the_first_read(desk: Desk) -> None:
    for n in range(30):
        desk.add(f"Customer {n}", f"Promise {n}", ("+1h", "eod", "tomorrow", "fri 5pm", "+3bh")[n % 5])
    desk.contact(1003, "told them")
    ahead = Ahead(lambda: desk.first_read(12), fork=desk.readable_after_fork)
    assert ahead.forked
    version, now, first = ahead.result()
    here_version, here_now, here = desk.first_read(12)
    assert (version, now) == (here_version, here_now)
    assert (first.counts, first.total) == (here.counts, here.total)
    assert [(r.promise, r.assessment) for r in first.rows] == [(r.promise, r.assessment) for r in here.rows]


def test_a_child_reaped_by_the_kernel_still_gives_its_result() -> None:
    """Started with SIGCHLD ignored (a launcher may pass that on), the kernel reaps the child: waitpid fails."""
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert Ahead(lambda: "read ahead").result() == "read ahead"
        parent = os.getpid()
        assert Ahead(lambda: os._exit(3) if os.getpid() != parent else "read here").result() == "read here"
    finally:
        signal.signal(signal.SIGCHLD, previous)
