"""Fixtures of the store contract suite: a real PostgreSQL server that the suite starts itself (``pgserver``: a
PostgreSQL 16 wheel), a fresh database per test, and a ``Backend`` — files or postgres — to open desks on.

If the server cannot start, every test that needs it errors, loudly: the PostgreSQL half is never skipped.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest

from promisetrack.clock import FixedClock
from promisetrack.service import Desk, open_desk
from promisetrack.store.postgres import PostgresStore

NOW = "2026-11-23 10:30"  # a Monday, as in tests/conftest.py
TEMPLATE_DB = "pt_template"
# Logins: the owner (the test harness, like a shop's DBA) over the socket without a password; every other login
# needs its scram-sha-256 password, as on a real server. pgserver trusts every connection until this is written.
HBA = "local all postgres trust\nlocal all all scram-sha-256\n"


@dataclass
class PgServer:
    """The suite's server: the socket dir, and URLs for the owner or a staff login."""

    socket_dir: str
    names: Iterator[int] = field(default_factory=itertools.count)

    def url(self, database: str, user: str = "postgres", password: str | None = None) -> str:
        secret = f":{quote(password, safe='')}" if password is not None else ""
        return f"postgresql://{user}{secret}@/{database}?host={self.socket_dir}"

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True)

    def new_database(self) -> str:
        name = f"pt_{os.getpid()}_{next(self.names)}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE_DB}')
        return name

    def drop(self, name: str) -> None:
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    import pgserver

    started = time.monotonic()
    # Its own folder, not pytest's tmp_path: pytest keeps its temp root 0700 (and fixes it back to that), while the
    # server runs as another system user when the suite runs as root, and lost its data dir mid-run.
    folder = Path(tempfile.mkdtemp(prefix="promisetrack-pg-"))
    server = pgserver.get_server(folder / "data", cleanup_mode="delete")
    socket_dir = urlsplit(server.get_uri()).query.removeprefix("host=")
    found = PgServer(socket_dir)
    with found.admin() as conn:
        hba = conn.execute("SHOW hba_file").fetchone()[0]
        Path(hba).write_text(HBA, encoding="utf-8")
        conn.execute("SELECT pg_reload_conf()")
        conn.execute("DROP ROLE IF EXISTS pt_probe")
        conn.execute("CREATE ROLE pt_probe LOGIN")
        conn.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    _until_passwords_are_asked(found)
    PostgresStore(found.url(TEMPLATE_DB)).init_schema()
    assert time.monotonic() - started < 60, "the test server took over a minute to start"
    yield found
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


def _until_passwords_are_asked(server: PgServer) -> None:
    """pg_reload_conf only signals the server: wait until a login without a password is refused."""
    deadline = time.monotonic() + 10
    while True:
        try:
            psycopg.connect(server.url("postgres", "pt_probe")).close()
        except psycopg.OperationalError:
            return
        assert time.monotonic() < deadline, "the server still trusts every login after reloading pg_hba.conf"
        time.sleep(0.05)


@pytest.fixture
def pg_db(pg: PgServer) -> Iterator[str]:
    """A fresh database with the schema, from the template (a file copy: milliseconds); its owner's URL."""
    name = pg.new_database()
    yield pg.url(name)
    pg.drop(name)


@dataclass
class Backend:
    """One store of the contract suite: where it is, desks on it, and the CLI's options that name it."""

    kind: str
    data_dir: Path
    db: str | None
    clock: FixedClock
    desks: list[Desk] = field(default_factory=list)

    def desk(self, user: str = "ana", clock: FixedClock | None = None) -> Desk:
        desk = open_desk(self.data_dir, db=self.db, user=user, clock=clock or self.clock)
        self.desks.append(desk)
        return desk

    def options(self) -> list[str]:
        return ["--data", str(self.data_dir), *(["--db", self.db] if self.db else [])]

    def cli(self, *args: str, user: str = "ana", now: str = NOW, timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PROMISETRACK_USER": user}
        env.pop("PROMISETRACK_DATA", None)
        env.pop("PROMISETRACK_DB", None)
        return subprocess.run([sys.executable, "-m", "promisetrack", *self.options(), "--now", now, *args],
                              capture_output=True, text=True, env=env, timeout=timeout)

    def close(self) -> None:
        for desk in self.desks:
            close = getattr(desk.store, "close", None)
            if close is not None:
                close()


@pytest.fixture(params=["files", "postgres"])
def backend(request: pytest.FixtureRequest, data_dir: Path, clock: FixedClock) -> Iterator[Backend]:
    db = request.getfixturevalue("pg_db") if request.param == "postgres" else None
    found = Backend(request.param, data_dir, db, clock)
    yield found
    found.close()


@pytest.fixture
def desk(backend: Backend) -> Desk:
    """Ana's desk on the back-end (on postgres, as the database's owner: events keep the desk's user)."""
    return backend.desk("ana")


def staff_url(pg: PgServer, db_url: str, name: str, *, shop: str = "main", supervisor: bool = False
              ) -> tuple[str, str]:
    """A staff login made with ``db add-staff``'s service call; returns its URL (with password) and login."""
    from promisetrack.store.postgres import login_name

    login = f"{login_name(name)}_{next(pg.names)}"  # logins are server-wide; test databases come and go
    password = f"pw-{login}"
    store = PostgresStore(db_url)
    try:
        store.add_staff(name, login, shop=shop, supervisor=supervisor, password=password)
    finally:
        store.close()
    database = urlsplit(db_url).path.lstrip("/")
    return pg.url(database, login, password), login
