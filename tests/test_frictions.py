"""Small frictions of a first week (issue 12): the .ics feed (read back with icalendar), settings.toml's warnings
and rules, the theme kept, the demo's data dir removed, undo's preview and the "opens 09:00" wording."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from promisetrack import cli
from promisetrack.clock import FixedClock
from promisetrack.config import TEMPLATE, load_settings, settings_from_toml, with_board_theme
from promisetrack.errors import DataError, PromiseError
from promisetrack.export import follow_calendar, write_open_calendar
from promisetrack.service import Desk, FirstRead, open_desk
from tests.conftest import TZ, at


def events(path: Path) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


# ---------------------------------------------------------------- the .ics feed


def test_ics_says_the_risk_in_words_with_uids_unique_per_desk(desk: Desk, clock: FixedClock, tmp_path: Path) -> None:
    desk.add("Ann", "Ring back", "today 12:30")  # 10:30 now: 2 business hours, at risk
    clock.advance(timedelta(minutes=6))
    path, count = write_open_calendar(desk, tmp_path / "open.ics")
    (event,) = events(path)
    assert count == 1 and "Risk: at risk: only 1.9 business hours left" in str(event["DESCRIPTION"])
    assert str(event["UID"]) == f"promise-1001-{desk.desk_id()}@promisetrack"
    other = open_desk(tmp_path / "other", user="ana", clock=clock)
    other.add("Bo", "Ring back", "fri")
    (theirs,) = events(write_open_calendar(other, tmp_path / "theirs.ics")[0])
    assert str(theirs["UID"]).startswith("promise-1001-") and theirs["UID"] != event["UID"]


def test_ics_follow_rewrites_the_file_when_a_promise_changes(desk: Desk, clock: FixedClock, tmp_path: Path) -> None:
    target = tmp_path / "feed.ics"
    desk.add("Ann", "Ring back", "fri")
    written: list[int] = []
    steps = [lambda: None, lambda: desk.add("Bo", "Part", "fri"), lambda: None,
             lambda: desk.done(1001), lambda: None]

    def wait(seconds: float) -> None:  # a second passes on the fixed clock, and someone may save
        assert seconds == 1.0
        if not steps:
            raise KeyboardInterrupt
        clock.advance(timedelta(seconds=1))
        steps.pop(0)()

    with pytest.raises(KeyboardInterrupt):
        follow_calendar(desk, target, on_write=lambda path, count: written.append(count), wait=wait)
    assert written == [1, 2, 1]  # once at the start, then once per change, never for an idle second
    assert [str(e["SUMMARY"]) for e in events(target)] == ["1002 Bo: Part"]
    assert not list(tmp_path.glob(".feed.ics.*"))  # written through a temp file, renamed into place


def test_ics_command_writes_the_file(desk: Desk, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    desk.add("Ann", "Ring back", "fri")
    out = tmp_path / "cal" / "open.ics"
    out.parent.mkdir()
    assert cli.main(["--data", str(desk.store.data_dir), "--now", "2026-11-23 10:30", "ics", "--out", str(out)]) == 0
    assert capsys.readouterr().out == f"{out}: 1 open promise\n"
    assert len(events(out)) == 1


# ---------------------------------------------------------------- settings.toml


def test_an_unknown_key_is_a_warning_naming_the_closest_known_one() -> None:
    settings = settings_from_toml('timezon = "Europe/London"\n[risk]\nmin_hour = 3\n[bord]\ntheme = "x"\n')
    assert settings.warnings == (
        "settings.toml: unknown key 'timezon' is ignored (did you mean 'timezone'?)",
        "settings.toml: unknown key 'bord' is ignored (did you mean 'board'?)",
        "settings.toml: unknown key [risk] 'min_hour' is ignored (did you mean 'min_hours'?)",
    )
    assert settings_from_toml(TEMPLATE).warnings == ()


def test_check_and_stderr_show_the_settings_warnings(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (data_dir / "settings.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[alert]\nremind_every = 10\n')
    base = ["--data", str(data_dir), "--now", "2026-11-23 10:30"]
    assert cli.main([*base, "add", "--customer", "Ann", "--what", "Ring back", "--due", "fri"]) == 0
    assert capsys.readouterr().err.count("unknown key 'alert'") == 1  # on stderr, once
    assert cli.main([*base, "check"]) == 0
    out, err = capsys.readouterr()
    assert "warning: settings.toml: unknown key 'alert' is ignored (did you mean 'alerts'?)" in out
    assert err == ""


@pytest.mark.parametrize("day", ["monkey", "mo", "tues"])
def test_day_names_must_be_whole(day: str) -> None:
    with pytest.raises(DataError, match=f"unknown day '{day}'"):
        settings_from_toml(f'[hours]\n{day} = "09:00-17:00"\n')


def test_whole_day_names_and_a_24_hour_day() -> None:
    settings = settings_from_toml('[hours]\nMonday = "00:00-24:00"\nsat = "10:00-14:00"\n')
    assert set(settings.hours) == {0, 5}
    from promisetrack.calendar import BusinessCalendar

    cal = BusinessCalendar.from_settings(settings)
    monday = datetime(2026, 11, 23, tzinfo=TZ)
    assert cal.business_seconds(monday, monday + timedelta(days=1)) == 24 * 3600
    assert cal.is_open_at(monday + timedelta(hours=23, minutes=59))


def test_a_default_category_not_among_the_categories_is_an_error() -> None:
    with pytest.raises(DataError, match="default_category 'misc' is not one of the categories"):
        settings_from_toml('categories = ["repair"]\ndefault_category = "misc"\n')


def test_the_theme_is_kept_with_the_users_comments(data_dir: Path, clock: FixedClock) -> None:
    path = data_dir / "settings.toml"
    path.write_text(path.read_text(encoding="utf-8") + "# my own note\n", encoding="utf-8")
    desk = open_desk(data_dir, user="ana", clock=clock)
    desk.save_theme("nord")
    text = path.read_text(encoding="utf-8")
    assert '[board]\ntheme = "nord"' in text and "# my own note" in text and text.count("[board]") == 1
    assert load_settings(data_dir).theme == "nord"
    desk.save_theme("gruvbox")
    assert load_settings(data_dir).theme == "gruvbox" and 'theme = "nord"' not in path.read_text(encoding="utf-8")
    assert with_board_theme("x = 1\n", "nord") .endswith('[board]\n# The board\'s theme, as last chosen in its '
                                                        'command palette.\ntheme = "nord"\n')


# ---------------------------------------------------------------- the demo, undo, the words


def test_the_demo_data_dir_is_removed_when_the_board_closes(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Path] = []

    def board(desk: Desk, *, role_play: bool, first: Callable[[], FirstRead]) -> int:
        seen.append(desk.store.data_dir)  # type: ignore[attr-defined]
        assert seen[0].is_dir()
        assert first()[2].total > 0  # the demo's promises, read (ahead) before the board opens
        return 0

    monkeypatch.setattr("promisetrack.tui.app.run_board", board)
    assert cli.main(["--demo", "--now", "2026-11-23 10:30"]) == 0
    assert seen and not seen[0].exists()


def test_undo_preview_says_what_and_when_and_undo_keeps_to_it(desk: Desk, clock: FixedClock) -> None:
    desk.add("Ann", "Ring back", "fri")
    clock.advance(timedelta(minutes=5))
    desk.contact(1001, "told them")
    preview = desk.undo_preview()
    assert (preview.pid, preview.kind, preview.what) == (1001, "contacted", "the contact of promise 1001")
    clock.advance(timedelta(minutes=20))
    assert preview.age(clock.now()) == timedelta(minutes=20)
    desk.note(1001, "a later change")
    with pytest.raises(PromiseError, match="nothing undone: your last change is now"):
        desk.undo(expect=preview)
    assert desk.undo(expect=desk.undo_preview()) == "undid the note of promise 1001"


def test_a_due_at_opening_seen_at_night_says_when_the_desk_opens(desk: Desk, clock: FixedClock) -> None:
    desk.add("Ann", "Ring back", "tomorrow 9am")
    clock.set(at(24, 3, 25))
    row = desk.row(1001)
    assert row.assessment is not None and row.assessment.reasons == ("opens 09:00, due 09:00",)
    assert row.assessment.recheck_at == at(24, 9)
