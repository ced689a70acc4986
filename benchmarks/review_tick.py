"""The review screen's part of the minute tick with 2,000 open promises: ``ReviewScreen.show`` given the ticked
board (``Desk.reassess`` first, untimed), in a headless Textual app of 160×50, minute after minute of a working day.
Drawing the frame afterwards is Textual's and is not timed.

    python -m benchmarks.review_tick DATA_DIR [--minutes N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import timedelta
from pathlib import Path

from benchmarks import generate


def measure(data: Path, minutes: int = 240) -> tuple[float, float, float, int]:
    """Median, 95th percentile and worst ms of ``ReviewScreen.show`` over ``minutes`` ticks, and the lines shown."""
    from textual.app import App

    from promisetrack.clock import FixedClock
    from promisetrack.service import board_key, open_desk
    from promisetrack.tui.screens.review import ReviewScreen

    start = generate.ANCHOR
    clock = FixedClock(start)
    desk = open_desk(data, clock=clock, user="Ana")
    rows = desk.board(start)
    by_id = {row.promise.id: row for row in rows}
    times: list[float] = []
    shown = 0

    class Host(App[None]):
        pass

    async def run() -> None:
        nonlocal rows, shown
        app = Host()
        async with app.run_test(size=(160, 50)) as pilot:
            screen = ReviewScreen(desk, rows, start, changed=lambda: None)
            await app.push_screen(screen)
            await pilot.pause()
            for minute in range(1, minutes + 1):
                now = start + timedelta(minutes=minute)
                desk.reassess(by_id, now)
                rows = sorted(by_id.values(), key=board_key)
                began = time.perf_counter()
                screen.show(rows, now)
                times.append(time.perf_counter() - began)
                if minute % 10 == 0:
                    await pilot.pause()  # let the app draw now and then, as it would between ticks
            shown = screen.table.row_count

    asyncio.run(run())
    times.sort()
    return (statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000, times[-1] * 1000, shown)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.review_tick", description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--minutes", type=int, default=240)
    args = parser.parse_args()
    median, p95, worst, shown = measure(args.data, args.minutes)
    print(f"review tick ({shown} lines): median {median:.1f} / p95 {p95:.1f} / worst {worst:.1f} ms")


if __name__ == "__main__":
    main()
