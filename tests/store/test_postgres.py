"""What only the PostgreSQL store promises: the server signs events with the login, shops are kept apart by
row-level security, logins use scram-sha-256, the schema refuses a newer version, a desk copies in once, and a change
on one PC is heard on another within a second."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from promisetrack.errors import DataError
from promisetrack.service import open_desk
from promisetrack.store import FileStore
from promisetrack.store.postgres import SCHEMA_VERSION, PasswordNeeded, PostgresStore
from tests.conftest import MONDAY
from tests.store.conftest import NOW, PgServer, staff_url

REPO = Path(__file__).resolve().parents[2]


def promise(pid: int, by: str = "someone else", events: int = 1) -> dict:
    return {"id": pid, "what": "ring back", "status": "open", "customer": {"id": 1},
            "events": [{"kind": "created", "at": "2026-11-23T10:30:00+00:00", "by": by, "data": {}}] * events}


def cli(*args: str, db: str, data: Path, stdin: str | None = None, env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    full_env.pop("PROMISETRACK_DB", None)
    return subprocess.run([sys.executable, "-m", "promisetrack", "--data", str(data), "--db", db, "--now", NOW,
                           *args], capture_output=True, text=True, env=full_env, input=stdin, timeout=120)


def one_line_error(result: subprocess.CompletedProcess[str], status: int) -> str:
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("promisetrack"), result.stderr
    return lines[0]


# --- identity -----------------------------------------------------------------------------------------------


def test_by_is_the_logins_staff_name_whatever_the_client_writes(pg: PgServer, pg_db: str) -> None:
    url, _ = staff_url(pg, pg_db, "Ana Lopez")
    store = PostgresStore(url)
    with store.transaction() as tx:
        tx.put_promise(promise(tx.next_id("promise"), by="The Manager"))
        tx.add_kudos({"person": "Ben", "note": "great", "by": "The Manager", "at": "2026-11-23T10:30:00+00:00"})
    assert store.read().promises[1001]["events"][0]["by"] == "Ana Lopez"
    assert store.read().kudos[0]["by"] == "Ana Lopez"
    with store.transaction() as tx:  # appending: only the new event is signed
        doc = dict(tx.promises[1001])
        doc["events"] = [*doc["events"], {"kind": "note", "at": "2026-11-23T11:00:00+00:00", "by": "Ben"}]
        tx.put_promise(doc)
    assert [e["by"] for e in store.fetch(1001)["events"]] == ["Ana Lopez", "Ana Lopez"]
    with pytest.raises(DataError, match="append-only"), store.transaction() as tx:  # rewriting history: refused
        doc = dict(tx.promises[1001])
        doc["events"] = [{**doc["events"][0], "by": "Ben"}, *doc["events"][1:]]
        tx.put_promise(doc)
    assert store.fetch(1001)["events"][0]["by"] == "Ana Lopez"


def test_a_desk_on_a_staff_login_works_as_that_staff_member(pg: PgServer, pg_db: str, data_dir: Path) -> None:
    from promisetrack.clock import FixedClock

    url, _ = staff_url(pg, pg_db, "Ana Lopez")
    desk = open_desk(data_dir, db=url, user="somebody", clock=FixedClock(MONDAY))
    assert desk.user == "Ana Lopez"
    pid = desk.add("Maria", "ring back", "fri")[0].id
    desk.contact(pid, "called")
    assert [e.by for e in desk.get(pid).events] == ["Ana Lopez", "Ana Lopez"]
    assert desk.undo() == f"undid the contact of promise {pid}"
    assert desk.check() == []


# --- shops --------------------------------------------------------------------------------------------------


def test_staff_see_and_change_only_their_shops_promises(pg: PgServer, pg_db: str) -> None:
    north = PostgresStore(staff_url(pg, pg_db, "Ana", shop="north")[0])
    south = PostgresStore(staff_url(pg, pg_db, "Ben", shop="south")[0])
    boss = PostgresStore(staff_url(pg, pg_db, "Sam", shop="north", supervisor=True)[0])
    with north.transaction() as tx:
        tx.put_promise(promise(tx.next_id("promise")))
    with south.transaction() as tx:
        tx.put_promise(promise(tx.next_id("promise")))
    assert sorted(north.read().promises) == [1001]
    assert sorted(south.read().promises) == [1002]
    assert south.fetch(1001) is None
    assert sorted(boss.read().promises) == [1001, 1002]
    with pytest.raises(DataError, match="refused"), south.transaction() as tx:
        tx.put_promise(promise(1001, events=2))  # an id of the north shop: neither visible nor writable
    assert len(north.fetch(1001)["events"]) == 1
    with boss.transaction() as tx:  # a supervisor may act on any shop's promise
        doc = dict(tx.promises[1002])
        tx.put_promise({**doc, "events": [*doc["events"], {"kind": "note", "by": "x"}]})
    assert south.fetch(1002)["events"][-1]["by"] == "Sam"


# --- logins -------------------------------------------------------------------------------------------------


def test_logins_need_their_scram_password(pg: PgServer, pg_db: str, tmp_path: Path) -> None:
    url, login = staff_url(pg, pg_db, "Ana")
    database = urlsplit(pg_db).path.lstrip("/")
    with pg.admin() as conn:
        verifier = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (login,)).fetchone()[0]
    assert verifier.startswith("SCRAM-SHA-256$")
    assert PostgresStore(url).version() is None
    for wrong in (pg.url(database, login, "not-it"), pg.url(database, login)):
        with pytest.raises(PasswordNeeded, match="wants a password"):
            PostgresStore(wrong).read()
    error = one_line_error(cli("list", db=pg.url(database, login), data=tmp_path / "none"), 1)
    assert "password" in error and "not-it" not in error
    assert cli("list", db=pg.url(database, login), data=tmp_path / "none",
               env={"PGPASSWORD": f"pw-{login}"}).returncode == 0  # the usual libpq ways work


def test_db_add_staff_prints_a_one_time_password_that_logs_in(pg: PgServer, pg_db: str, tmp_path: Path) -> None:
    database = urlsplit(pg_db).path.lstrip("/")
    login = f"chloe_{next(pg.names)}"
    made = cli("db", "add-staff", "Chloe Ng", "--login", login, "--shop", "east", db=pg_db, data=tmp_path)
    assert made.returncode == 0, made.stderr
    password = made.stdout.split("one-time password: ")[1].split()[0]
    staff = pg.url(database, login, password)
    checked = cli("check", db=staff, data=tmp_path)
    assert checked.returncode == 0 and "healthy" in checked.stdout and password not in checked.stdout
    again = cli("db", "add-staff", "Chloe Ng", "--login", login, db=pg_db, data=tmp_path)
    assert "already on the staff" in one_line_error(again, 1)
    login2 = f"dan_{next(pg.names)}"
    piped = cli("db", "add-staff", "Dan", "--login", login2, "--supervisor", "--password-stdin",
                db=pg_db, data=tmp_path, stdin="s3cret-words\n")
    assert piped.returncode == 0 and "one-time" not in piped.stdout
    assert PostgresStore(pg.url(database, login2, "s3cret-words")).identity() == "Dan"


def test_check_names_a_login_that_is_not_staff(pg: PgServer, pg_db: str) -> None:
    database = urlsplit(pg_db).path.lstrip("/")
    login = f"stranger_{next(pg.names)}"
    with pg.admin() as conn:
        conn.execute(f"CREATE ROLE {login} LOGIN PASSWORD 'x' IN ROLE promisetrack_staff")
    problems = PostgresStore(pg.url(database, login, "x")).check()
    assert any("not on the staff" in p for p in problems)
    assert PostgresStore(pg_db).check() == []


# --- schema -------------------------------------------------------------------------------------------------


def test_a_newer_schema_is_refused_and_an_older_one_names_db_init(pg: PgServer, pg_db: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(DataError, match=rf"made by a newer promisetrack \(schema {SCHEMA_VERSION + 1};"):
        PostgresStore(pg_db).read()
    error = one_line_error(cli("list", db=pg_db, data=tmp_path), 1)
    assert "upgrade promisetrack" in error
    assert "newer" in one_line_error(cli("db", "init", db=pg_db, data=tmp_path), 1)
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = 0")
    with pytest.raises(DataError, match="run promisetrack db init to upgrade"):
        PostgresStore(pg_db).read()


def test_db_init_on_an_empty_database_and_again(pg: PgServer, tmp_path: Path) -> None:
    name = f"pt_empty_{next(pg.names)}"
    with pg.admin() as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        url = pg.url(name)
        assert "no promisetrack tables yet" in one_line_error(cli("list", db=url, data=tmp_path), 1)
        first = cli("db", "init", db=url, data=tmp_path)
        assert first.returncode == 0 and f"schema {SCHEMA_VERSION} (was 0)" in first.stdout
        assert "(already)" in cli("db", "init", db=url, data=tmp_path).stdout
        assert cli("list", db=url, data=tmp_path).stdout == "no promises\n"
    finally:
        pg.drop(name)


# --- import -------------------------------------------------------------------------------------------------


def test_db_import_of_a_generated_year_copies_every_record_once(pg_db: str, tmp_path: Path) -> None:
    source = tmp_path / "desk"
    generated = subprocess.run([sys.executable, "-m", "benchmarks.generate", "--data", str(source), "--years", "1",
                                "--open", "100"], capture_output=True, text=True, cwd=REPO, timeout=300,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    assert generated.returncode == 0, generated.stderr
    files = FileStore(source)
    live = files.read().promises
    archived = {d["id"] for d in files.read_archived()} - set(live)
    started = time.monotonic()
    first = cli("db", "import", "--data", str(source), db=pg_db, data=tmp_path / "local")
    took = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    print(f"imported {len(live) + len(archived)} promises in {took:.1f}s")
    store = PostgresStore(pg_db)
    assert sorted(store.read().promises) == sorted(live)
    assert {d["id"] for d in store.read_archived()} == archived
    assert len(store.read().customers) == len(files.read().customers)
    assert store.read().kudos == files.read().kudos
    assert store.read().history == files.read().history
    assert store.settings_text() == (source / "settings.toml").read_text(encoding="utf-8")
    assert f"live {len(live):>12} read" in " ".join(first.stdout.split()) or str(len(live)) in first.stdout
    version = store.version()
    second = cli("db", "import", "--data", str(source), db=pg_db, data=tmp_path / "local")
    assert second.returncode == 0, second.stderr
    assert all(line.split()[3] == "0" for line in second.stdout.splitlines()[1:]), second.stdout
    assert store.version() == version, "a second import changes nothing"
    # The copy is the same desk: the same open promises, in the same order, with the same risk.
    listed_files = subprocess.run([sys.executable, "-m", "promisetrack", "--data", str(source), "--now", NOW,
                                   "list", "--json"], capture_output=True, text=True, timeout=120,
                                  env={**os.environ, "PYTHONPATH": str(REPO)})
    listed_db = cli("list", "--json", db=pg_db, data=tmp_path / "local")
    assert listed_db.returncode == 0, listed_db.stderr
    # Equal as JSON: jsonb keeps an object's keys in its own order (an event's data may list them differently);
    # a database's records also say their shop (db import's --shop, main by default), a data dir's none.
    on_db = json.loads(listed_db.stdout)
    assert {doc.pop("shop") for doc in on_db} == {"main"}
    assert on_db == json.loads(listed_files.stdout)
    added = cli("add", "--customer", "Jo", "--what", "Ring back", "--due", "tomorrow", db=pg_db,
                data=tmp_path / "local")
    assert int(added.stdout) > max(max(live), max(archived)), "ids go on past the imported ones"
    numbers = [e.get("n") for doc in [*live.values(), *files.read_archived()] for e in doc.get("events", ())]
    new = store.read().promises[int(added.stdout)]["events"][0]["n"]
    assert new > max(n for n in numbers if n is not None), "change numbers go on past the imported ones"


# --- hearing changes ----------------------------------------------------------------------------------------


def test_two_pcs_hear_each_others_changes_within_a_second(pg_db: str) -> None:
    board, other = PostgresStore(pg_db), PostgresStore(pg_db)
    watch = board.watch()
    try:
        assert watch.wait(0.05) is False
        latencies = []
        for _ in range(5):
            before = time.monotonic()
            with other.transaction() as tx:
                tx.put_promise(promise(tx.next_id("promise")))
            assert watch.wait(1.0) is True
            latencies.append(time.monotonic() - before)
        assert max(latencies) < 1.0, latencies
        assert watch.wait(0.05) is False, "one commit is one wake-up"
        assert sorted(board.read().promises) == [1001, 1002, 1003, 1004, 1005]
    finally:
        watch.close()


def test_a_lost_watch_says_offline_then_reconnects_and_asks_for_a_full_reload(pg: PgServer, pg_db: str) -> None:
    watch = PostgresStore(pg_db).watch()
    try:
        with pg.admin() as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND query ILIKE 'LISTEN%%'", (urlsplit(pg_db).path.lstrip("/"),))
        with pytest.raises(DataError, match="offline — reconnecting"):
            watch.wait(2.0)
        assert watch.wait(0.1) is True  # reconnected: what was missed is unknown, so reload in full
        assert watch.wait(0.05) is False
    finally:
        watch.close()
