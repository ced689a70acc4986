"""The same data for Taskwarrior: every promise of a promisetrack data dir as a task, loaded with ``task import`` into
a TASKDATA of its own, with its own TASKRC (``~/.taskrc`` and ``~/.task`` are never read or touched). Its undo
and sync logs are emptied after the import, so Taskwarrior is timed at its fastest.

An open promise is a pending task, a done one completed, a cancelled one deleted; description = what was promised
and the customer, project = category, a tag for the owner, entry/due/end = made/due/closed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from promisetrack.store import FileStore

STATUS = {"open": "pending", "done": "completed", "cancelled": "deleted"}
NAMESPACE = uuid.UUID("6f1d0c1e-2d5b-4a59-9a3c-7c4be6a0f006")


def available() -> str | None:
    """Taskwarrior's version, or None if ``task`` is not installed."""
    if shutil.which("task") is None:
        return None
    try:
        done = subprocess.run(["task", "_version"], capture_output=True, text=True, timeout=30, env=isolated_env(None))
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def isolated_env(home: Path | None) -> dict[str, str]:
    """The environment for ``task``: its rc file and data dir inside ``home`` (a temp dir), never ~/.taskrc."""
    env = {k: v for k, v in os.environ.items() if k not in ("TASKRC", "TASKDATA")}
    if home is None:
        env["TASKRC"] = os.devnull
    else:
        env["TASKRC"] = str(home / "taskrc")
        env["TASKDATA"] = str(home / "data")
    return env


def _stamp(text: str | None) -> str | None:
    if not text:
        return None
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def task_of(doc: dict[str, Any]) -> dict[str, Any]:
    task = {
        "uuid": str(uuid.uuid5(NAMESPACE, str(doc["id"]))),
        "status": STATUS[doc["status"]],
        "description": f"{doc['what']} — {doc['customer']['name']}",
        "project": doc["category"],
        "tags": [doc["owner"]],
        "entry": _stamp(doc["created_at"]),
        "due": _stamp(doc["due"]),
    }
    end = _stamp(doc.get("closed_at"))
    if end:
        task["end"] = end
    return task


def promises_of(data_dir: Path) -> Iterable[dict[str, Any]]:
    store = FileStore(data_dir)
    return store.read_live_and_archived(store.archive_months())


def build(data_dir: Path, home: Path) -> int:
    """Write ``home/taskrc`` and import every promise of ``data_dir`` into ``home/data``; returns the task count."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "taskrc").write_text(
        f"data.location={home / 'data'}\nconfirmation=off\nnews.version=2.6.0\nhooks=off\n", encoding="utf-8"
    )
    tasks = [task_of(doc) for doc in promises_of(data_dir)]
    batch = home / "import.json"
    batch.write_text(json.dumps(tasks), encoding="utf-8")
    subprocess.run(
        ["task", "rc.verbose=nothing", "import", str(batch)],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=isolated_env(home), timeout=900,
    )
    batch.unlink()
    # The import also logs every task in undo.data and backlog.data (for `task undo` and sync). Left in, they make
    # every `task add` rewrite ~50 MB (about 0.9 s here); a desk would have them too, but we compare with
    # Taskwarrior at its fastest, as after `task sync` and a fresh undo log.
    for log in ("undo.data", "backlog.data"):
        (home / "data" / log).write_bytes(b"")
    return len(tasks)
