"""Python's cycle collector, paused while promisetrack builds many objects at once: the one place that tunes it.

Why: a command, and the board until its first frame, builds a few hundred thousand objects from the data files (the
parsed tree of dicts and lists, the promises with their events, the board's cells and widgets), none of them in a
cycle. The collector would run again and again while they are made and walk every one of them each time, without
ever freeing one: reference counting frees them. So the collector is paused for a short command (``paused``), for
the parse of a data file (the same, nested), and for the board's start (``pause_for_start``), after which the board
freezes what it built out of the collector's way (``resume_after_start``) and collects as usual for the hours it
stays open. What it saves is measured in the README ("Staying fast") and by ``python -m benchmarks``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """The collector paused for the block, and running again after it if it was before (so blocks nest)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def pause_for_start() -> bool:
    """Pause the collector for the board's start; whether it was running (then ``resume_after_start`` is owed)."""
    collecting = gc.isenabled()
    gc.disable()
    return collecting


def resume_after_start() -> None:
    """The board's first frame is up: what the start built, most of which lives as long as the board, is frozen out
    of the collector's way, and the collector runs again."""
    gc.freeze()
    gc.enable()


def resume() -> None:
    """The collector running again (a start that failed, or ended before its first frame)."""
    gc.enable()
