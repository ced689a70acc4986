"""PostgresStore: the store contract (contract.py) on one PostgreSQL server, for a desk of several PCs or a chain
of shops. psycopg 3 is an optional extra (``promisetrack[postgres]``): this module is imported only when a database
is named (``--db``, ``$PROMISETRACK_DB``, ``[store] url``), so the file store's commands never load it.

What the server, not the client, guarantees (see ``MIGRATIONS``):

- **Identity is the login.** Each staff member is a LOGIN role; a trigger signs every *new* event of a promise (and
  every kudos) with the staff name of ``session_user`` and refuses changes to earlier events, so ``by`` cannot be
  typed or forged. The database owner (``db init``, ``db import``) is not staff: its writes keep their ``by``, as
  history copied from a data dir must.
- **Shops.** Promises, customers, kudos and the history summary belong to a shop (the login's, by default);
  row-level security lets staff see and change only their shop's rows, a supervisor all of them. One sequence
  gives ids, so they stay unique across shops.
- **Writers queue** on one advisory lock, as file writers queue on the lock file, then re-read the live set and
  write only the rows they changed. A writer killed midway leaves nothing: the server rolls its transaction back.
- **Changes are heard.** A row trigger moves a one-row counter once per transaction (``version()``) and sends
  ``NOTIFY promisetrack, '<id>'``; ``watch()`` listens on a connection of its own.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb, set_json_dumps, set_json_loads

from promisetrack.errors import DataError, StoreLockedError
from promisetrack.store.contract import LazyRecords, Snapshot

STAFF_ROLE = "promisetrack_staff"  # the group role every staff login is in: it holds the table privileges
CHANNEL = "promisetrack"
WRITE_LOCK = 0x70726F6D  # the advisory lock writers queue on ("prom"): one desk, one queue, like the lock file
LOCK_TIMEOUT = "5s"
LOCKED_MESSAGE = "another desk is saving — try again"
DEFAULT_SHOP = "main"
_CUSTOMER_KEYS = frozenset({"phone_key", "email_key"})  # indexed columns; any other key is looked up in the doc
_LOGIN = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# One list of steps, applied in order by ``db init``; the schema version is how many have run. Never edit a step
# that has shipped: add one.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE shops (name text PRIMARY KEY);
    INSERT INTO shops VALUES ('main');
    CREATE TABLE staff (
        login name PRIMARY KEY,
        display_name text NOT NULL UNIQUE,
        shop text NOT NULL REFERENCES shops,
        supervisor boolean NOT NULL DEFAULT false
    );
    CREATE TABLE settings (id int PRIMARY KEY CHECK (id = 1), toml text NOT NULL);
    CREATE TABLE changes (id int PRIMARY KEY CHECK (id = 1), n bigint NOT NULL, xact xid8);
    INSERT INTO changes VALUES (1, 0, NULL);
    CREATE SEQUENCE promise_ids START 1001;
    CREATE SEQUENCE customer_ids START 1;

    -- Who is writing: the staff row of the login. SECURITY DEFINER so that the policies can read staff whatever
    -- the caller may see; session_user (not current_user, which is the owner in here) is the login.
    CREATE FUNCTION pt_staff_name() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = public, pg_temp
        AS $$ SELECT display_name FROM staff WHERE login = session_user $$;
    CREATE FUNCTION pt_shop() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = public, pg_temp
        AS $$ SELECT coalesce((SELECT shop FROM staff WHERE login = session_user),
                              nullif(current_setting('promisetrack.shop', true), ''), 'main') $$;
    CREATE FUNCTION pt_sees(row_shop text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = public, pg_temp
        AS $$ SELECT EXISTS (SELECT 1 FROM staff WHERE login = session_user AND (supervisor OR shop = row_shop)) $$;

    CREATE TABLE promises (
        id bigint PRIMARY KEY,
        shop text NOT NULL DEFAULT pt_shop() REFERENCES shops,
        live boolean NOT NULL DEFAULT true,   -- the live set: open, or closed within archive_after_days
        status text NOT NULL,
        closed_at timestamptz,
        customer_id bigint,
        doc jsonb NOT NULL
    );
    CREATE INDEX promises_live ON promises (id) WHERE live;
    CREATE INDEX promises_archived ON promises (closed_at) WHERE NOT live;
    CREATE INDEX promises_customer ON promises (customer_id);
    -- The owner (or a superuser): db init and db import, whose writes are not staff's.
    CREATE FUNCTION pt_is_owner() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = public, pg_temp
        AS $$ SELECT coalesce((SELECT r.rolsuper OR pg_has_role(session_user, c.relowner, 'MEMBER')
                               FROM pg_roles r, pg_class c
                               WHERE r.rolname = session_user AND c.oid = 'public.promises'::regclass), false) $$;
    CREATE TABLE customers (
        id bigint PRIMARY KEY,
        shop text NOT NULL DEFAULT pt_shop() REFERENCES shops,
        phone_key text,
        email_key text,
        doc jsonb NOT NULL
    );
    CREATE INDEX customers_phone ON customers (phone_key) WHERE phone_key <> '';
    CREATE INDEX customers_email ON customers (email_key) WHERE email_key <> '';
    CREATE TABLE kudos (
        seq bigserial PRIMARY KEY,
        shop text NOT NULL DEFAULT pt_shop() REFERENCES shops,
        import_key text UNIQUE,  -- a kudos copied by db import: its digest, so that a second import adds none
        doc jsonb NOT NULL
    );
    CREATE TABLE history (shop text PRIMARY KEY DEFAULT pt_shop() REFERENCES shops, doc jsonb NOT NULL);

    -- by is the login's: new events are signed here, earlier ones may not change (the audit trail).
    CREATE FUNCTION pt_sign_events() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
    DECLARE
        who text := pt_staff_name();
        before jsonb := CASE WHEN TG_OP = 'UPDATE' THEN coalesce(OLD.doc -> 'events', '[]') ELSE '[]' END;
        events jsonb := coalesce(NEW.doc -> 'events', '[]');
        kept int;
        signed jsonb;
    BEGIN
        IF who IS NULL THEN
            IF pt_is_owner() THEN RETURN NEW; END IF;
            RAISE EXCEPTION 'the login % is not on the staff of this desk', session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF jsonb_typeof(events) <> 'array' THEN
            RAISE EXCEPTION 'promise % has no list of events', NEW.id USING ERRCODE = 'check_violation';
        END IF;
        kept := jsonb_array_length(before);
        IF jsonb_array_length(events) < kept OR (
            SELECT coalesce(jsonb_agg(e ORDER BY i), '[]') FROM jsonb_array_elements(events) WITH ORDINALITY t(e, i)
            WHERE i <= kept) <> before THEN
            RAISE EXCEPTION 'events are append-only: this change to promise % alters an earlier event', NEW.id
                USING ERRCODE = 'check_violation';
        END IF;
        SELECT jsonb_agg(CASE WHEN i <= kept THEN e ELSE jsonb_set(e, '{by}', to_jsonb(who)) END ORDER BY i)
            INTO signed FROM jsonb_array_elements(events) WITH ORDINALITY t(e, i);
        NEW.doc := jsonb_set(NEW.doc, '{events}', coalesce(signed, '[]'));
        RETURN NEW;
    END $$;
    CREATE TRIGGER sign_events BEFORE INSERT OR UPDATE ON promises FOR EACH ROW EXECUTE FUNCTION pt_sign_events();

    CREATE FUNCTION pt_sign_kudos() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = public, pg_temp AS $$
    DECLARE
        who text := pt_staff_name();
    BEGIN
        IF who IS NULL THEN
            IF pt_is_owner() THEN RETURN NEW; END IF;
            RAISE EXCEPTION 'the login % is not on the staff of this desk', session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.doc := jsonb_set(NEW.doc, '{by}', to_jsonb(who));
        RETURN NEW;
    END $$;
    CREATE TRIGGER sign_kudos BEFORE INSERT ON kudos FOR EACH ROW EXECUTE FUNCTION pt_sign_kudos();

    -- version() and watch(): the counter moves once per transaction that changed a row (a statement that changed
    -- none, like a second db import, moves nothing); every promise changed is announced by id, anything else by
    -- its table's name (PostgreSQL folds equal payloads of one transaction into one).
    CREATE FUNCTION pt_bump() RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        UPDATE changes SET n = n + 1, xact = pg_current_xact_id()
        WHERE id = 1 AND xact IS DISTINCT FROM pg_current_xact_id() $$;
    CREATE FUNCTION pt_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pt_bump();
        PERFORM pg_notify('promisetrack', TG_TABLE_NAME);
        RETURN NULL;
    END $$;
    CREATE FUNCTION pt_promise_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pt_bump();
        PERFORM pg_notify('promisetrack', (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)::text);
        RETURN NULL;
    END $$;
    CREATE TRIGGER promise_changed AFTER INSERT OR UPDATE OR DELETE ON promises
        FOR EACH ROW EXECUTE FUNCTION pt_promise_changed();
    CREATE TRIGGER customers_changed AFTER INSERT OR UPDATE OR DELETE ON customers
        FOR EACH ROW EXECUTE FUNCTION pt_changed();
    CREATE TRIGGER kudos_changed AFTER INSERT OR UPDATE OR DELETE ON kudos
        FOR EACH ROW EXECUTE FUNCTION pt_changed();
    CREATE TRIGGER history_changed AFTER INSERT OR UPDATE OR DELETE ON history
        FOR EACH ROW EXECUTE FUNCTION pt_changed();
    CREATE TRIGGER settings_changed AFTER INSERT OR UPDATE OR DELETE ON settings
        FOR EACH ROW EXECUTE FUNCTION pt_changed();

    -- Shops: staff see and change their shop's rows; a supervisor all. The owner is not subject to them.
    ALTER TABLE promises ENABLE ROW LEVEL SECURITY;
    ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
    ALTER TABLE kudos ENABLE ROW LEVEL SECURITY;
    ALTER TABLE history ENABLE ROW LEVEL SECURITY;
    CREATE POLICY by_shop ON promises USING (pt_sees(shop)) WITH CHECK (pt_sees(shop));
    CREATE POLICY by_shop ON customers USING (pt_sees(shop)) WITH CHECK (pt_sees(shop));
    CREATE POLICY by_shop ON kudos USING (pt_sees(shop)) WITH CHECK (pt_sees(shop));
    CREATE POLICY by_shop ON history USING (pt_sees(shop)) WITH CHECK (pt_sees(shop));

    GRANT SELECT, INSERT, UPDATE, DELETE ON promises, customers TO promisetrack_staff;
    GRANT SELECT, INSERT ON kudos TO promisetrack_staff;
    GRANT SELECT, INSERT, UPDATE ON history TO promisetrack_staff;
    GRANT SELECT ON settings, staff, shops, changes, schema_version TO promisetrack_staff;
    GRANT USAGE ON SEQUENCE promise_ids, customer_ids, kudos_seq_seq TO promisetrack_staff;
    """,
    # 2: a customer typed without phone or email is matched by name (its name_key): keep that lookup indexed
    """
    CREATE INDEX customers_name ON customers ((doc ->> 'name_key')) WHERE doc ->> 'name_key' <> '';
    """,
    # 3: the store's own settings (the desk id behind the calendar's UIDs), one for every PC of the desk
    """
    CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
    GRANT SELECT, INSERT ON meta TO promisetrack_staff;
    """,
    # 4: the desk's change numbers (each event's "n"): the order of two changes in one second, across promises
    """
    CREATE SEQUENCE change_ids START 1;
    GRANT USAGE ON SEQUENCE change_ids TO promisetrack_staff;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class PasswordNeeded(DataError):
    """The server wants a password that was not given, or refused the one given (the board asks for it)."""


def public_location(url: str) -> str:
    """The URL for people: without its password (a ``key=value`` string loses its ``password=`` too)."""
    if "://" in url:
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.netloc.rpartition("@")[2]
            user = parts.username or ""
            return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))
        return url
    return re.sub(r"password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", "password=***", url)


def with_login(url: str, login: str, password: str) -> str:
    """``url`` with this login and password (the board's login screen): the rest of it — host, database, options —
    as it was."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo(url, user=login, password=password)


def url_login(url: str) -> str:
    """The login a URL names ("" when it names none: libpq then takes the computer's user name)."""
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url).get("user") or "")


