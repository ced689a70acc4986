"""Where the promises live: the store contract (``contract.py``) and its back-ends — ``files.FileStore`` (TinyDB in
a data dir, the default) and ``postgres.PostgresStore`` (one PostgreSQL server for several PCs, psycopg imported
only when a database is named)."""

from __future__ import annotations

from promisetrack.store.contract import PromiseStore, Snapshot, StoreTx, Watch
from promisetrack.store.files import SCHEMA_VERSION, FileStore, network_filesystem

__all__ = ["SCHEMA_VERSION", "FileStore", "PromiseStore", "Snapshot", "StoreTx", "Watch", "network_filesystem"]
