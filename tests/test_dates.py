"""Due phrases (ARCHITECTURE §3), the BusinessCalendar's business time, and how dues are shown.

Every test uses fixed moments; a desk open Mon–Fri 09:00–17:00 unless said otherwise.
"""

from __future__ import annotations

import random
import sys
import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from promisetrack.calendar import BusinessCalendar
from promisetrack.config import Settings
from promisetrack.dates import (
    PHRASE_EXAMPLES,
    describe_due,
    format_due,
    local_time_warnings,
    parse_due,
    parse_due_with_notes,
)
from promisetrack.errors import PromiseError

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = {day: (time(9), time(17)) for day in range(5)}
THANKSGIVING = date(2026, 11, 26)  # a Thursday

CAL = BusinessCalendar(LONDON, WEEKDAYS_9_TO_5)
NY_CAL = BusinessCalendar(NEW_YORK, WEEKDAYS_9_TO_5)
MONDAY = datetime(2026, 11, 23, 10, 30, tzinfo=LONDON)
FRIDAY = datetime(2026, 11, 27, 16, 0, tzinfo=LONDON)


def at(day: int, hour: int, minute: int = 0, month: int = 11, tz: ZoneInfo = LONDON) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=tz)


def hours(n: float) -> float:
    return n * 3600


# ---------------------------------------------------------------- the §3 table, now = Mon 23 Nov 10:30


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("tomorrow", at(24, 17)),
        ("tomorrow 10am", at(24, 10)),
        ("tomorrow 10:00", at(24, 10)),
        ("today", at(23, 17)),
        ("today 3pm", at(23, 15)),
        ("fri", at(27, 17)),
        ("friday", at(27, 17)),
        ("fri 5pm", at(27, 17)),
        ("friday 17:00", at(27, 17)),
        ("mon 9:30", at(30, 9, 30)),
        ("mon", at(30, 17)),
        ("eod", at(23, 17)),
        ("eow", at(27, 17)),
        ("+2d", at(25, 10, 30)),
        ("in 2 days", at(25, 10, 30)),
        ("+2bd", at(25, 10, 30)),
        ("in 2 business days", at(25, 10, 30)),
        ("+3h", at(23, 13, 30)),
        ("in 3 hours", at(23, 13, 30)),
        ("+3bh", at(23, 13, 30)),
        ("in 3 business hours", at(23, 13, 30)),
        ("+1w", at(30, 10, 30)),
        ("in 1 week", at(30, 10, 30)),
        ("+30m", at(23, 11)),
        ("in 30 minutes", at(23, 11)),
        ("in an hour", at(23, 11, 30)),
        ("+1.5h", at(23, 12)),
        ("2026-12-01", at(1, 17, month=12)),
        ("2026-12-01 14:00", at(1, 14, month=12)),
        ("5pm", at(23, 17)),
        ("5:30pm", at(23, 17, 30)),
        ("5.30pm", at(23, 17, 30)),
        ("17:00", at(23, 17)),
        ("10am", at(24, 10)),
        ("noon", at(23, 12)),
        ("12am", at(24, 0)),
        ("2026-12-01T14:00:00+00:00", at(1, 14, month=12)),
        ("2026-12-01T14:00:00+01:00", at(1, 13, month=12)),
        ("2026-12-01T14:00", at(1, 14, month=12)),
        ("Dec 1 3pm", at(1, 15, month=12)),
        ("1 December", at(1, 17, month=12)),
        ("Tue 1 Dec 14:00", at(1, 14, month=12)),
        ("december 1st at 3pm", at(1, 15, month=12)),
        ("Dec 1 3pm UTC", at(1, 15, month=12)),
        ("13/12/2026", at(13, 17, month=12)),
        ("Jan 5", datetime(2027, 1, 5, 17, tzinfo=LONDON)),
        ("  TOMORROW   10AM ", at(24, 10)),
        ("Fri 5PM", at(27, 17)),
        ("by fri", at(27, 17)),
        ("tomorrow at 10am", at(24, 10)),
        ("10am tomorrow", at(24, 10)),
    ],
)
def test_phrases_from_monday_morning(phrase: str, expected: datetime) -> None:
    due = parse_due(phrase, MONDAY, CAL)
    assert due == expected
    assert due.tzinfo is LONDON