def login_name(name: str) -> str:
    """The PostgreSQL login for a staff member's name: "Ana López" -> "ana_lopez"."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    login = re.sub(r"[^a-z0-9]+", "_", plain).strip("_")
    if login[:1].isdigit():
        login = f"staff_{login}"
    return login[:63]


class _Tx:
    """One transaction on the server: the live set re-read under the write lock; every put goes straight to the
    server (invisible to others until commit) and into ``promises``, so the view follows the transaction's changes."""

    def __init__(self, store: PostgresStore, conn: psycopg.Connection[Any]) -> None:
        self._store = store
        self._conn = conn
        self._valid = True
        rows = conn.execute("SELECT id, shop, doc FROM promises WHERE live").fetchall()
        self._promises: dict[int, dict[str, Any]] = {pid: _shop_doc(shop, doc) for pid, shop, doc in rows}
        self.promises: Mapping[int, dict[str, Any]] = _ReadOnly(self._promises)

    def next_id(self, kind: str) -> int:
        self._check_valid()
        sequence = {"promise": "promise_ids", "customer": "customer_ids", "change": "change_ids"}.get(kind)
        if sequence is None:
            raise ValueError(f"unknown id kind {kind!r}: expected 'change', 'customer' or 'promise'")
        row = self._conn.execute(sql.SQL("SELECT nextval({})").format(sql.Literal(sequence))).fetchone()
        assert row is not None
        return int(row[0])

    def put_promise(self, doc: dict[str, Any]) -> None:
        self._check_valid()
        pid = _doc_id(doc)
        params = _promise_params(doc)
        # UPDATE, else INSERT — not INSERT ... ON CONFLICT: the BEFORE INSERT trigger would sign every event of the
        # proposed row with this login before the conflict turned it into an update of someone else's events.
        updated = self._conn.execute(
            "UPDATE promises SET live = true, status = %(status)s, closed_at = %(closed_at)s,"
            " customer_id = %(customer_id)s, doc = %(doc)s WHERE id = %(id)s", params,
        ).rowcount
        if not updated:
            self._conn.execute(
                "INSERT INTO promises (id, status, closed_at, customer_id, doc)"
                " VALUES (%(id)s, %(status)s, %(closed_at)s, %(customer_id)s, %(doc)s)", params,
            )
        self._promises[pid] = dict(doc)

    def delete_promise(self, pid: int) -> None:
        self._check_valid()
        if pid not in self._promises:
            raise KeyError(f"promise {pid} is not in the live set")
        self._conn.execute("DELETE FROM promises WHERE id = %s", (pid,))
        del self._promises[pid]

    def put_customer(self, doc: dict[str, Any]) -> None:
        self._check_valid()
        params = {"id": _doc_id(doc), "phone": doc.get("phone_key"), "email": doc.get("email_key"), "doc": Jsonb(doc)}
        updated = self._conn.execute(
            "UPDATE customers SET phone_key = %(phone)s, email_key = %(email)s, doc = %(doc)s WHERE id = %(id)s",
            params,
        ).rowcount
        if not updated:
            self._conn.execute(
                "INSERT INTO customers (id, phone_key, email_key, doc) VALUES (%(id)s, %(phone)s, %(email)s, %(doc)s)",
                params,
            )

    def find_customers(self, key: str, value: str | int) -> list[dict[str, Any]]:
        self._check_valid()
        if key == "id":  # one customer by id (a merge, an edit)
            return [doc for (doc,) in self._conn.execute("SELECT doc FROM customers WHERE id = %s", (int(value),))]
        if key in _CUSTOMER_KEYS:
            query = sql.SQL("SELECT doc FROM customers WHERE {} = %s ORDER BY id").format(sql.Identifier(key))
            return [doc for (doc,) in self._conn.execute(query, (value,))]
        return [doc for (doc,) in self._conn.execute(
            "SELECT doc FROM customers WHERE doc ->> %s = %s ORDER BY id", (key, value))]

    def unfiled_customers(self) -> list[dict[str, Any]]:
        """None: every customer row has its lookup keys as columns from the first write."""
        self._check_valid()
        return []

    def add_kudos(self, doc: dict[str, Any]) -> None:
        self._check_valid()
        self._conn.execute("INSERT INTO kudos (doc) VALUES (%s)", (Jsonb(doc),))

    def archive(self, pid: int, closed_at: datetime) -> None:
        """The row stays where it is; it just leaves the live set (``closed_at`` is already a column)."""
        self._check_valid()
        if pid not in self._promises:
            raise KeyError(f"promise {pid} is not in the live set")
        self._conn.execute("UPDATE promises SET live = false WHERE id = %s", (pid,))
        del self._promises[pid]

    def history(self) -> dict[str, Any] | None:
        self._check_valid()
        row = self._conn.execute("SELECT doc FROM history WHERE shop = pt_shop()").fetchone()
        return row[0] if row else None

    def put_history(self, summary: dict[str, Any]) -> None:
        self._check_valid()
        self._conn.execute(
            "INSERT INTO history (shop, doc) VALUES (pt_shop(), %s)"
            " ON CONFLICT (shop) DO UPDATE SET doc = EXCLUDED.doc", (Jsonb(summary),),
        )

    def setdefault_meta(self, key: str, value: str) -> str:
        self._check_valid()
        self._conn.execute("INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING", (key, value))
        row = self._conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return str(row[0])

    def _check_valid(self) -> None:
        if not self._valid:
            raise RuntimeError("this transaction is over: use a StoreTx only inside transaction()")


