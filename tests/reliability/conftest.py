"""Helpers of the reliability tests: the CLI through its real entry point, in a subprocess, on one data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_settings

NOW = "2026-11-23 10:30"  # a Monday, as in tests/conftest.py


def cli_env(user: str = "Ana") -> dict[str, str]:
    env = {**os.environ, "PROMISETRACK_USER": user}
    env.pop("PROMISETRACK_DATA", None)
    return env


def run_cli(data: Path, *args: str, user: str = "Ana", now: str = NOW) -> subprocess.CompletedProcess[str]:
    """``promisetrack --data DATA --now NOW ARGS`` as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "promisetrack", "--data", str(data), "--now", now, *args],
        capture_output=True, text=True, env=cli_env(user), timeout=120,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], status: int | tuple[int, ...] = (1, 2)) -> str:
    """A clear error: the expected exit status, one line on stderr naming promisetrack, no traceback."""
    statuses = (status,) if isinstance(status, int) else status
    assert result.returncode in statuses, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("promisetrack"), lines[0]
    return lines[0]


def snapshot_files(data: Path) -> dict[str, bytes]:
    """Every file under the data dir and its bytes (the lock file aside: taking the lock may create it)."""
    return {
        str(path.relative_to(data)): path.read_bytes()
        for path in sorted(data.rglob("*"))
        if path.is_file() and path.name != "promisetrack.lock"
    }


@pytest.fixture
def desk_dir(tmp_path: Path) -> Path:
    """A data dir with settings (Europe/London, Mon–Fri 09:00–17:00) and nothing else yet."""
    path = tmp_path / "desk"
    write_settings(path)
    return path
