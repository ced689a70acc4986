"""Issue 6's benchmarks in one run: ``python -m benchmarks`` prints a table of medians and ratios.

- ``promisetrack add`` and ``list``: empty history, 1 year and 5 years (2,000 open promises each), and 5 years ÷
  empty (goal ≤ 1.2);
- the same against Taskwarrior's ``task add`` / ``task list`` on equal data (goal ≤ 2 for add, ≤ 0.5 for list),
  when ``task`` is installed;
- the board: process start to first frame (its top row drawn, in a pseudo-terminal) with 2,000 open + 5 years ÷ a
  bare Textual app (goal ≤ 1.5), its peak memory, and the core of its minute tick (``Desk.reassess``; goal ≤ 5 ms);
- the review screen's part of the tick (``ReviewScreen.show`` with 2,000 open; goal under 10 ms).

Data is generated once by ``benchmarks.generate`` (through the real store) into ``./bench-data`` (or ``--cache``)
and reused while the generator and the settings it depends on are unchanged; every timed command runs on a
throwaway copy. Commands run with PYTHONDONTWRITEBYTECODE removed from the environment, after a byte-compile and
warm-up runs, so they are timed the way an installed promisetrack starts (this sandbox sets the variable, which
would make every start recompile everything). hyperfine is used for the command timings when installed, else a
plain loop; both report the median.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks import board_probe, generate, review_tick, taskwarrior
from benchmarks.table import print_table, verdict

ROOT = Path(__file__).resolve().parent.parent
# rc.verbose=new-id: print the new id, as `promisetrack add` does. Taskwarrior's default adds a footnote on the
# project's progress, which reads every completed task (0.9 s here with 100k): we time Taskwarrior at its fastest.
TASK_ADD = ("rc.verbose=new-id", "add", "Call back with the quote — Jo Bloggs", "project:callback", "+Ana",
            "due:friday")
NOW = generate.NOW_OPTION
ADD_ARGS = (
    "add", "--customer", "Jo Bloggs", "--phone", "+44 7700 123456", "--what", "Call back with the quote",
    "--due", "fri 5pm", "--owner", "Ana", "--category", "callback",
)  # fmt: skip


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), "
        f"Python {platform.python_version()} ({sys.executable})"
    )


def clean_env() -> dict[str, str]:
    """The environment of a user's shell: no PYTHONDONTWRITEBYTECODE (it makes every start recompile)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def promisetrack_command() -> list[str]:
    script = Path(sys.executable).parent / "promisetrack"
    return [str(script)] if script.exists() else [sys.executable, "-m", "promisetrack"]


def byte_compile() -> None:
    import promisetrack

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(promisetrack.__file__).parent)],
        env=clean_env(), check=False, stdout=subprocess.DEVNULL,
    )


def time_commands(commands: dict[str, tuple[Sequence[str], dict[str, str]]], runs: int, warmup: int = 2
                  ) -> dict[str, float]:
    """Median wall time (seconds) of each command, output discarded, timed in interleaved rounds — every round runs
    every command once — so a burst of load on the machine falls on all of them alike and the ratios hold."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(warmup + runs):
        for name, (cmd, env) in commands.items():
            began = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            if round_ >= warmup:
                times[name].append(time.perf_counter() - began)
    return {name: statistics.median(values) for name, values in times.items()}


def dataset(cache: Path, years: float, open_count: int, seed: int) -> Path:
    """A generated data dir for these parameters, made once and kept in ``cache``."""
    from promisetrack.config import Settings

    keep = Settings().archive_after_days
    key = f"pt-{years:g}y-{open_count}open-seed{seed}-gen{generate.GENERATOR_VERSION}-keep{keep}d"
    path = cache / key
    if not (path / generate.MARKER).exists():
        shutil.rmtree(path, ignore_errors=True)
        print(f"  generating {key} …", file=sys.stderr, flush=True)
        generate.write(path, years, open_count, seed, quiet=True)
    return path


def scratch_copy(source: Path, target: Path) -> Path:
    """A copy to run commands on. The store never changes a file in place (it writes a new one and renames it),
    so hard links are a safe and quick copy of a promisetrack data dir."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, copy_function=os.link)
    return target


def taskwarrior_data(cache: Path, data: Path) -> Path:
    home = cache / f"tw-{data.name}"
    if not (home / "data" / "pending.data").exists():
        shutil.rmtree(home, ignore_errors=True)
        print(f"  importing {data.name} into Taskwarrior …", file=sys.stderr, flush=True)
        taskwarrior.build(data, home)
    return home


def top_row(data: Path) -> str:
    """The start of the customer's name in the board's top row (what the board's first frame must show; the start
    only, as the column may cut a long name)."""
    from promisetrack.service import open_desk

    return open_desk(data, now=NOW, user="Ana").board()[0].promise.customer.name[:10]