def test_result_is_in_the_desk_zone_for_an_iso_offset() -> None:
    due = parse_due("2026-12-01T14:00:00+00:00", MONDAY, NY_CAL)
    assert due.tzinfo is NEW_YORK
    assert (due.hour, due.utcoffset()) == (9, timedelta(hours=-5))


def test_bare_time_already_passed_is_tomorrow() -> None:
    assert parse_due("10am", MONDAY, CAL) == at(24, 10)
    assert parse_due("5pm", at(23, 17, 30), CAL) == at(24, 17)


def test_weekday_name_is_strictly_after_today() -> None:
    assert parse_due("mon", MONDAY, CAL) == at(30, 17)
    assert parse_due("fri 5pm", FRIDAY, CAL) == at(4, 17, month=12)


def test_naive_now_is_read_in_the_desk_zone() -> None:
    assert parse_due("+3h", datetime(2026, 11, 23, 10, 30), CAL) == at(23, 13, 30)


# ---------------------------------------------------------------- Friday afternoon, 16:00


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("+2bd", at(1, 16, month=12)),
        ("+3bh", at(30, 11)),
        ("+1bh", at(27, 17)),
        ("eod", at(27, 17)),
        ("eow", at(27, 17)),
        ("tomorrow", at(28, 17)),
        ("+2d", at(29, 16)),
    ],
)
def test_phrases_from_friday_afternoon(phrase: str, expected: datetime) -> None:
    assert parse_due(phrase, FRIDAY, CAL) == expected


def test_tomorrow_from_friday_is_a_closed_saturday_and_warned() -> None:
    due = parse_due("tomorrow", FRIDAY, CAL)
    assert CAL.reality_warnings(due) == ["Sat 28 Nov is a closed day"]


def test_after_closing_eod_and_eow_move_on() -> None:
    evening = at(27, 18)
    assert parse_due("eod", evening, CAL) == at(30, 17)
    assert parse_due("eow", evening, CAL) == at(4, 17, month=12)
    assert CAL.end_of_day(at(27, 17)) == at(30, 17)  # closing time itself is past the day
    assert CAL.end_of_day(at(23, 8)) == at(23, 17)


def test_from_outside_hours_business_hours_start_at_next_opening() -> None:
    assert parse_due("+3bh", at(23, 18), CAL) == at(24, 12)
    assert parse_due("+3bh", at(28, 11), CAL) == at(30, 12)
    assert parse_due("+2bd", at(28, 11), CAL) == at(1, 11, month=12)


# ---------------------------------------------------------------- holidays


HOLIDAY_CAL = BusinessCalendar(LONDON, WEEKDAYS_9_TO_5, frozenset({THANKSGIVING}))


def test_business_day_skips_a_holiday() -> None:
    assert HOLIDAY_CAL.add_business_days(at(25, 10), 1) == at(27, 10)
    assert parse_due("+1bd", at(25, 10), HOLIDAY_CAL) == at(27, 10)
    assert HOLIDAY_CAL.next_open_day(date(2026, 11, 25)) == date(2026, 11, 27)


def test_business_hours_skip_a_holiday() -> None:
    assert parse_due("+3bh", at(25, 16), HOLIDAY_CAL) == at(27, 11)
    assert HOLIDAY_CAL.business_seconds(at(25, 16), at(27, 11)) == hours(3)


def test_end_of_week_is_thursday_when_friday_is_a_holiday() -> None:
    cal = BusinessCalendar(LONDON, WEEKDAYS_9_TO_5, frozenset({date(2026, 11, 27)}))
    assert cal.end_of_week(MONDAY) == at(26, 17)
    assert cal.end_of_week(at(26, 17, 30)) == at(4, 17, month=12)
    assert cal.end_of_week(at(27, 10)) == at(4, 17, month=12)


def test_holiday_is_closed_and_warned() -> None:
    assert not HOLIDAY_CAL.is_open_day(THANKSGIVING)
    assert HOLIDAY_CAL.hours_on(THANKSGIVING) is None
    assert HOLIDAY_CAL.closing(THANKSGIVING) == at(26, 17)
    assert HOLIDAY_CAL.reality_warnings(at(26, 12)) == ["Thu 26 Nov is a holiday"]
    assert parse_due("thu", MONDAY, HOLIDAY_CAL) == at(26, 17)  # allowed; the caller warns


