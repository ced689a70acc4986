"""Issue 11's measures in one run, files vs PostgreSQL on the same generated desk: ``python -m benchmarks.postgres``.

- ``promisetrack add`` and ``list`` on the database ÷ the same commands on the data dir it was imported from (goal
  ≤ 1.5);
- the board: process start to first frame (its top row drawn, in a pseudo-terminal; ``board_probe``), database ÷
  data dir (goal ≤ 1);
- a change on one desk seen on another: from the writer's call to the reader's ``Desk.board()`` holding it, through
  NOTIFY → ``watch().wait()`` → re-read; median and p95 (goal ≤ 1 s);
- 4 boards (4 desks, each with its watch, in threads) and 4 writer processes adding promises for ``--duration``
  seconds (default 60): every acknowledged add is in the database once (0 lost, 0 duplicated) and every board ends
  on the database's rows.

The server is a throwaway ``pgserver`` (PostgreSQL 16 in a wheel) in a temporary folder, reached over its Unix
socket as its owner (pgserver trusts local logins, so no password exchange is timed: a staff login's scram-sha-256
adds one round trip of a few ms). The desk is ``benchmarks.generate``'s 1 year with 2,000 open, copied in with
``promisetrack db import``. Commands are timed as in ``python -m benchmarks`` (interleaved rounds, median).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import board_probe, generate
from benchmarks.__main__ import (
    ADD_ARGS,
    NOW,
    ROOT,
    byte_compile,
    clean_env,
    data_and_run_options,
    dataset,
    machine,
    ms,
    promisetrack_command,
    scratch_copy,
    time_commands,
)
from benchmarks.table import print_table, verdict

BOARDS = 4
WRITERS = 4


def start_server(folder: Path) -> tuple[object, str]:
    """A throwaway server and the owner's URL of a fresh database ``bench`` in it."""
    import pgserver
    import psycopg

    folder.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(folder / "data", cleanup_mode="delete")
    socket_dir = urlsplit(server.get_uri()).query.removeprefix("host=")
    with psycopg.connect(f"postgresql://postgres@/postgres?host={socket_dir}", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS bench WITH (FORCE)")
        conn.execute("CREATE DATABASE bench")
    return server, f"postgresql://postgres@/bench?host={socket_dir}"


def run(command: Sequence[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def latency(url: str, data: Path, samples: int) -> list[float]:
    """Seconds from a change's call on one desk to another desk's board holding it (NOTIFY → wait → re-read)."""
    from promisetrack.service import open_desk

    writer = open_desk(data, db=url, now=NOW, user="Ana")
    reader = open_desk(data, db=url, now=NOW, user="Ben")
    reader.board()
    watch = reader.watch()
    assert watch is not None
    times = []
    for n in range(samples):
        began = time.perf_counter()
        pid = writer.add(f"Latency {n}", "Ring back", "fri 5pm", owner="Ana", category="callback")[0].id
        while True:
            if not watch.wait(5.0):
                raise SystemExit(f"promise {pid} was not heard within 5 s")
            if any(row.promise.id == pid for row in reader.board()):
                break
        times.append(time.perf_counter() - began)
    watch.close()
    for desk in (writer, reader):
        desk.store.close()  # type: ignore[attr-defined]
    return times


class Board(threading.Thread):
    """A board's refresh loop without the screen: wait for a NOTIFY, read the board, keep its ids."""

    def __init__(self, url: str, data: Path) -> None:
        super().__init__(daemon=True)
        from promisetrack.service import open_desk

        self.desk = open_desk(data, db=url, now=NOW, user="Board")
        self.ids = {row.promise.id for row in self.desk.board()}
        self.reads = 0
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.last_read = time.monotonic()

    def run(self) -> None:
        watch = self.desk.watch()
        assert watch is not None
        try:
            while not self.stop.is_set():
                try:
                    if watch.wait(0.5):
                        self.ids = {row.promise.id for row in self.desk.board()}
                        self.reads += 1
                        self.last_read = time.monotonic()
                except Exception as error:
                    self.errors.append(repr(error))
        finally:
            watch.close()


def writer_main(url: str, data: Path, tag: str, seconds: float) -> int:
    """One writer process: add promises for ``seconds``; print the ids acknowledged, as JSON."""
    from promisetrack.errors import StoreLockedError
    from promisetrack.service import open_desk

    desk = open_desk(data, db=url, now=NOW, user=tag)
    acked: list[tuple[int, str]] = []
    locked = 0
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        name = f"{tag} customer {n}"
        try:
            acked.append((desk.add(name, "Ring back", "fri 5pm", owner="Ana", category="callback")[0].id, name))
        except StoreLockedError:  # queued past the lock timeout: not acknowledged, so not expected
            locked += 1
        n += 1
    print(json.dumps({"acked": acked, "locked": locked}))
    return 0


def stress(url: str, data: Path, seconds: float, env: dict[str, str]) -> list[tuple[str, str, str, str]]:
    """4 boards and 4 writers for ``seconds``: lost, duplicated, converged."""
    import psycopg

    boards = [Board(url, data) for _ in range(BOARDS)]
    for board in boards:
        board.start()
    writers = [subprocess.Popen([sys.executable, "-m", "benchmarks.postgres", "--writer", url, str(data), f"W{w}",
                                 str(seconds)], env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
               for w in range(WRITERS)]
    results = [json.loads(w.communicate()[0]) for w in writers]
    acked = [(pid, name) for result in results for pid, name in result["acked"]]
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT id, doc -> 'customer' ->> 'name' FROM promises").fetchall()
        open_ids = {pid for (pid,) in conn.execute("SELECT id FROM promises WHERE live AND status = 'open'")}
    stored = {pid: name for pid, name in rows}
    lost = [pid for pid, name in acked if stored.get(pid) != name]
    names = [name for name in stored.values() if name and name.startswith("W")]
    duplicated = len(names) - len(set(names)) + (len(acked) - len({pid for pid, _ in acked}))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(b.ids != open_ids for b in boards):
        time.sleep(0.1)
    converged = sum(b.ids == open_ids for b in boards)
    for board in boards:
        board.stop.set()
    for board in boards:
        board.join(5)
        board.desk.store.close()  # type: ignore[attr-defined]
    errors = [e for b in boards for e in b.errors]
    locked = sum(r["locked"] for r in results)
    return [
        (f"{WRITERS} writers × {seconds:g} s, {BOARDS} boards: adds acknowledged", f"{len(acked):,}", "",
         f"{len(acked) / seconds:.1f} a second; {locked} refused as locked (not acknowledged)"),
        ("… acknowledged but lost / duplicated", f"{len(lost)} / {duplicated}", "0 / 0",
         verdict(not lost and not duplicated)),
        ("… boards on the database's rows at the end", f"{converged} of {BOARDS}", f"{BOARDS} of {BOARDS}",
         verdict(converged == BOARDS) + f"; {sum(b.reads for b in boards)} board reads in all"
         + (f"; {len(errors)} errors: {errors[0][:80]}" if errors else "")),
    ]


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--writer":
        url, data, tag, seconds = sys.argv[2:6]
        return writer_main(url, Path(data), tag, float(seconds))
    parser = argparse.ArgumentParser(prog="python -m benchmarks.postgres", description=__doc__.split("\n\n")[0])
    data_and_run_options(parser)
    parser.add_argument("--samples", type=int, default=50, help="changes timed from one desk to another (default 50)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of 4 writers and 4 boards (default 60)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    print(f"promisetrack on PostgreSQL vs files, {datetime.now():%Y-%m-%d %H:%M}")
    print(f"machine: {machine()}")
    args.cache.mkdir(parents=True, exist_ok=True)
    source = dataset(args.cache, 1, args.open, args.seed)
    info = json.loads((source / generate.MARKER).read_text())
    byte_compile()
    env = clean_env()
    pt = promisetrack_command()
    rows: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="promisetrack-pgbench-") as scratch_dir:
        scratch = Path(scratch_dir)
        server, url = start_server(scratch / "pg")
        try:
            print(f"PostgreSQL: pgserver in {scratch / 'pg'}; desk: 1 year ({info['closed']:,} closed, "
                  f"{info['open']:,} open)")
            files = scratch_copy(source, scratch / "files")
            empty = scratch / "empty"  # the data dir of a PC on the database: no settings, nothing in it
            empty.mkdir()
            run([*pt, "--data", str(empty), "--db", url, "db", "init"], env)
            began = time.perf_counter()
            print(run([*pt, "--data", str(empty), "--db", url, "db", "import", "--data", str(files)], env).strip())
            rows.append(("db import of the 1-year desk", ms(time.perf_counter() - began), "", "every count equal"))
            commands = {
                "add files": ([*pt, "--data", str(files), "--now", NOW, *ADD_ARGS], env),
                "add pg": ([*pt, "--data", str(empty), "--db", url, "--now", NOW, *ADD_ARGS], env),
                "list files": ([*pt, "--data", str(files), "--now", NOW, "list"], env),
                "list pg": ([*pt, "--data", str(empty), "--db", url, "--now", NOW, "list"], env),
            }
            result = time_commands(commands, args.runs)
            for command in ("add", "list"):
                ratio = result[f"{command} pg"] / result[f"{command} files"]
                rows.append((f"promisetrack {command}: files / PostgreSQL",
                             f"{ms(result[f'{command} files'])} / {ms(result[f'{command} pg'])}", "", ""))
                rows.append((f"promisetrack {command}: PostgreSQL ÷ files", f"{ratio:.2f}", "≤ 1.5",
                             verdict(ratio <= 1.5)))

            from promisetrack.service import open_desk

            marker = open_desk(files, now=NOW, user="Ana").board()[0].promise.customer.name[:10]
            file_board = [*pt, "--data", str(files), "--now", NOW, "--user", "Ana"]
            pg_board = [*pt, "--data", str(empty), "--db", url, "--now", NOW, "--user", "Ana"]
            on_files, on_pg = [], []
            for _ in range(args.board_runs):  # interleaved, as in python -m benchmarks
                on_files.append(board_probe.first_frame(file_board, marker, env))
                on_pg.append(board_probe.first_frame(pg_board, marker, env))
            if all(t is not None for t, _, _ in on_files + on_pg):
                file_time = statistics.median(t for t, _, _ in on_files if t is not None)
                pg_time = statistics.median(t for t, _, _ in on_pg if t is not None)
                rows.append(("board: start to first frame, files / PostgreSQL", f"{ms(file_time)} / {ms(pg_time)}",
                             "", ""))
                rows.append(("board first frame: PostgreSQL ÷ files", f"{pg_time / file_time:.2f}", "≤ 1",
                             verdict(pg_time <= file_time)))
            else:
                note = next(n for t, _, n in on_files + on_pg if t is None)
                rows.append(("board first frame", "not measured", "", note[:120]))

            times = sorted(latency(url, empty, args.samples))
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            rows.append((f"a change on one desk → on another's board (NOTIFY, wait, Desk.board()), {len(times)} "
                         "changes: median / p95", f"{ms(statistics.median(times))} / {ms(p95)}", "≤ 1 s",
                         verdict(p95 <= 1.0)))
            rows += stress(url, empty, args.duration, env)
        finally:
            server.cleanup()  # type: ignore[attr-defined]
            shutil.rmtree(scratch / "pg", ignore_errors=True)

    print_table(rows, started)
    return 0



if __name__ == "__main__":
    sys.exit(main())