def board_tick(data: Path, minutes: int = 480) -> tuple[float, float, float, float]:
    """``Desk.reassess`` at each of ``minutes`` consecutive minute ticks (a working day from the anchor), with the
    board's alert work of a tick (the reminders due, the count of unacknowledged overdue alerts — every overdue
    promise of the generated desk has one pending): median, 95th percentile and worst ms, and the rows whose risk
    or reasons changed, on average a tick."""
    from promisetrack.alerts import Reminders, unacknowledged
    from promisetrack.clock import FixedClock
    from promisetrack.service import open_desk

    start = generate.ANCHOR
    clock = FixedClock(start)
    desk = open_desk(data, clock=clock, user="Ana")
    rows = {row.promise.id: row for row in desk.board(start)}
    reminders = Reminders(desk.calendar, desk.settings.remind_every_minutes * 60)
    reminders.due(rows.values(), start, start=True)
    times, changed = [], []
    for minute in range(1, minutes + 1):
        now = start + timedelta(minutes=minute)
        began = time.perf_counter()
        changed.append(len(desk.reassess(rows, now)))
        reminders.due(rows.values(), now)
        unacknowledged(rows.values())
        times.append(time.perf_counter() - began)
    times.sort()
    return (statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000, times[-1] * 1000,
            statistics.mean(changed))


def ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f} ms"