def test_eod_on_a_holiday_is_the_next_open_day() -> None:
    assert HOLIDAY_CAL.end_of_day(at(26, 10)) == at(27, 17)


# ---------------------------------------------------------------- DST, America/New_York


def test_plus_one_day_keeps_the_wall_time_across_spring_forward() -> None:
    now = at(7, 10, 30, month=3, tz=NEW_YORK)  # Sat, EST
    due = parse_due("+1d", now, NY_CAL)
    assert (due.day, due.hour, due.minute) == (8, 10, 30)
    assert due - now == timedelta(days=1)  # same wall time...
    assert due.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=23)  # ...23 elapsed hours


def test_plus_one_day_keeps_the_wall_time_across_fall_back() -> None:
    now = at(31, 10, 30, month=10, tz=NEW_YORK)
    due = parse_due("+1d", now, NY_CAL)
    assert (due.month, due.day, due.hour, due.minute) == (11, 1, 10, 30)
    assert due.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=25)


def test_plus_hours_is_elapsed_time_across_spring_forward() -> None:
    now = at(8, 0, 30, month=3, tz=NEW_YORK)
    due = parse_due("+3h", now, NY_CAL)
    assert (due.hour, due.minute) == (4, 30)  # 01:59 EST is followed by 03:00 EDT
    assert due.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=3)


def test_plus_hours_is_elapsed_time_across_fall_back() -> None:
    now = at(1, 0, 30, tz=NEW_YORK)
    due = parse_due("+3h", now, NY_CAL)
    assert (due.hour, due.minute) == (2, 30)  # 01:00-02:00 happens twice
    assert due.astimezone(UTC) - now.astimezone(UTC) == timedelta(hours=3)


def test_business_days_across_dst_keep_the_wall_time() -> None:
    assert NY_CAL.add_business_days(at(6, 10, 30, month=3, tz=NEW_YORK), 1) == at(9, 10, 30, month=3, tz=NEW_YORK)
    assert NY_CAL.add_business_days(at(30, 10, 30, month=10, tz=NEW_YORK), 1) == at(2, 10, 30, tz=NEW_YORK)


def test_business_seconds_across_a_weekend_change_are_unaffected() -> None:
    assert NY_CAL.business_seconds(at(6, 16, month=3, tz=NEW_YORK), at(9, 10, month=3, tz=NEW_YORK)) == hours(2)
    assert NY_CAL.business_seconds(at(30, 16, month=10, tz=NEW_YORK), at(2, 10, tz=NEW_YORK)) == hours(2)


def test_business_seconds_when_the_change_falls_inside_open_hours() -> None:
    night_desk = BusinessCalendar(NEW_YORK, {6: (time(1), time(4))})  # Sundays 01:00-04:00
    spring = (at(8, 0, month=3, tz=NEW_YORK), at(8, 12, month=3, tz=NEW_YORK))
    autumn = (at(1, 0, tz=NEW_YORK), at(1, 12, tz=NEW_YORK))
    assert night_desk.business_seconds(*spring) == hours(2)
    assert night_desk.business_seconds(*autumn) == hours(4)
    assert night_desk.add_business_hours(spring[0], 2) == at(8, 4, month=3, tz=NEW_YORK)
    assert night_desk.add_business_hours(autumn[0], 4).astimezone(UTC) == datetime(2026, 11, 1, 9, tzinfo=UTC)


def test_due_at_a_wall_time_in_the_spring_forward_gap_is_a_real_instant() -> None:
    now = at(2, 10, month=3, tz=NEW_YORK)
    due = parse_due("2026-03-08 2:30am", now, NY_CAL)
    assert due.astimezone(UTC) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert (due.hour, due.minute, due.utcoffset()) == (3, 30, timedelta(hours=-4))
    assert due.astimezone(UTC).astimezone(NEW_YORK) == due


def test_ambiguous_fall_back_time_is_the_first_occurrence() -> None:
    due = parse_due("2026-11-01 1:30am", at(30, 10, month=10, tz=NEW_YORK), NY_CAL)
    assert due.utcoffset() == timedelta(hours=-4)


