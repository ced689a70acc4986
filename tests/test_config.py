"""Settings: the template on first run, its values, clear errors for bad files; data-dir resolution."""

from __future__ import annotations

import stat
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from promisetrack.calendar import BusinessCalendar
from promisetrack.clock import FixedClock, OffsetClock, shift
from promisetrack.config import TEMPLATE, Settings, load_settings, resolve_data_dir, settings_from_toml
from promisetrack.dates import parse_due
from promisetrack.errors import DataError, PromiseError
from tests.conftest import MONDAY


def test_first_run_writes_the_commented_template(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "new")
    path = tmp_path / "new" / "settings.toml"
    assert path.read_text() == TEMPLATE and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert settings == Settings()
    assert settings.hours[4] == (time(9), time(17)) and 5 not in settings.hours


def test_values_are_read() -> None:
    text = TEMPLATE.replace('timezone = ""', 'timezone = "America/New_York"').replace(
        "dates = []", 'dates = ["2026-11-26"]')
    text = text.replace('fri = "09:00-17:00"', 'fri = "09:00-17:00"\nsat = "10:00-14:00"')
    s = settings_from_toml(text)
    assert s.timezone == "America/New_York" and str(s.tz) == "America/New_York"
    assert s.holidays == frozenset({date(2026, 11, 26)}) and s.hours[5] == (time(10), time(14))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timezone = [", "not valid TOML"),
        ('timezone = "Mars/Base"', "unknown timezone"),
        ('[hours]\nmon = "9 to 5"', "open hours must look like"),
        ('[hours]\nmon = "17:00-09:00"', "closing time must be after"),
        ('[hours]\nfunday = "09:00-17:00"', "unknown day"),
        ('[holidays]\ndates = ["next xmas"]', "not a YYYY-MM-DD"),
        ('[risk]\ndaily_capacity = "lots"', "not a number"),
    ],
)
def test_bad_settings_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        settings_from_toml(text, "settings.toml")


def test_data_dir_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PROMISETRACK_DATA", str(tmp_path / "env"))
    assert resolve_data_dir(str(tmp_path / "cli")) == tmp_path / "cli"
    assert resolve_data_dir(None) == tmp_path / "env"
    monkeypatch.delenv("PROMISETRACK_DATA")
    assert resolve_data_dir(None).name == "promisetrack"


def test_clocks_advance_in_elapsed_time() -> None:
    clock = FixedClock(MONDAY)
    from datetime import timedelta

    assert clock.advance(timedelta(hours=2)) == MONDAY + timedelta(hours=2)

    class Base:
        def now(self):
            return MONDAY

    running = OffsetClock(MONDAY.replace(hour=8), Base())
    assert running.now() == MONDAY.replace(hour=8)
    running.advance(timedelta(hours=1))
    assert running.now() == MONDAY.replace(hour=9)
    # across the autumn change in London: 24 elapsed hours from 00:30 BST is 23:30 GMT the same day
    from datetime import datetime
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    before = datetime(2026, 10, 25, 0, 30, tzinfo=london)
    assert shift(before, timedelta(hours=24)) == datetime(2026, 10, 25, 23, 30, tzinfo=london)


def test_a_summer_start_on_a_winter_clock_is_exact() -> None:
    """``--now 2027-07-01T10:00`` run in January: the offset is elapsed time (through UTC), not wall time."""
    lisbon = ZoneInfo("Europe/Lisbon")
    base = FixedClock(datetime(2027, 1, 15, 9, 0, tzinfo=lisbon))  # WET, +00:00
    start = datetime(2027, 7, 1, 10, 0, tzinfo=lisbon)  # WEST, +01:00
    running = OffsetClock(start, base)
    assert running.now() == start and running.now().utcoffset() == timedelta(hours=1)
    base.advance(timedelta(minutes=90))
    assert running.now() == datetime(2027, 7, 1, 11, 30, tzinfo=lisbon)
    running.advance(timedelta(hours=2))
    assert running.now() == datetime(2027, 7, 1, 13, 30, tzinfo=lisbon)
    cal = BusinessCalendar(lisbon, {day: (time(9), time(17)) for day in range(5)})
    assert parse_due("+1bd", running.now(), cal) == datetime(2027, 7, 2, 13, 30, tzinfo=lisbon)


def test_a_now_clock_runs_on_in_whole_seconds_of_elapsed_time() -> None:
    """A ``--now`` command under a second makes every change exactly at ``--now``: a script of such commands keeps
    the order of its changes (undo undoes the last one), however fast each process happened to start."""
    base = FixedClock(datetime(2027, 1, 15, 9, 0, 0, 250_000, tzinfo=UTC))
    start = datetime(2026, 11, 23, 10, 30, tzinfo=UTC)
    running = OffsetClock(start, base)
    base.advance(timedelta(milliseconds=740))
    assert running.now() == start
    base.advance(timedelta(milliseconds=800))
    assert running.now() == start + timedelta(seconds=1)


@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_an_empty_data_dir_is_refused_not_the_default(value: str, monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("PROMISETRACK_DATA", str(tmp_path / "env"))
    with pytest.raises(PromiseError) as caught:
        resolve_data_dir(value)
    assert caught.value.message == (
        "--data is empty: give a folder, or leave --data out to use $PROMISETRACK_DATA or the default data dir"
    )
