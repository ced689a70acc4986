"""Shared fixtures: a desk in Europe/London, open Mon–Fri 09:00–17:00, with a fixed clock at Mon 23 Nov 10:30."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from promisetrack.clock import FixedClock
from promisetrack.config import TEMPLATE, load_settings
from promisetrack.service import Desk, open_desk

TZ = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 11, 23, 10, 30, tzinfo=TZ)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A moment in the desk's zone in November 2026 (23 = Monday)."""
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def write_settings(data_dir: Path, **replacements: str) -> None:
    text = TEMPLATE.replace('timezone = ""', 'timezone = "Europe/London"')
    for old, new in replacements.items():
        text = text.replace(old, new)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    (data_dir / "settings.toml").write_text(text, encoding="utf-8")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "desk"
    write_settings(path)
    return path


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MONDAY)


@pytest.fixture
def desk(data_dir: Path, clock: FixedClock) -> Desk:
    return open_desk(data_dir, user="ana", clock=clock)


@pytest.fixture
def settings(data_dir: Path):
    return load_settings(data_dir)