LISBON = ZoneInfo("Europe/Lisbon")
LISBON_CAL = BusinessCalendar(LISBON, WEEKDAYS_9_TO_5)
LISBON_NOW = datetime(2027, 3, 20, 10, 0, tzinfo=LISBON)  # Sat: 28 Mar 01:00 -> 02:00, 31 Oct 02:00 -> 01:00


@pytest.mark.parametrize(
    ("phrase", "utc", "note"),
    [
        ("2027-03-28 01:30", datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
         "01:30 does not exist on Sun 28 Mar 2027 (clocks go forward): taken as 02:30"),
        ("1:30am on 2027-03-28", datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
         "01:30 does not exist on Sun 28 Mar 2027 (clocks go forward): taken as 02:30"),
        ("28 Mar 2027 1:30am", datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
         "01:30 does not exist on Sun 28 Mar 2027 (clocks go forward): taken as 02:30"),
        ("2027-10-31 01:30", datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
         "01:30 happens twice on Sun 31 Oct 2027 (clocks go back): taken as the first, 01:30 WEST (+01:00)"),
        ("2027-10-31T01:30:00", datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
         "01:30 happens twice on Sun 31 Oct 2027 (clocks go back): taken as the first, 01:30 WEST (+01:00)"),
    ],
)
def test_a_skipped_or_repeated_wall_time_is_kept_and_noted(phrase: str, utc: datetime, note: str) -> None:
    due, notes = parse_due_with_notes(phrase, LISBON_NOW, LISBON_CAL)
    assert due.astimezone(UTC) == utc and parse_due(phrase, LISBON_NOW, LISBON_CAL) == due
    assert notes == [note]


def test_a_wall_time_reached_by_counting_days_is_noted_too() -> None:
    saturday_0130 = datetime(2027, 3, 27, 1, 30, tzinfo=LISBON)
    due, notes = parse_due_with_notes("+1d", saturday_0130, LISBON_CAL, allow_past=True)
    assert (due.hour, due.minute) == (2, 30)
    assert notes == ["01:30 does not exist on Sun 28 Mar 2027 (clocks go forward): taken as 02:30"]


@pytest.mark.parametrize("phrase", ["2027-03-28 03:30", "2027-10-31 02:30", "+3h", "2027-10-31T01:30+00:00", "eow"])
def test_ordinary_and_elapsed_time_dues_carry_no_note(phrase: str) -> None:
    assert parse_due_with_notes(phrase, LISBON_NOW, LISBON_CAL)[1] == []
    midnight = datetime(2027, 10, 31, 0, 0, tzinfo=LISBON)  # 90 minutes on is 01:30 WEST: counted, not chosen
    assert parse_due_with_notes("+90m", midnight, LISBON_CAL, allow_past=True)[1] == []


def test_local_time_warnings_of_an_instant_are_none() -> None:
    assert local_time_warnings(datetime(2027, 3, 28, 1, 30), LISBON) != []
    assert local_time_warnings(datetime(2027, 3, 28, 1, 30, tzinfo=UTC), LISBON) == []


def test_phrases_are_compared_as_instants_in_the_repeated_hour() -> None:
    second_0130 = datetime(2026, 11, 1, 6, 30, tzinfo=UTC).astimezone(NEW_YORK)  # 01:30 EST, fold=1
    assert second_0130.fold == 1
    assert parse_due("+10m", second_0130, NY_CAL).astimezone(UTC) == datetime(2026, 11, 1, 6, 40, tzinfo=UTC)
    with pytest.raises(PromiseError, match="in the past"):
        parse_due("2026-11-01 1:45am", second_0130, NY_CAL)  # 01:45 EDT was 45 minutes ago


# ---------------------------------------------------------------- errors


UNREADABLE = ("blah", "+2x", "in 2 fortnights", "-2d", "3h", "fri 5", "25:00", "13pm", "june", "+1.5d")
UNREADABLE += ("2026-02-30", "next friday 3pm", "maybe")


