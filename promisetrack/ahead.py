"""Work started ahead on another core: the board's first read runs in a forked child process while the board's own
process imports Textual, and the two meet before the first frame.

Why a process: the read is Python work (parsing the live file, every promise's level), and Python runs one thread
of Python at a time, so a thread would only take turns with the imports. A fork starts at once — the child has the
parent's modules, the open desk and its settings — and costs nothing of the parent's time but the fork itself.

The child only reads: it never writes a data file, prints, or runs the parent's exit handlers (``os._exit``). Its
result comes back pickled through a pipe. If anything goes wrong on the way — no ``fork`` on this platform, the
child failed (a corrupt data file, say) or was killed — the work runs again in the parent, where any error is
raised as it would have been without the child: the child's only effect is time.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import Generic, TypeVar

from promisetrack import gctuning

T = TypeVar("T")


class Ahead(Generic[T]):
    """``work`` started now, in a child process when ``fork`` is true and the platform can; ``result()`` waits for
    it (or runs it here)."""

    def __init__(self, work: Callable[[], T], *, fork: bool = True) -> None:
        self.work = work
        self.forked = False  # whether a child took the work
        self.pid: int | None = None
        self._reader: int | None = None
        if fork and hasattr(os, "fork"):
            self._start()

    def _start(self) -> None:
        try:
            reader, writer = os.pipe()
        except OSError:
            return
        try:
            pid = os.fork()
        except OSError:  # no memory or processes to spare: the work runs in the parent
            os.close(reader)
            os.close(writer)
            return
        if pid == 0:  # pragma: no cover - the child; its outcome is checked through result()
            status = 1
            try:
                os.close(reader)
                with gctuning.paused():  # a short-lived process: see gctuning
                    payload = pickle.dumps(self.work(), protocol=pickle.HIGHEST_PROTOCOL)
                with open(writer, "wb") as pipe:
                    pipe.write(payload)
                status = 0
            finally:
                os._exit(status)  # no exit handlers, no flushing of the parent's buffers
        os.close(writer)
        self.pid, self._reader, self.forked = pid, reader, True

    def result(self) -> T:
        """The work's result: the child's, or, when there was no child or it failed, the work run here."""
        if self.pid is None or self._reader is None:
            return self.work()
        reader, pid = self._reader, self.pid
        self._reader = self.pid = None
        try:
            with open(reader, "rb") as pipe:
                payload = pipe.read()
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # SIGCHLD ignored (inherited from whoever started us): the kernel reaped it
            status = 0  # a payload cut short still fails to unpickle below
        except OSError:
            payload, status = b"", 1
        if status == 0 and payload:
            try:
                return pickle.loads(payload)  # our own child's output, through our own pipe
            except Exception:  # a child cut short: the parent does the work
                pass
        return self.work()