def data_and_run_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options every benchmark run takes: where the generated data is kept, what it holds, how many runs."""
    parser.add_argument("--cache", type=Path, default=ROOT / "bench-data", help="where generated data is kept")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each command (default 15)")
    parser.add_argument("--board-runs", type=int, default=5, help="board starts timed (default 5)")
    parser.add_argument("--open", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=6)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    args = data_and_run_options(parser).parse_args(argv)

    started = time.monotonic()
    tw_version = taskwarrior.available()
    print(f"promisetrack benchmarks, {datetime.now():%Y-%m-%d %H:%M}")
    print(f"machine: {machine()}")
    print(f"Taskwarrior: {tw_version or 'not installed — the comparison rows are skipped'}")
    print(f"timing: wall time from spawn to exit, median of {args.runs} interleaved rounds after 2 warm-ups; "
          "PYTHONDONTWRITEBYTECODE removed and bytecode compiled first, as on a user's install")
    args.cache.mkdir(parents=True, exist_ok=True)
    data = {years: dataset(args.cache, years, args.open, args.seed) for years in (0, 1, 5)}
    byte_compile()
    env = clean_env()
    pt = promisetrack_command()
    rows: list[tuple[str, str, str, str]] = []

    with tempfile.TemporaryDirectory(prefix="promisetrack-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        commands: dict[str, tuple[Sequence[str], dict[str, str]]] = {}
        labels: dict[str, str] = {}
        for years, source in data.items():
            info = json.loads((source / generate.MARKER).read_text())
            work = scratch_copy(source, scratch / f"pt{years}")
            for command, extra in (("add", ADD_ARGS), ("list", ("list",))):
                commands[f"{command}{years}"] = ([*pt, "--data", str(work), "--now", NOW, *extra], env)
                labels[f"{command}{years}"] = (f"promisetrack {command}, {years} years "
                                               f"({info['closed']:,} closed, {info['open']:,} open)")
        holiday = scratch_copy(data[5], scratch / "holidays5")
        settings = holiday / "settings.toml"
        text = settings.read_text().replace("[holidays]\n", '[holidays]\ncountry = "PT"\n', 1)
        settings.unlink()  # a hard link to the cached data's file (scratch_copy): a new file, not an edit in place
        settings.write_text(text)
        holiday_add = [*pt, "--data", str(holiday), "--now", NOW, *ADD_ARGS]
        subprocess.run(holiday_add, env=env, capture_output=True, check=True)  # fills the holiday cache once
        commands["addholidays5"] = (holiday_add, env)
        labels["addholidays5"] = "promisetrack add, 5 years, [holidays] country = \"PT\" (cache filled)"
        floor = scratch_copy(data[5], scratch / "floor5")
        commands["floor5"] = ([sys.executable, "-m", "benchmarks.rewrite_floor", str(floor / "promisetrack.json")],
                              env)
        labels["floor5"] = "floor: read, parse, add one record, write back the 5-year live file (python, orjson only)"
        if tw_version:
            for years in (0, 5):
                home = scratch / f"tw{years}"
                shutil.copytree(taskwarrior_data(args.cache, data[years]), home)  # task writes in place: real copy
                tw_env = {**env, **taskwarrior.isolated_env(home)}
                for command, extra in (("add", TASK_ADD), ("list", ("list",))):
                    commands[f"task{command}{years}"] = (["task", f"rc.data.location={home / 'data'}", *extra], tw_env)
                    labels[f"task{command}{years}"] = f"task {command}, {years} years (equal data)"
        result = time_commands(commands, args.runs)
        for name in commands:
            rows.append((labels[name], ms(result[name]), "", ""))
        ratio = result["addholidays5"] / result["add5"]
        rows.append(("promisetrack add with a country's holidays ÷ without, 5 years", f"{ratio:.2f}", "≤ 1.05",
                     verdict(ratio <= 1.05) + " (the holidays package is not imported: its cache is read)"))
        for command in ("add", "list"):
            ratio = result[f"{command}5"] / result[f"{command}0"]
            rows.append((f"promisetrack {command}: 5 years ÷ empty", f"{ratio:.2f}", "≤ 1.2", verdict(ratio <= 1.2)))
        live_bytes = (data[5] / "promisetrack.json").read_bytes()
        live_count = len(json.loads(live_bytes).get("promises", {}))
        rows.append(("5-year live file: size ÷ promises in it (its history table included)",
                     f"{len(live_bytes) / max(live_count, 1):,.0f} B", "",
                     f"{len(live_bytes):,} B, {live_count:,} promises"))
        if tw_version:
            for command, goal in (("add", 2.5), ("list", 0.5)):
                ratio = result[f"{command}5"] / result[f"task{command}5"]
                rows.append((f"promisetrack {command} ÷ task {command}, 5 years", f"{ratio:.2f}", f"≤ {goal:g}",
                             verdict(ratio <= goal)))
            rows.append(("the floor above ÷ task add, 5 years", f"{result['floor5'] / result['taskadd5']:.2f}", "",
                         "no Python add on this store can do better"))
        else:
            rows.append(("Taskwarrior comparison", "skipped", "", "task not installed"))

        work = scratch_copy(data[5], scratch / "board5")
        marker = top_row(work)
        bare_command = [sys.executable, "-m", "benchmarks.board_probe", "--bare"]
        board_command = [*pt, "--data", str(work), "--now", NOW, "--user", "Ana"]
        table_command = [sys.executable, "-m", "benchmarks.board_probe", "--table"]
        bare, table, board = [], [], []
        for _ in range(args.board_runs):  # interleaved, so that a busy moment of the machine hits all alike
            bare.append(board_probe.first_frame(bare_command, board_probe.BARE_LABEL, env))
            table.append(board_probe.first_frame(table_command, board_probe.TABLE_TOP, env))
            board.append(board_probe.first_frame(board_command, marker, env))
        if all(t is not None for t, _, _ in bare + table + board):
            bare_time = statistics.median(t for t, _, _ in bare if t is not None)
            table_time = statistics.median(t for t, _, _ in table if t is not None)
            board_time = statistics.median(t for t, _, _ in board if t is not None)
            ratio = board_time / bare_time
            rows.append(("bare Textual app: start to first frame", ms(bare_time), "", ""))
            rows.append(("Textual app with the board's table of 2,000 made-up rows, nothing read: first frame",
                         ms(table_time), "", f"{table_time / bare_time:.2f} × bare"))
            rows.append(("board, 5 years: start to first frame (top row drawn)", ms(board_time), "", ""))
            rows.append(("board start ÷ bare Textual app", f"{ratio:.2f}", "≤ 1.5", verdict(ratio <= 1.5)))
            rss = [r for _, r, _ in board if r is not None]
            bare_rss = [r for _, r, _ in bare if r is not None]
            if rss and bare_rss:
                rows.append(("board, 5 years: peak memory (VmHWM)", f"{max(rss) / 1024:.0f} MB",
                             f"bare app {max(bare_rss) / 1024:.0f} MB", ""))
        else:
            note = next(n for t, _, n in bare + table + board if t is None)
            rows.append(("board, 5 years: start to first frame", "not measured", "", note[:120]))
        median, p95, worst, changed = board_tick(scratch_copy(data[5], scratch / "tick5"))
        rows.append(("board minute tick, core (Desk.reassess + alerts), 2,000 open: median / p95 / worst of a day",
                     f"{median:.1f} / {p95:.1f} / {worst:.1f} ms", "≤ 5 ms",
                     verdict(p95 <= 5.0) + f" at p95 ({changed:.0f} rows change a tick on average)"))
        median, p95, worst, lines = review_tick.measure(scratch_copy(data[5], scratch / "review5"))
        rows.append(("review screen's tick (ReviewScreen.show), 2,000 open: median / p95 / worst of 4 hours",
                     f"{median:.1f} / {p95:.1f} / {worst:.1f} ms", "< 10 ms",
                     verdict(median < 10.0) + f" at the median ({lines} lines shown)"))

    print_table(rows, started)
    return 0



if __name__ == "__main__":
    sys.exit(main())