def test_next_weekday_is_ambiguous_and_the_error_offers_both() -> None:
    with pytest.raises(PromiseError) as caught:
        parse_due("next friday", MONDAY, CAL)
    assert caught.value.message == (
        '"next friday" could mean Fri 27 17:00 or Fri 4 Dec 17:00: say "friday" for the first, '
        "or the date (2026-12-04) for the second"
    )


@pytest.mark.parametrize("phrase", UNREADABLE)
def test_unreadable_phrases_name_the_input_and_show_examples(phrase: str) -> None:
    with pytest.raises(PromiseError) as caught:
        parse_due(phrase, MONDAY, CAL)
    assert caught.value.message == f'can\'t read the due "{phrase}": try {PHRASE_EXAMPLES}'


@pytest.mark.parametrize("phrase", ["", "   "])
def test_empty_phrase(phrase: str) -> None:
    with pytest.raises(PromiseError, match="empty") as caught:
        parse_due(phrase, MONDAY, CAL)
    assert PHRASE_EXAMPLES in caught.value.message


def test_past_due_is_refused_with_the_resolved_moment() -> None:
    with pytest.raises(PromiseError) as caught:
        parse_due("2020-01-01", MONDAY, CAL)
    assert caught.value.message == 'the due "2020-01-01" (Wed 1 Jan 2020 17:00) is in the past'
    with pytest.raises(PromiseError, match=r'"today 9am" \(today 09:00\) is in the past'):
        parse_due("today 9am", MONDAY, CAL)
    with pytest.raises(PromiseError, match="in the past"):
        parse_due("today", at(23, 18), CAL)


def test_past_due_is_allowed_when_asked() -> None:
    assert parse_due("2020-01-01", MONDAY, CAL, allow_past=True) == datetime(2020, 1, 1, 17, tzinfo=LONDON)


def test_due_equal_to_now_is_not_past() -> None:
    assert parse_due("today 10:30", MONDAY, CAL) == MONDAY


@pytest.mark.parametrize("phrase", ["+0bd", "in 0 hours", "+0d", "+0h", "+0m", "+0bh", "in 0 business days", "+0.0h"])
def test_a_zero_amount_is_refused_like_the_past(phrase: str) -> None:
    with pytest.raises(PromiseError) as caught:
        parse_due(phrase, MONDAY, CAL)
    assert caught.value.message == (
        f'the due "{phrase}" (today 10:30) is now, so the promise would be overdue at once: try {PHRASE_EXAMPLES}'
    )
    assert parse_due(phrase, MONDAY, CAL, allow_past=True) == MONDAY  # --now +0h is simply now


def test_ambiguous_numeric_date_is_refused() -> None:
    with pytest.raises(PromiseError, match=r"ambiguous \(1 Dec or 12 Jan\?\)"):
        parse_due("1/12", MONDAY, CAL)


def test_wrong_weekday_for_a_date_is_refused() -> None:
    with pytest.raises(PromiseError, match="wrong weekday: 1 Dec 2026 is a Tue"):
        parse_due("Mon 1 Dec", MONDAY, CAL)


def test_unknown_zone_name_is_unreadable_rather_than_guessed() -> None:
    with pytest.raises(PromiseError, match="can't read"):
        parse_due("Dec 1 3pm PST", MONDAY, CAL)


def test_outside_hours_is_allowed() -> None:
    assert parse_due("sat 10am", MONDAY, CAL) == at(28, 10)
    assert parse_due("tomorrow 7pm", MONDAY, CAL) == at(24, 19)


# ---------------------------------------------------------------- business time


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (at(23, 10, 30), at(23, 13, 30), hours(3)),
        (at(23, 16), at(24, 11), hours(3)),
        (at(23, 7), at(23, 20), hours(8)),
        (at(27, 16), at(30, 11), hours(3)),
        (at(28, 10), at(29, 10), 0.0),
        (at(23, 9), at(30, 9), hours(40)),
        (at(23, 13), at(23, 12), 0.0),
        (at(23, 12), at(23, 12), 0.0),
        (at(1, 0, month=1), datetime(2027, 1, 1, tzinfo=LONDON), hours(8 * 261)),  # 261 weekdays in 2026
    ],
)
def test_business_seconds(start: datetime, end: datetime, expected: float) -> None:
    assert CAL.business_seconds(start, end) == expected


