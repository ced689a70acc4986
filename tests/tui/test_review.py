"""The supervisor review (v): overdue and at-risk promises by owner, oldest first; marking several and reassigning or
flagging them at once; enter to the detail; kept current by the board's tick and file watch; literal user text.

On top of the board's seeded desk (tests/tui/conftest.py), at Mon 23 Nov 10:30:

    ana  1007  Olu Ade      made Fri 20 11:00, overdue 30m
         1002  Maria Lopez  made today 10:30, at risk (1h left)
    ben  1006  Lena Park    made Thu 19 10:00, overdue 2d
         1001  Tom Becker   made Fri 20 10:00, overdue 2d
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from promisetrack.clock import FixedClock
from promisetrack.dates import describe_due
from promisetrack.service import Desk, open_desk
from promisetrack.tui.app import PromiseTrackApp, palette_title
from promisetrack.tui.screens.board import BoardScreen
from promisetrack.tui.screens.bulk import BulkFlagForm, BulkReassignForm
from promisetrack.tui.screens.detail import DetailScreen
from promisetrack.tui.screens.review import (
    REVIEW_BINDINGS,
    DrawnLines,
    Instants,
    ReviewScreen,
    elapsed,
    promise_line,
)
from promisetrack.tui.widgets.promise_table import DueTimes
from tests.conftest import MONDAY, at
from tests.tui.conftest import SIZE, settle, toasts, type_text


@pytest.fixture
def review_desk(seeded: Desk, clock: FixedClock) -> Desk:
    clock.set(at(19, 10))
    seeded.user = "ben"
    seeded.add("Lena Park", "Ring about the invoice", "2026-11-20 12:00", owner="ben", category="callback")
    clock.set(at(20, 11))
    seeded.user = "ana"
    seeded.add("Olu Ade", "Swap the kettle", "2026-11-23 10:00", category="repair")
    clock.set(MONDAY)
    return seeded


@pytest.fixture
def app(review_desk: Desk) -> PromiseTrackApp:
    return PromiseTrackApp(review_desk)


def review(app: PromiseTrackApp) -> ReviewScreen:
    assert isinstance(app.screen, ReviewScreen)
    return app.screen


def keys(app: PromiseTrackApp) -> list[str]:
    return [str(row.key.value) for row in review(app).table.ordered_rows]


def line(app: PromiseTrackApp, key: str) -> str:
    return " | ".join(c.plain for c in review(app).table.get_row(key))


async def open_review(pilot: Pilot) -> ReviewScreen:
    await pilot.press("v")
    await pilot.pause()
    return review(pilot.app)  # type: ignore[arg-type]


async def test_review_lists_overdue_and_at_risk_by_owner_oldest_first(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot)
        assert keys(app) == ["owner:ana", "1007", "1002", "owner:ben", "1006", "1001"]  # 1003–1005 are ok
        assert line(app, "owner:ana") == " | ▼ | ana | 1 overdue · 1 at risk |  |  | "
        assert line(app, "owner:ben") == " | ▼ | ben | 2 overdue |  |  | "
        assert line(app, "1006") == (" | 1006 | Lena Park | Ring about the invoice | 4d"
                                     " | overdue 2d 22h  Fri 20 Nov 12:00 |  OVERDUE ")
        assert line(app, "1002") == (" | 1002 | Maria Lopez | Call back with the repair quote | 0m"
                                     " | in 1h           today 11:30 |  AT RISK  only 1.0 business hours left")
        head = str(screen.query_one("#review-head").render())
        assert "3 overdue · 1 at risk · 2 owners" in head and "Mon 23 Nov 10:30" in head
        assert screen.table.cursor_key == "1007"  # on the first promise, not its owner's heading
        assert "made Fri 20 Nov 11:00  due today 10:00" in str(screen.query_one("#review-status").render())
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)


async def test_mark_two_and_reassign_them(app: PromiseTrackApp, review_desk: Desk) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_review(pilot)
        await pilot.press("space", "space")  # 1007, then the cursor moves on to 1002
        assert screen.marked == {1007, 1002}
        assert line(app, "1007").startswith("✓ | 1007") and line(app, "1002").startswith("✓ | 1002")
        assert line(app, "owner:ana").startswith("✓ | ▼ | ana")  # the whole group is marked
        assert "2 marked" in str(screen.query_one("#review-head").render())
        await pilot.press("a")
        assert isinstance(app.screen, BulkReassignForm)
        assert "Reassign 2 promises" in str(app.screen.query_one(".form-title").render())
        await type_text(pilot, "cara")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert review_desk.get(1007).owner == "cara" and review_desk.get(1002).owner == "cara"
        assert review_desk.get(1006).owner == "ben"
        assert ": 2 reassigned to cara" in toasts(app)
        assert keys(app) == ["owner:ben", "1006", "1001", "owner:cara", "1007", "1002"]
        assert screen.marked == set()


async def test_reassign_reports_the_promises_it_could_not_change(app: PromiseTrackApp, review_desk: Desk) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_review(pilot)
        screen.table.move_cursor(row=2)
        await pilot.press("space")  # 1002, ana's
        await pilot.press("down", "space")  # past ben's heading to 1006
        assert screen.marked == {1002, 1006}
        await pilot.press("a")
        await type_text(pilot, "ana")
        await pilot.press("enter")
        await settle(pilot)
        assert review_desk.get(1006).owner == "ana"
        assert ": 1 reassigned to ana" in toasts(app)
        assert "Not changed: promise 1002 is already ana's" in toasts(app)
        assert screen.marked == {1002}  # what failed stays marked


async def test_flag_an_owners_promises_with_one_note(app: PromiseTrackApp, review_desk: Desk) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_review(pilot)
        screen.table.move_cursor(row=keys(app).index("1001"))
        await pilot.press("asterisk")  # every promise of ben's
        assert screen.marked == {1006, 1001}
        await pilot.press("f")
        assert isinstance(app.screen, BulkFlagForm)
        await pilot.press("enter")  # no note yet: nothing is saved
        assert isinstance(app.screen, BulkFlagForm)
        assert "note is required" in str(app.screen.query_one("#form-error").render())
        app.screen.query_one("#note", Input).value = "waiting on the courier"
        await pilot.press("enter")
        await settle(pilot)
        for pid in (1006, 1001):
            assert review_desk.get(pid).blocked and review_desk.get(pid).blocked_note == "waiting on the courier"
        assert not review_desk.get(1007).blocked
        assert ": 2 flagged as blocked" in toasts(app)
        assert "blocked: waiting on the courier" in line(app, "1006")
        await pilot.press("asterisk")  # again on a marked-free group: marks; once more: unmarks
        await pilot.press("ctrl+a")
        assert screen.marked == set()


async def test_space_on_an_owners_heading_marks_the_group(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot)
        screen.table.move_cursor(row=0)
        await pilot.press("space")
        assert screen.marked == {1007, 1002}
        await pilot.press("space")
        assert screen.marked == set()


async def test_enter_opens_the_detail_and_escape_comes_back(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot)
        screen.table.move_cursor(row=keys(app).index("1006"))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.pid == 1006
        assert "Lena Park" in str(app.screen.query_one("#detail-info").render())
        await pilot.press("escape")
        assert app.screen is screen and screen.table.cursor_key == "1006"


async def test_review_follows_the_tick_and_other_desks(app: PromiseTrackApp, review_desk: Desk,
                                                       clock: FixedClock) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        clock.set(at(23, 14, 31))  # 1003 (ben's, due 16:30) turns at risk; 1002 is now overdue
        app.tick()
        await pilot.pause()
        assert keys(app) == ["owner:ana", "1007", "1002", "owner:ben", "1006", "1001", "1003"]
        assert line(app, "1003").endswith(" AT RISK  only 2.0 business hours left")
        assert line(app, "1002").split(" | ")[5].startswith("overdue 3h")
        other = open_desk(review_desk.store.data_dir, user="ben", clock=clock)
        other.reassign(1001, "ana")
        app.watch_file()
        await settle(pilot)
        assert keys(app) == ["owner:ana", "1001", "1007", "1002", "owner:ben", "1006", "1003"]


async def test_user_text_with_markup_is_shown_literally(review_desk: Desk) -> None:
    promise, _ = review_desk.add("Ben [bold]Markup[/bold] Test", "[@click=app.quit]Press[/] me [/]", "fri",
                                 owner="[i]dee[/i]")
    review_desk.flag(promise.id, "waiting on [red]supplier[/red]")
    app = PromiseTrackApp(review_desk)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot)
        pid = str(promise.id)
        assert line(app, "owner:[i]dee[/i]") == " | ▼ | [i]dee[/i] | 1 at risk |  |  | "
        cells = line(app, pid).split(" | ")
        assert cells[2:4] == ["Ben [bold]Markup[/bold] Test", "[@click=app.quit]Press[/] me [/]"]
        assert "blocked: waiting on [red]supplier[/red]" in cells[6]
        screen.table.move_cursor(row=keys(app).index(pid))
        await pilot.pause()
        assert "[@click=app.quit]Press[/] me [/]" in str(screen.query_one("#review-status").render())
        assert "waiting on [red]supplier[/red]" in str(screen.query_one("#review-risk").render())
        await pilot.press("space", "a")
        assert "[@click=app.quit]Press[/] me [/]" in str(app.screen.query_one(".bulk-list").render())
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.click("#review-table", offset=(30, keys(app).index(pid) + 1))  # clicking the cell runs no action
        await pilot.pause()
        assert app.is_running


async def test_nothing_to_review(desk: Desk) -> None:
    desk.add("Priya Shah", "Refund processed", "fri 5pm")
    app = PromiseTrackApp(desk)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_review(pilot)
        assert keys(app) == []
        assert screen.query_one("#review-empty").display
        await pilot.press("a")
        assert isinstance(app.screen, ReviewScreen)
        assert any("Mark promises with space first" in t for t in toasts(app))


async def test_narrow_terminal_shows_badges_without_reasons(app: PromiseTrackApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot)
        await pilot.pause()
        assert screen.table.compact
        assert line(app, "1002").endswith("in 1h           |  AT RISK ")
        screen.table.move_cursor(row=keys(app).index("1002"))
        await pilot.pause()
        assert "only 1.0 business hours left" in str(screen.query_one("#review-risk").render())


async def test_review_keys_are_in_the_palette_and_help(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot)
        titles = [c.title for c in app.get_system_commands(screen)]
        for binding in REVIEW_BINDINGS:
            if binding.action != "app.help":
                assert palette_title(binding) in titles
        await pilot.press("question_mark")
        assert "reassign the marked promises" in str(app.screen.query_one("#help-review").render())


def test_review_snapshot(snap_compare, review_desk: Desk) -> None:
    review_desk.flag(1001, "waiting on the courier [depot]")
    review_desk.add("Ben [bold]Markup[/bold] Test", "[@click=app.quit]Swap[/] the kettle", "2026-11-23 11:00",
                    owner="ben", complaint=True)

    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()  # app.run(auto_pilot=…) starts this before the board has mounted
        screen = await open_review(pilot)
        app = pilot.app
        assert isinstance(app, PromiseTrackApp)
        assert keys(app) == ["owner:ana", "1007", "1002", "owner:ben", "1006", "1001", "1008"]
        await pilot.press("space")
        screen.table.move_cursor(row=keys(app).index("1001"))
        await pilot.press("space")
        assert screen.marked == {1007, 1001}
        screen.table.move_cursor(row=keys(app).index("1001"))
        await pilot.pause()

    assert snap_compare(PromiseTrackApp(review_desk), run_before=run_before, terminal_size=SIZE)


async def test_bulk_reassign_form_input_survives_a_refresh(app: PromiseTrackApp, review_desk: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("space", "a")
        app.screen.query_one("#owner", Input).value = "ca"
        other = open_desk(review_desk.store.data_dir, user="ben", clock=review_desk.clock)
        other.contact(1001, "told him Tuesday", "phone")
        app.watch_file()
        await settle(pilot)
        assert isinstance(app.screen, BulkReassignForm)
        assert app.screen.query_one("#owner", Input).value == "ca"


async def test_a_tick_updates_the_cells_that_changed_without_clearing_the_table(
    app: PromiseTrackApp, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot)
        table = screen.table
        table.move_cursor(row=keys(app).index("1006"))
        before = {line.key: line for line in table.lines}
        calls: list[tuple[str, ...]] = []
        for name in ("clear", "add_row", "remove_row", "sort"):
            monkeypatch.setattr(table, name, lambda *a, name=name, **k: calls.append((name,)))
        update_cell = table.update_cell
        monkeypatch.setattr(table, "update_cell", lambda row, column, value, **k: (
            calls.append(("update_cell", str(row), str(column))), update_cell(row, column, value, **k)))
        clock.set(at(23, 10, 41))  # 1007 (due 10:00) reads "overdue 41m"; nothing changes level
        app.tick()
        await pilot.pause()
        assert calls and all(call[0] == "update_cell" for call in calls)  # never cleared, no row added or removed
        assert ("update_cell", "1007", "due") in calls
        assert line(app, "1007").split(" | ")[5].startswith("overdue 41m")
        changed = {line.key for line in table.lines if line != before[line.key]}
        assert {call[1] for call in calls} == changed  # only the lines whose values changed
        assert keys(app) == list(before) and table.cursor_key == "1006"


async def test_a_promise_turning_at_risk_is_added_without_clearing_the_table(
    app: PromiseTrackApp, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_review(pilot)
        table = screen.table
        table.move_cursor(row=keys(app).index("1001"))
        added: list[str] = []
        add_row = table.add_row
        monkeypatch.setattr(table, "clear", lambda *a, **k: pytest.fail("the table was cleared"))
        monkeypatch.setattr(table, "add_row", lambda *cells, key, **k: (added.append(key), add_row(*cells, key=key)))
        clock.set(at(23, 14, 31))  # 1003 (ben's, due 16:30) turns at risk; 1002 is now overdue
        app.tick()
        await pilot.pause()
        assert added == ["1003"]
        assert keys(app) == ["owner:ana", "1007", "1002", "owner:ben", "1006", "1001", "1003"]
        assert line(app, "owner:ben").split(" | ")[3] == "2 overdue · 1 at risk"
        assert table.cursor_key == "1001"


def test_a_ticks_words_are_the_review_functions_words() -> None:
    """The tick works out ages and times left from microseconds, once per whole minute: the words are the same."""
    instants = Instants()
    now = MONDAY
    offsets = [timedelta(seconds=s, microseconds=u) for s in (0, 59, 60, 61, 3599, 3600, 3660, 86399, 86400, 90000,
                                                              7 * 86400 + 3599) for u in (-1, 0, 1)]
    for tick in range(3):
        now = MONDAY + timedelta(minutes=tick, microseconds=tick)
        instants.at(now)
        for offset in offsets:
            for moment in (now + offset, now - offset):
                assert instants.age(moment) == elapsed(moment, now), (moment, now)
                assert instants.due(moment) == describe_due(moment, now), (moment, now)


@pytest.mark.parametrize("compact", [False, True])
def test_a_line_kept_from_the_last_tick_is_the_line_drawn_afresh(review_desk: Desk, compact: bool) -> None:
    """The review keeps each promise's line while its words stay the same: over three days, every seven minutes
    (ages and times left change their words, days turn, a contact changes reasons, marks change), the kept line is
    always the line ``promise_line`` draws afresh — and most ticks keep most lines."""
    tz = review_desk.calendar.tz
    drawn, instants, due_times = DrawnLines(), Instants(), DueTimes(tz)
    kept = made = 0
    for minutes in range(0, 3 * 24 * 60, 7):
        now = MONDAY + timedelta(minutes=minutes)
        if minutes == 24 * 60:
            review_desk.clock.set(now)  # type: ignore[attr-defined]
            review_desk.contact(1006, "told them")
        due_time = due_times.at(now)
        drawn.at(now, tz, compact, due_time, instants.at(now))
        for row in review_desk.board(now):
            marked = (row.promise.id + (minutes >= 2 * 24 * 60)) % 2 == 0  # on day 3, the marks change
            before = drawn._drawn.get(row.promise.id)
            line = drawn.line(row, marked)
            assert line == promise_line(row, now, tz, marked, compact, due_time, instants), (now, row)
            kept += before is not None and before[-1] is line
            made += before is None or before[-1] is not line
    assert kept > made
