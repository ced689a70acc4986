"""Board start to first frame, as a user sees it: the program runs in a pseudo-terminal (160×50, as a terminal
window would run it), and the time is from its spawn to the first output that draws the board's top row (or the
bare app's label). Then, once its output has been quiet for a moment (the rest of the rows added, the start over),
its peak memory (VmHWM) is read and it is stopped.

    python -m benchmarks.board_probe --bare      a bare Textual app (one label), the comparison
    python -m benchmarks.board_probe --table     a Textual app with the board's table of 2,000 made-up rows and no
                                                 data to read: what any Textual board of that size starts in

POSIX only (a pseudo-terminal); elsewhere ``first_frame`` says it cannot measure.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

COLUMNS, LINES = 160, 50
BARE_LABEL = "hello from a bare Textual app"
TABLE_TOP = "Top Row Person"  # fits the customer column uncut
WAIT = 60.0  # seconds to wait for the first frame before giving up
QUIET = 0.3  # seconds without output that end the start


def first_frame(command: Sequence[str], marker: str, env: dict[str, str]) -> tuple[float | None, int | None, str]:
    """Seconds from spawning ``command`` in a pseudo-terminal to the first output holding ``marker``, the process's
    peak resident memory in KiB, and a note (why there is no time)."""
    try:
        import fcntl
        import pty
        import select
        import struct
        import subprocess
        import termios
    except ImportError:
        return None, None, "needs a POSIX pseudo-terminal"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    terminal_env = {**env, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    started = time.perf_counter()
    child = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=terminal_env,
                             start_new_session=True)
    os.close(slave)
    wanted, seen, elapsed = marker.encode(), b"", None
    last_output = started
    try:
        while (now := time.perf_counter()) - started < WAIT:
            if elapsed is not None and now - last_output > QUIET:
                break
            ready, _, _ = select.select([master], [], [], 0.02)
            if not ready:
                continue
            try:
                chunk = os.read(master, 1 << 16)
            except OSError:  # the program ended
                break
            last_output = time.perf_counter()
            if elapsed is None:
                seen = seen[-len(wanted):] + chunk  # the marker may straddle two reads
                if wanted in seen:
                    elapsed = last_output - started
        rss = peak_rss_kib(child.pid)
    finally:
        child.kill()
        child.wait()
        os.close(master)
    if elapsed is None:
        tail = seen[-200:].decode(errors="replace")
        return None, rss, f"no frame with {marker!r} within {WAIT:.0f} s; last output: {tail!r}"
    return elapsed, rss, ""


def peak_rss_kib(pid: int) -> int | None:
    """A live process's peak resident memory in KiB (VmHWM, Linux); None where /proc does not tell."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run_bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Label

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Label(BARE_LABEL)

    Bare().run()


def run_table(rows: int = 2000) -> None:
    """The board's layout with nothing to read or work out: a line over a DataTable of ``rows`` rows in the board's
    columns and widths (a screenful added before the first frame, the rest after it, as the board does), a footer."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer, Static

    class Table(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("2,000 open · 18 at risk · 5 overdue")
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for key, width in (("id", 4), ("customer", 17), ("what", 45), ("owner", 8), ("due", 28), ("risk", 45)):
                table.add_column(key, key=key, width=width)
            cells = [[Text(str(1000 + n)), Text(TABLE_TOP if n == 0 else f"Customer {n}"),
                      Text("Kettle repaired under warranty"), Text("Ana"), Text(f"in {n}h      Mon 23 17:00"),
                      Text("at risk: only 1.5 business hours left")] for n in range(rows)]
            for n, row in enumerate(cells[:LINES]):
                table.add_row(*row, key=str(n))
            self.call_after_refresh(lambda: [table.add_row(*row, key=str(n))
                                             for n, row in enumerate(cells[LINES:], LINES)])

    Table().run()


if __name__ == "__main__":
    modes = {"--bare": run_bare, "--table": run_table}
    if len(sys.argv) != 2 or sys.argv[1] not in modes:
        sys.exit("usage: python -m benchmarks.board_probe --bare | --table")
    modes[sys.argv[1]]()