def test_business_seconds_over_a_year_with_holidays() -> None:
    cal = BusinessCalendar(LONDON, WEEKDAYS_9_TO_5, frozenset({date(2026, 12, 25), date(2026, 12, 26)}))
    span = (at(1, 0, month=1), datetime(2027, 1, 1, tzinfo=LONDON))
    assert cal.business_seconds(*span) == hours(8 * 260)  # 26 Dec is a Saturday


def test_business_seconds_matches_a_day_by_day_count() -> None:
    start = at(3, 11, 15, month=2)
    for days in range(0, 60, 3):
        end = start + timedelta(days=days, hours=days % 9)
        expected = sum(_open_overlap(start, end, start.date() + timedelta(days=i)) for i in range(days + 2))
        assert CAL.business_seconds(start, end) == expected


def _open_overlap(start: datetime, end: datetime, d: date) -> float:
    interval = CAL.hours_on(d)
    if interval is None:
        return 0.0
    return max(0.0, (min(end, interval[1]) - max(start, interval[0])).total_seconds())


@pytest.mark.parametrize(
    ("moment", "business_hours", "expected"),
    [
        (at(23, 16), 3, at(24, 11)),
        (at(23, 16), 1, at(23, 17)),
        (at(27, 16), 3, at(30, 11)),
        (at(23, 18), 1, at(24, 10)),
        (at(23, 10), -1, at(23, 9)),
        (at(24, 10), -2, at(23, 16)),
        (at(30, 11), -3, at(27, 16)),
        (at(23, 20), -1, at(23, 16)),
        (at(28, 12), -1, at(27, 16)),
        (at(23, 10), 0, at(23, 10)),
        (at(23, 9), 400, datetime(2027, 1, 29, 17, tzinfo=LONDON)),  # ten weeks, to the closing minute
    ],
)
def test_add_business_hours(moment: datetime, business_hours: float, expected: datetime) -> None:
    assert CAL.add_business_hours(moment, business_hours) == expected


def test_add_business_seconds_long_span() -> None:
    start = at(1, 9, month=1)
    year_of_work = hours(8 * 261)
    end = CAL.add_business_seconds(start, year_of_work)
    assert end == datetime(2026, 12, 31, 17, tzinfo=LONDON)
    assert CAL.add_business_seconds(end, -year_of_work) == start


@pytest.mark.parametrize(
    "start",
    [at(23, 10, 30), at(23, 9), at(27, 16, 59), at(24, 12, 17), at(1, 9, 1, month=12)],
)
@pytest.mark.parametrize("seconds", [1, 59, hours(1), hours(7.5), hours(8), hours(9), hours(123.25), hours(2000)])
def test_business_seconds_round_trips(start: datetime, seconds: float) -> None:
    for signed in (seconds, -seconds):
        moved = CAL.add_business_seconds(start, signed)
        low, high = sorted((start, moved))
        assert CAL.business_seconds(low, high) == pytest.approx(seconds, abs=1e-6)
        back = CAL.add_business_seconds(moved, -signed)
        assert CAL.business_seconds(min(back, start), max(back, start)) == 0.0  # same point of business time


def test_round_trip_from_outside_hours_lands_at_an_edge() -> None:
    saturday = at(28, 12)
    moved = CAL.add_business_seconds(saturday, hours(2))
    assert moved == at(30, 11)
    assert CAL.add_business_seconds(moved, -hours(2)) == at(30, 9)


def test_add_business_days() -> None:
    assert CAL.add_business_days(at(27, 10, 30), 2) == at(1, 10, 30, month=12)
    assert CAL.add_business_days(at(23, 10, 30), 5) == at(30, 10, 30)
    assert CAL.add_business_days(at(1, 10, 30, month=12), -2) == at(27, 10, 30)
    assert CAL.add_business_days(at(28, 10), 1) == at(30, 10)
    assert CAL.add_business_days(at(23, 10, 30), 0) == at(23, 10, 30)


def test_is_open_at() -> None:
    assert CAL.is_open_at(at(23, 9))
    assert CAL.is_open_at(at(23, 16, 59))
    assert not CAL.is_open_at(at(23, 17))
    assert not CAL.is_open_at(at(23, 8, 59))
    assert not CAL.is_open_at(at(28, 12))


