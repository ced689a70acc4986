"""A calendar that knows the country: [holidays] country (and subdivision) brings the public holidays from the
holidays package, merged with the dates typed by hand and minus those removed; cached in the data dir, so no command
pays the package's import again; named in the reality check and on the board's header."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from promisetrack import public_holidays
from promisetrack.clock import FixedClock
from promisetrack.config import resolve_holidays, settings_from_toml
from promisetrack.errors import DataError
from promisetrack.service import open_desk
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.widgets.summary_bar import SummaryBar
from tests.conftest import TZ, write_settings

PT = '[holidays]\ndates = ["2026-12-24"]\ncountry = "PT"\nsubdivision = "11"\nremoved = ["2026-12-08"]\n'


def settings(text: str, cache: Path | None):
    return resolve_holidays(settings_from_toml(f'timezone = "Europe/Lisbon"\n{text}'), cache)


def test_portugal_with_lisbon_merged_with_typed_and_removed_days(tmp_path: Path) -> None:
    s = settings(PT, tmp_path)
    assert s.holiday_names[date(2026, 12, 25)] == "Christmas Day"
    assert date(2026, 6, 13) in s.holidays  # St Anthony: Lisbon's own (subdivision 11)
    assert date(2026, 12, 24) in s.holidays  # typed by hand
    assert date(2026, 12, 8) not in s.holidays  # a national holiday the shop opens on
    assert date(2026, 6, 13) not in settings(PT.replace('subdivision = "11"', 'subdivision = ""'), None).holidays


def test_a_region_has_its_own_holidays() -> None:
    bavaria = settings('[holidays]\ncountry = "DE"\nsubdivision = "BY"\n', None).holidays
    berlin = settings('[holidays]\ncountry = "DE"\nsubdivision = "BE"\n', None).holidays
    assert date(2027, 1, 6) in bavaria and date(2027, 1, 6) not in berlin  # Epiphany
    assert date(2027, 3, 8) in berlin and date(2027, 3, 8) not in bavaria  # International Women's Day
    assert date(2027, 10, 3) in bavaria and date(2027, 10, 3) in berlin  # German Unity Day


def test_an_unknown_country_or_region_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="country 'XX' is not known"):
        settings('[holidays]\ncountry = "XX"\n', None)
    with pytest.raises(DataError, match="subdivision 'ZZ' of PT is not known"):
        settings('[holidays]\ncountry = "PT"\nsubdivision = "ZZ"\n', None)


def test_the_cache_is_read_instead_of_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = settings(PT, tmp_path)
    assert (tmp_path / public_holidays.CACHE_NAME).exists()

    def no_package(country: str, subdivision: str) -> dict[date, str]:
        raise AssertionError("the holidays package was asked again")

    monkeypatch.setattr(public_holidays, "_from_package", no_package)
    assert settings(PT, tmp_path) == first


def test_add_and_list_never_import_the_package_once_cached(tmp_path: Path) -> None:
    data = tmp_path / "desk"
    write_settings(data, **{"[holidays]\ndates = []\n": PT})
    run = [sys.executable, "-m", "promisetrack", "--data", str(data), "--now", "2026-11-23T10:30", "--user", "ana"]
    assert subprocess.run([*run, "list"], capture_output=True, timeout=60).returncode == 0  # writes the cache
    probe = ("import runpy, sys\nsys.argv = ['promisetrack', *sys.argv[1:]]\ntry:\n"
             "    runpy.run_module('promisetrack', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('holidays' in sys.modules, file=sys.stderr)\n")
    for command in (["add", "--customer", "Bo", "--what", "Call back", "--due", "fri"], ["list"]):
        done = subprocess.run([sys.executable, "-c", probe, *run[3:], *command], capture_output=True, text=True,
                              timeout=60)
        assert done.stderr.strip().splitlines()[-1] == "False", done.stderr


def test_a_due_on_a_holiday_is_named_with_the_next_open_day(tmp_path: Path) -> None:
    data = tmp_path / "desk"
    write_settings(data, **{"[holidays]\ndates = []\n": PT})
    desk = open_desk(data, user="ana", clock=FixedClock(datetime(2026, 12, 21, 10, 0, tzinfo=TZ)))
    due = datetime(2026, 12, 25, 12, 0, tzinfo=TZ)
    assert desk.check_promise(due, "ana", "other")[0] == (
        "Fri 25 Dec is a holiday (Christmas Day): next open day Mon 28")
    _, warnings = desk.add("Bo", "Call back", "2026-12-25 12:00")
    assert "Fri 25 Dec is a holiday (Christmas Day): next open day Mon 28" in warnings


async def test_the_board_says_when_the_desk_is_closed(tmp_path: Path) -> None:
    data = tmp_path / "desk"
    write_settings(data, **{"[holidays]\ndates = []\n": PT})
    clock = FixedClock(datetime(2026, 12, 25, 11, 0, tzinfo=TZ))
    app = PromiseTrackApp(open_desk(data, user="ana", clock=clock))
    async with app.run_test(size=(120, 35)) as pilot:
        assert "closed today: Christmas Day" in str(app.board.query_one(SummaryBar).render())
        clock.set(datetime(2026, 12, 28, 8, 0, tzinfo=TZ))
        app.tick()
        await pilot.pause()
        assert "closed — opens today 09:00" in str(app.board.query_one(SummaryBar).render())
        clock.set(datetime(2026, 12, 28, 9, 30, tzinfo=TZ))
        app.tick()
        await pilot.pause()
        assert "closed" not in str(app.board.query_one(SummaryBar).render())
