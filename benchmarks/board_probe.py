"""Board start to first frame, as a user sees it: the program runs in a pseudo-terminal (160×50, as a terminal
window would run it), and the time is from its spawn to the first output that draws the board's top row (or the
bare app's label). Then, once its output has been quiet for a moment (the rest of the rows added, the start over),
its peak memory (VmHWM) is read and it is stopped.

    python -m benchmarks.board_probe --bare      a bare Textual app (one label), the comparison

POSIX only (a pseudo-terminal); elsewhere ``first_frame`` says it cannot measure.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

COLUMNS, LINES = 160, 50
BARE_LABEL = "hello from a bare Textual app"
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


if __name__ == "__main__":
    if sys.argv[1:] != ["--bare"]:
        sys.exit("usage: python -m benchmarks.board_probe --bare")
    run_bare()