def test_hours_and_closing() -> None:
    assert CAL.hours_on(date(2026, 11, 23)) == (at(23, 9), at(23, 17))
    assert CAL.hours_on(date(2026, 11, 28)) is None
    assert CAL.closing(date(2026, 11, 28)) == at(28, 17)
    assert CAL.is_open_day(date(2026, 11, 23)) and not CAL.is_open_day(date(2026, 11, 29))


def test_closing_on_a_closed_day_is_the_usual_closing() -> None:
    cal = BusinessCalendar(LONDON, {0: (time(9), time(18)), 1: (time(9), time(18)), 2: (time(9), time(16))})
    assert cal.closing(date(2026, 11, 28)) == at(28, 18)
    assert cal.closing(date(2026, 11, 25)) == at(25, 16)
    assert parse_due("wed", MONDAY, cal) == at(25, 16)


def test_from_settings() -> None:
    settings = Settings(timezone="America/New_York", holidays=frozenset({THANKSGIVING}))
    cal = BusinessCalendar.from_settings(settings)
    assert cal.tz == NEW_YORK
    assert not cal.is_open_day(THANKSGIVING)
    assert cal.hours_on(date(2026, 11, 23)) == (at(23, 9, tz=NEW_YORK), at(23, 17, tz=NEW_YORK))


def test_a_desk_without_hours_says_so() -> None:
    cal = BusinessCalendar(LONDON, {})
    with pytest.raises(PromiseError, match="no open hours"):
        cal.add_business_hours(MONDAY, 1)
    with pytest.raises(PromiseError, match="no open hours"):
        parse_due("eod", MONDAY, cal)
    assert parse_due("tomorrow", MONDAY, cal) == at(24, 17)


# ---------------------------------------------------------------- reality warnings


@pytest.mark.parametrize(
    ("due", "warnings"),
    [
        (at(24, 12), []),
        (at(24, 9), []),
        (at(24, 17), []),
        (at(28, 17), ["Sat 28 Nov is a closed day"]),
        (at(24, 19), ["Tue 24 Nov 19:00 is after closing (17:00)"]),
        (at(24, 8, 15), ["Tue 24 Nov 08:15 is before opening (09:00)"]),
        (at(25, 17, month=12), ["Fri 25 Dec is a holiday"]),
    ],
)
def test_reality_warnings(due: datetime, warnings: list[str]) -> None:
    cal = BusinessCalendar(LONDON, WEEKDAYS_9_TO_5, frozenset({date(2026, 12, 25)}))
    assert cal.reality_warnings(due) == warnings


# ---------------------------------------------------------------- display


@pytest.mark.parametrize(
    ("due", "text"),
    [
        (at(23, 17), "today 17:00"),
        (at(24, 10), "tomorrow 10:00"),
        (at(22, 17), "yesterday 17:00"),
        (at(27, 17), "Fri 27 17:00"),
        (at(29, 9, 5), "Sun 29 09:05"),
        (at(30, 17), "Mon 30 Nov 17:00"),
        (at(1, 14, month=12), "Tue 1 Dec 14:00"),
        (at(20, 12), "Fri 20 Nov 12:00"),
        (datetime(2027, 12, 1, 14, tzinfo=LONDON), "Wed 1 Dec 2027 14:00"),
        (datetime(2026, 11, 24, 14, tzinfo=UTC), "tomorrow 14:00"),
    ],
)
def test_format_due(due: datetime, text: str) -> None:
    assert format_due(due, MONDAY, LONDON) == text


def test_format_due_uses_the_given_zone() -> None:
    assert format_due(at(24, 2), MONDAY, NEW_YORK) == "today 21:00"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(minutes=45), "in 45m"),
        (timedelta(minutes=59, seconds=59), "in 59m"),
        (timedelta(hours=2, minutes=59), "in 2h 59m"),  # was "in 2h": floored into a lie
            (timedelta(hours=1, minutes=59, seconds=59), "in 1h 59m"),
            (timedelta(hours=2), "in 2h"),
        (timedelta(days=3, hours=23), "in 3d 23h"),  # was "in 3d"
            (timedelta(days=3, minutes=59), "in 3d"),
        (timedelta(seconds=30), "in 0m"),
        (timedelta(0), "due now"),
        (timedelta(seconds=-59), "due now"),
        (-timedelta(minutes=20), "overdue 20m"),
        (-timedelta(hours=5, minutes=30), "overdue 5h 30m"),  # was "overdue 5h"
        (-timedelta(days=1, hours=2), "overdue 1d 2h"),  # was "overdue 1d"
    ],
)
def test_describe_due(delta: timedelta, text: str) -> None:
    assert describe_due(MONDAY + delta, MONDAY) == text


