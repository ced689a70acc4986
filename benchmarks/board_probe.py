"""Child process of the board benchmark: start the board (or a bare Textual app) headless, say when the first frame
is up, then report the peak memory (VmHWM).

    python -m benchmarks.board_probe --data DIR --now WHEN     the promisetrack board on DIR
    python -m benchmarks.board_probe --bare                     a Textual app with one label, for comparison

The board is started as ``promisetrack`` starts it: ``board_app`` (the first read of the data file, then the app),
headless instead of ``app.run()``. Prints ``frame`` as soon as the screen has been composed and refreshed with the
board's rows (the parent times the process from its start to that line), then ``maxrss <KiB>`` (the peak resident
memory) and exits; prints ``not-ready <reason>`` if the board cannot be imported or started.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

SIZE = (160, 50)
ROWS_WAIT = 30.0  # seconds to wait for the board's first rows before giving up


async def _bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Label

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Label("hello")

    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        print("frame", flush=True)


async def _board(data: str, now: str) -> None:
    from pathlib import Path

    try:
        from promisetrack.service import open_desk
        from promisetrack.tui.app import board_app
    except Exception as exc:  # the board is being written: say so rather than fail the whole benchmark
        print(f"not-ready {type(exc).__name__}: {exc}", flush=True)
        return
    desk = open_desk(Path(data), now=now, user="Ana")
    app = board_app(desk)  # what run_board does before app.run()
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + ROWS_WAIT
        while not getattr(app, "rows", True) and time.monotonic() < deadline:
            await pilot.pause(0.005)
        await pilot.pause()
        if not getattr(app, "rows", True):
            print("not-ready the board showed no rows", flush=True)
            return
        print("frame", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.board_probe")
    parser.add_argument("--data")
    parser.add_argument("--now")
    parser.add_argument("--bare", action="store_true")
    args = parser.parse_args()
    asyncio.run(_bare() if args.bare else _board(args.data, args.now))
    print(f"maxrss {peak_rss_kib()}", flush=True)
    return 0


def peak_rss_kib() -> int:
    """This process's peak resident memory in KiB: VmHWM on Linux. (ru_maxrss would do elsewhere, but on Linux it
    keeps the high-water mark of the parent's image this process was forked from.)"""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    sys.exit(main())