class PostgresStore:
    """A desk's promises in one PostgreSQL database (``PromiseStore``). One connection per store, opened on first
    use and again after it was lost; ``watch()`` opens one of its own."""

    readable_after_fork = False  # a child would talk on the parent's connection

    def __init__(self, url: str, *, check_schema: bool = True) -> None:
        self.url = url
        self._check_schema = check_schema
        self._conn: psycopg.Connection[Any] | None = None
        self._lock = threading.RLock()  # one connection, used by the board's worker threads in turn
        self._local = threading.local()

    # --- connection --------------------------------------------------------------------------------------------

    @property
    def location(self) -> str:
        return public_location(self.url)

    def _connect(self) -> psycopg.Connection[Any]:
        return connect(self.url)

    @contextmanager
    def _session(self) -> Iterator[psycopg.Connection[Any]]:
        """The store's connection (made, and the schema checked, if need be). A lost connection is dropped, so the
        next call connects again, and becomes a DataError; any other server error is a DataError too."""
        with self._lock:
            if self._conn is None or self._conn.closed or self._conn.broken:
                conn = self._connect()
                if self._check_schema:
                    try:
                        _require_schema(conn, self.location)
                    except BaseException:
                        conn.close()
                        raise
                self._conn = conn
            try:
                yield self._conn
            except psycopg.OperationalError as error:
                if self._conn.broken or self._conn.closed:
                    self._conn = None
                    raise DataError(f"lost the connection to the database {self.location}: {_first_line(error)} "
                                    "— nothing was changed") from None
                if isinstance(error, psycopg.errors.LockNotAvailable):
                    raise StoreLockedError(LOCKED_MESSAGE) from None
                raise DataError(f"the database {self.location} refused: {_first_line(error)}") from None
            except psycopg.Error as error:
                raise DataError(f"the database {self.location} refused: {_first_line(error)} "
                                "— nothing was changed") from None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --- reading -----------------------------------------------------------------------------------------------

    def read(self) -> Snapshot:
        """The live set, its kudos and this shop's history summary from one snapshot of the database; customers
        are read on first use (the board and ``list`` never use them)."""
        with self._session() as conn:
            outside = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            with conn.transaction():
                if outside:  # inside this store's own transaction (a Desk reads while it changes), that one's view
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                promises = {pid: _shop_doc(shop, doc) for pid, shop, doc in conn.execute(
                    "SELECT id, shop, doc FROM promises WHERE live ORDER BY id")}
                kudos = [doc for (doc,) in conn.execute("SELECT doc FROM kudos ORDER BY seq")]
                row = conn.execute("SELECT doc FROM history WHERE shop = pt_shop()").fetchone()
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        return Snapshot(promises=promises, customers=LazyRecords(self.read_customers), kudos=kudos,
                        meta={**meta, "schema": SCHEMA_VERSION}, history=row[0] if row else None)

    def read_customers(self) -> dict[int, dict[str, Any]]:
        with self._session() as conn:
            return {cid: doc for cid, doc in conn.execute("SELECT id, doc FROM customers ORDER BY id")}

    def version(self) -> int | None:
        """The change counter: one row, moved once by every committed transaction that changed a row."""
        with self._session() as conn:
            row = conn.execute("SELECT n FROM changes WHERE id = 1").fetchone()
        return int(row[0]) if row and row[0] else None

    def fetch(self, pid: int) -> dict[str, Any] | None:
        with self._session() as conn:
            row = conn.execute("SELECT shop, doc FROM promises WHERE id = %s", (pid,)).fetchone()
        return _shop_doc(*row) if row else None

    def read_closed(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        with self._session() as conn:
            return [_shop_doc(shop, doc) for shop, doc in conn.execute(
                "SELECT shop, doc FROM promises WHERE live OR (closed_at >= %s AND closed_at < %s) ORDER BY id",
                (start, end))]

    def read_archived(self) -> list[dict[str, Any]]:
        with self._session() as conn:
            return [_shop_doc(shop, doc) for shop, doc in conn.execute(
                "SELECT shop, doc FROM promises WHERE NOT live ORDER BY id")]

    def customer_promises(self, customer_id: int) -> list[dict[str, Any]]:
        with self._session() as conn:
            return [_shop_doc(shop, doc) for shop, doc in conn.execute(
                "SELECT shop, doc FROM promises WHERE customer_id = %s ORDER BY id", (customer_id,))]

    def shops(self) -> list[str]:
        """The shops this login sees, by name: every shop for a supervisor or the owner, a staff member's own. A shop
        counts once it has staff (not only a supervisor) or promises: the "main" that every database starts with is
        no shop of a chain whose staff are all in named shops."""
        with self._session() as conn:
            return [name for (name,) in conn.execute(
                "SELECT s.name FROM shops s WHERE (pt_is_owner() OR pt_sees(s.name))"
                " AND (EXISTS (SELECT 1 FROM staff WHERE shop = s.name AND NOT supervisor)"
                "      OR EXISTS (SELECT 1 FROM promises WHERE shop = s.name)) ORDER BY s.name")]

    def settings_text(self) -> str | None:
        """The desk's settings.toml as kept in the database (so every PC works to one calendar); None if none."""
        with self._session() as conn:
            row = conn.execute("SELECT toml FROM settings WHERE id = 1").fetchone()
        return row[0] if row else None

    def identity(self) -> str | None:
        """The staff name the server signs this login's events with; None for a login that is not staff (the
        database's owner), whose events keep the desk's ``--user``."""
        with self._session() as conn:
            row = conn.execute("SELECT pt_staff_name()").fetchone()
        return row[0] if row else None

    # --- writing -----------------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """BEGIN, queue on the write lock (``lock_timeout`` turns a long wait into StoreLockedError), re-read the
        live set, yield; COMMIT when the block ends, ROLLBACK if it raises."""
        if getattr(self._local, "active", False):
            raise RuntimeError("transaction() does not nest")
        self._local.active = True
        try:
            with self._session() as conn, conn.transaction():
                conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(LOCK_TIMEOUT)))
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                tx = _Tx(self, conn)
                try:
                    yield tx
                finally:
                    tx._valid = False
        finally:
            self._local.active = False

    # --- health ------------------------------------------------------------------------------------------------

    def check(self) -> list[str]:
        """Connection, schema version, and whether this login is staff (and every staff row has its login)."""
        try:
            conn = self._connect()
        except DataError as error:
            return [error.message]
        try:
            try:
                _require_schema(conn, self.location)
            except DataError as error:
                return [error.message]
            problems = []
            who, owner = conn.execute("SELECT pt_staff_name(), pt_is_owner()").fetchone() or (None, False)
            if who is None and not owner:
                problems.append(f"the login {conn.info.user!r} is not on the staff of this desk: ask whoever runs the "
                                f"database to run promisetrack db add-staff for it")
            missing = [login for (login,) in conn.execute(
                "SELECT login FROM staff WHERE login NOT IN (SELECT rolname FROM pg_roles WHERE rolcanlogin)")]
            problems += [f"the staff login {login!r} is not a login role on the server any more" for login in missing]
            return problems
        except psycopg.Error as error:
            return [f"the database {self.location} refused: {_first_line(error)}"]
        finally:
            conn.close()

    def warnings(self) -> list[str]:
        return []

    def unreadable(self, reason: str) -> DataError:
        return DataError(f"the database {self.location} cannot be used: {reason}. Nothing was changed. "
                         "Restore it from your PostgreSQL backups (pg_dump), or ask whoever runs the server.")

    def watch(self) -> PgWatch:
        return PgWatch(self.url, self.location)

    # --- administration (db init, add-staff, import) ----------------------------------------------------------

    def init_schema(self) -> tuple[int, int]:
        """Create or upgrade the schema (and the staff group role); returns (schema before, schema after)."""
        conn = self._connect()
        try:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                exists = conn.execute("SELECT to_regclass('public.schema_version') IS NOT NULL").fetchone()
                if not (exists and exists[0]):
                    conn.execute("CREATE TABLE schema_version (version int NOT NULL)")
                    conn.execute("INSERT INTO schema_version VALUES (0)")
                before = _schema_version(conn)
                if before > SCHEMA_VERSION:
                    raise DataError(_newer(before))
                role = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (STAFF_ROLE,)).fetchone()
                if role is None:
                    conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(STAFF_ROLE)))
                for step in MIGRATIONS[before:]:
                    conn.execute(step)  # type: ignore[arg-type]  # our own literal SQL, no parameters
                conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION,))
            return before, SCHEMA_VERSION
        except psycopg.Error as error:
            raise DataError(f"could not set up the database {self.location}: {_first_line(error)}") from None
        finally:
            conn.close()

    def add_staff(self, name: str, login: str, *, shop: str, supervisor: bool, password: str | None
                  ) -> tuple[str, str | None]:
        """A LOGIN role (scram-sha-256) in the staff group and its staff row. Returns the login and the one-time
        password made up when none was given (else None)."""
        if not _LOGIN.fullmatch(login):
            raise ValueError(f"a login is lower-case letters, digits and _, not {login!r}")
        made = None
        if password is None:
            password = made = secrets.token_urlsafe(12)
        with self._session() as conn, conn.transaction():
            if conn.execute("SELECT 1 FROM staff WHERE login = %s OR display_name = %s", (login, name)).fetchone():
                raise DataError(f"{name} ({login}) is already on the staff of this desk")
            # The password goes to the server as a SCRAM verifier made here, never in clear text (no server log
            # or pg_stat_statements ever holds it).
            verifier = conn.pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256").decode()
            role = sql.Identifier(login)
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (login,)).fetchone():
                conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(verifier)))
            else:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(verifier)))
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(STAFF_ROLE), role))
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(conn.info.dbname), role))
            conn.execute("INSERT INTO shops VALUES (%s) ON CONFLICT DO NOTHING", (shop,))
            conn.execute("INSERT INTO staff (login, display_name, shop, supervisor) VALUES (%s, %s, %s, %s)",
                         (login, name, shop, supervisor))
        return login, made

    def import_desk(self, *, live: list[dict[str, Any]], archived: list[dict[str, Any]],
                    customers: list[dict[str, Any]], kudos: list[dict[str, Any]], history: dict[str, Any] | None,
                    settings: str | None, shop: str, next_ids: Mapping[str, int]) -> dict[str, tuple[int, int]]:
        """Copy a data dir's records in one transaction, each by id once (a second run adds nothing); returns per
        kind (added now, in the database after) — the caller compares the latter with what it read."""
        with self._session() as conn, conn.transaction():
            owner = conn.execute("SELECT pt_is_owner()").fetchone()
            if not (owner and owner[0]):
                raise DataError("db import keeps the events' names as they are, so it needs the database owner's "
                                f"login, not {conn.info.user!r}")
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            conn.execute("INSERT INTO shops VALUES (%s) ON CONFLICT DO NOTHING", (shop,))
            added: dict[str, int] = {}
            with conn.cursor() as cur:
                for kind, docs, is_live in (("live", live, True), ("archived", archived, False)):
                    cur.executemany(
                        "INSERT INTO promises (id, shop, live, status, closed_at, customer_id, doc) VALUES (%(id)s,"
                        " %(shop)s, %(live)s, %(status)s, %(closed_at)s, %(customer_id)s, %(doc)s)"
                        " ON CONFLICT (id) DO NOTHING",
                        [{**_promise_params(doc), "shop": shop, "live": is_live} for doc in docs],
                    )
                    added[kind] = max(cur.rowcount, 0)
                cur.executemany(
                    "INSERT INTO customers (id, shop, phone_key, email_key, doc) VALUES (%s, %s, %s, %s, %s)"
                    " ON CONFLICT (id) DO NOTHING",
                    [(_doc_id(d), shop, d.get("phone_key"), d.get("email_key"), Jsonb(d)) for d in customers],
                )
                added["customers"] = max(cur.rowcount, 0)
                cur.executemany("INSERT INTO kudos (shop, import_key, doc) VALUES (%s, %s, %s)"
                                " ON CONFLICT DO NOTHING", [(shop, _import_key(shop, d), Jsonb(d)) for d in kudos])
                added["kudos"] = max(cur.rowcount, 0)
            if history is not None:
                conn.execute("INSERT INTO history (shop, doc) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                             (shop, Jsonb(history)))
            if settings is not None:
                conn.execute("INSERT INTO settings VALUES (1, %s) ON CONFLICT DO NOTHING", (settings,))
            for kind, sequence, table in (("promise", "promise_ids", "promises"),
                                          ("customer", "customer_ids", "customers")):
                # Past every id in use and every id the data dir ever handed out: an id is never given twice.
                conn.execute(sql.SQL(
                    "SELECT setval({seq}, greatest((SELECT max(id) FROM {table}), %s - 1,"
                    " (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {ident})), true)"
                    " WHERE greatest((SELECT max(id) FROM {table}), %s - 1) >="
                    " (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {ident})"
                ).format(seq=sql.Literal(sequence), table=sql.Identifier(table), ident=sql.Identifier(sequence)),
                    (next_ids.get(kind, 1), next_ids.get(kind, 1)))
            # The change numbers go on past the data dir's, so that undo orders new changes after imported ones.
            conn.execute(
                "SELECT setval('change_ids', %s - 1, true) WHERE %s - 1 >="
                " greatest(1, (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM change_ids))",
                (next_ids.get("change", 1), next_ids.get("change", 1)))
            counts = _import_counts(conn, live, archived, customers, kudos, shop)
        return {kind: (added[kind], counts[kind]) for kind in added}


def _import_counts(conn: psycopg.Connection[Any], live: list[dict[str, Any]], archived: list[dict[str, Any]],
                   customers: list[dict[str, Any]], kudos: list[dict[str, Any]], shop: str) -> dict[str, int]:
    """How many of the records read are in the database now, each where it belongs."""
    def count(query: str, params: tuple[Any, ...]) -> int:
        row = conn.execute(query, params).fetchone()  # type: ignore[arg-type]
        return int(row[0]) if row else 0

    return {
        "live": count("SELECT count(*) FROM promises WHERE live AND id = ANY(%s)", ([d["id"] for d in live],)),
        "archived": count("SELECT count(*) FROM promises WHERE NOT live AND id = ANY(%s)",
                          ([d["id"] for d in archived],)),
        "customers": count("SELECT count(*) FROM customers WHERE id = ANY(%s)", ([d["id"] for d in customers],)),
        "kudos": count("SELECT count(*) FROM kudos WHERE import_key = ANY(%s)",
                       ([_import_key(shop, d) for d in kudos],)),
    }


class PgWatch:
    """LISTEN on a connection of its own (autocommit: a NOTIFY arrives only outside a transaction)."""

    def __init__(self, url: str, location: str) -> None:
        self._url = url
        self._location = location
        self._conn: psycopg.Connection[Any] | None = self._listen()

    def _listen(self) -> psycopg.Connection[Any]:
        conn = connect(self._url)
        try:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        except psycopg.Error as error:
            conn.close()
            raise DataError(f"offline — reconnecting ({_first_line(error)})") from None
        return conn

    def wait(self, timeout: float) -> bool:
        if self._conn is None or self._conn.closed:
            self._conn = self._listen()
            return True  # what happened while away was not heard: read everything again
        try:
            heard = False
            for _ in self._conn.notifies(timeout=timeout, stop_after=1):
                heard = True
            if heard:  # take the rest of a burst now, so that one commit is one refresh
                for _ in self._conn.notifies(timeout=0.01):
                    pass
            return heard
        except psycopg.OperationalError as error:
            self._conn.close()
            self._conn = None
            raise DataError(f"offline — reconnecting ({_first_line(error)})") from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class _ReadOnly(Mapping):
    """A read-only view of a dict (the transaction's live set)."""

    def __init__(self, data: dict[int, dict[str, Any]]) -> None:
        self._data = data

    def __getitem__(self, key: int) -> dict[str, Any]:
        return self._data[key]

    def __iter__(self) -> Iterator[int]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def items(self):  # type: ignore[no-untyped-def, override]  # the dict's own: no lookup per key
        return self._data.items()

    def values(self):  # type: ignore[no-untyped-def, override]
        return self._data.values()


def connect(url: str) -> psycopg.Connection[Any]:
    """An autocommit connection (transactions are explicit blocks) with orjson for jsonb; a failure is a DataError,
    a password wanted or refused a ``PasswordNeeded``."""
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="promisetrack")
    except psycopg.Error as error:
        text = str(error)
        location = public_location(url)
        if "password" in text and ("authentication failed" in text or "no password supplied" in text):
            raise PasswordNeeded(f"the database {location} wants a password for this login, or refused the one "
                                 "given: put it in ~/.pgpass or $PGPASSWORD") from None
        raise DataError(f"could not connect to the database {location}: {_first_line(error)}") from None
    set_json_loads(orjson.loads, conn)
    set_json_dumps(lambda value: orjson.dumps(value).decode(), conn)
    return conn


def _schema_version(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _newer(version: int) -> str:
    return (f"this database was made by a newer promisetrack (schema {version}; this version knows schema "
            f"{SCHEMA_VERSION} at most); upgrade promisetrack")


def _require_schema(conn: psycopg.Connection[Any], location: str) -> None:
    try:
        version = _schema_version(conn)
    except psycopg.errors.UndefinedTable:
        raise DataError(f"the database {location} has no promisetrack tables yet: run "
                        "promisetrack --db URL db init") from None
    except psycopg.errors.InsufficientPrivilege:
        raise DataError(f"the login {conn.info.user!r} may not read the database {location}: ask whoever runs it "
                        "to run promisetrack db add-staff for it") from None
    if version > SCHEMA_VERSION:
        raise DataError(_newer(version))
    if version < SCHEMA_VERSION:
        raise DataError(f"the database {location} has schema {version}, this promisetrack needs {SCHEMA_VERSION}: "
                        "run promisetrack db init to upgrade")


def _promise_params(doc: Mapping[str, Any]) -> dict[str, Any]:
    # The shop is the row's column, set by the server (the login's shop) and never moved by a client: a "shop" key
    # read back with the record is not stored in it.
    stored = {key: value for key, value in doc.items() if key != "shop"} if "shop" in doc else doc
    return {
        "id": _doc_id(doc),
        "status": str(doc.get("status", "")),
        "closed_at": doc.get("closed_at"),
        "customer_id": (doc.get("customer") or {}).get("id"),
        "doc": Jsonb(stored),
    }


def _shop_doc(shop: str, doc: dict[str, Any]) -> dict[str, Any]:
    """A promise record as the store returns it: the stored doc (a fresh dict per read) with its row's shop."""
    doc["shop"] = shop
    return doc


def _import_key(shop: str, doc: Mapping[str, Any]) -> str:
    import hashlib

    return hashlib.sha256(shop.encode() + b"\0" + orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _doc_id(doc: Mapping[str, Any]) -> int:
    doc_id = doc.get("id")
    if type(doc_id) is not int or doc_id < 1:
        raise ValueError(f"a stored record needs a positive int 'id', not {doc_id!r}")
    return doc_id


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    text = text.removeprefix("connection failed: ").strip()
    return text.splitlines()[0] if text else type(error).__name__