def test_describe_due_counts_elapsed_time_across_dst() -> None:
    now = at(7, 22, month=3, tz=NEW_YORK)
    assert describe_due(at(8, 22, month=3, tz=NEW_YORK), now) == "in 23h"


def test_format_then_parse_round_trips_for_far_dues() -> None:
    due = at(14, 14, month=12)
    assert parse_due(format_due(due, MONDAY, LONDON), MONDAY, CAL) == due


# ---------------------------------------------------------------- the open-time index

WEEKDAYS_9_TO_5 = {d: (time(9), time(17)) for d in range(5)}


def test_business_time_over_years_either_way_adds_up_by_weeks() -> None:
    cal = BusinessCalendar(ZoneInfo("Europe/London"), WEEKDAYS_9_TO_5)
    monday = datetime(2026, 11, 23, 9, tzinfo=ZoneInfo("Europe/London"))
    cal.business_seconds(monday, monday + timedelta(hours=1))  # a small index first, then it must grow both ways
    for weeks in (1, 52, 260, -260):
        start, end = sorted((monday, monday + timedelta(weeks=weeks)))
        assert cal.business_seconds(start, end) == abs(weeks) * 5 * 8 * 3600
        moved = cal.add_business_seconds(monday, weeks * 5 * 8 * 3600)
        if weeks > 0:  # forwards, the count ends at a Friday's closing; backwards, at a Monday's opening
            assert moved == monday + timedelta(weeks=weeks, days=-3, hours=8)
        else:
            assert moved == monday + timedelta(weeks=weeks)


def test_positions_stay_comparable_as_the_index_grows() -> None:
    cal = BusinessCalendar(ZoneInfo("America/New_York"), WEEKDAYS_9_TO_5)
    tue = datetime(2026, 11, 24, 17, tzinfo=UTC)  # noon in New York: open
    before = cal.open_time(tue)
    cal.open_time(tue - timedelta(days=4000))  # grows backwards
    cal.open_time(tue + timedelta(days=4000))  # and forwards
    assert cal.open_time(tue) == before
    assert cal.moment_at(before) == tue


def test_threads_growing_the_index_at_once_get_the_answers_of_one_thread() -> None:
    """The board works out business time in a worker thread and in the main one: growing the index from both must
    neither lose days nor move positions."""
    tz = ZoneInfo("Europe/London")
    rng = random.Random(3)
    base = datetime(2026, 11, 23, 10, tzinfo=UTC)
    pairs = [(base + timedelta(days=rng.randint(-3000, 3000)), base + timedelta(days=rng.randint(-3000, 3000)))
             for _ in range(120)]
    expected = [BusinessCalendar(tz, WEEKDAYS_9_TO_5).business_seconds(a, b) for a, b in pairs]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, mid-growth included
    try:
        for _ in range(25):  # each a fresh calendar: the growing happens in the first queries
            cal = BusinessCalendar(tz, WEEKDAYS_9_TO_5)
            got: list[float | None] = [None] * len(pairs)

            def work(k: int, cal: BusinessCalendar = cal, got: list[float | None] = got) -> None:
                for i in range(k, len(pairs), 6):
                    got[i] = cal.business_seconds(*pairs[i])

            threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert got == expected
    finally:
        sys.setswitchinterval(switch)


def test_the_first_and_last_days_of_the_calendar_do_not_break_business_time_near_them() -> None:
    cal = BusinessCalendar(ZoneInfo("Asia/Tokyo"), WEEKDAYS_9_TO_5)
    thursday = datetime(1, 3, 1, 18, tzinfo=ZoneInfo("Asia/Tokyo"))  # 0001-03-01 was a Thursday
    assert cal.business_seconds(thursday - timedelta(days=1), thursday) == 8 * 3600
