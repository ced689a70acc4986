"""The board by itself: order, counts, the minute tick with its alerts, the file watch, the cursor, literal text."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta

import pytest
from textual.widgets import Input

from promisetrack import service
from promisetrack.ahead import Ahead
from promisetrack.clock import FixedClock
from promisetrack.errors import DataError
from promisetrack.service import Desk, open_desk
from promisetrack.tui.app import PromiseTrackApp, board_app, run_board
from promisetrack.tui.screens.new_promise import NewPromiseForm
from promisetrack.tui.widgets.summary_bar import SummaryBar
from tests.conftest import at
from tests.tui.conftest import SIZE, board_ids, cell, settle, toasts


async def test_board_lists_overdue_then_at_risk_then_by_due(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE):
        assert board_ids(app) == [1001, 1002, 1003, 1005, 1004]
        assert cell(app, 1001, "risk").startswith(" OVERDUE ")
        assert cell(app, 1002, "risk") == " AT RISK  only 1.0 business hours left"
        assert cell(app, 1003, "risk") == " ok "
        assert cell(app, 1002, "due") == "in 1h           today 11:30"
        assert cell(app, 1001, "due") == "overdue 2d 18h  Fri 20 Nov 16:00"
        assert cell(app, 1002, "customer") == "Maria Lopez"
        assert cell(app, 1002, "what") == "Call back with the repair quote"
        assert cell(app, 1001, "owner") == "ben"
        summary = str(app.board.query_one(SummaryBar).render())
        assert "5 open · 1 at risk · 1 overdue" in summary
        assert "ana · Mon 23 Nov 10:30" in summary


async def test_status_line_shows_the_highlighted_promise_in_full(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down")
        status = str(app.board.query_one("#status-line").render())
        assert "1002 Maria Lopez" in status and "+44 7700 900101" in status and "due today 11:30 (in 1h)" in status
        assert "only 1.0 business hours left" in str(app.board.query_one("#status-risk").render())


async def test_tick_turns_a_promise_at_risk_then_overdue_with_a_toast_and_the_bell(
    app: PromiseTrackApp, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rings: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: rings.append(1))
    app.desk.acknowledge(1001)  # overdue since Friday: acknowledged, so the start raises no alert of its own
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.board.table.select_pid(1004)
        assert cell(app, 1003, "risk") == " ok "
        assert rings == []
        clock.set(at(23, 14, 0))
        app.tick()
        await pilot.pause()
        assert cell(app, 1003, "risk") == " ok "  # 2h30 left: not yet
        assert cell(app, 1002, "risk").startswith(" OVERDUE ")  # but 1002's 11:30 has passed
        assert [t for t in toasts(app) if t.startswith("Now")] == [
            "Now overdue: 1002 Maria Lopez — Call back with the repair quote\noverdue 2h 30m"]
        assert rings == [1]

        clock.set(at(23, 14, 31))
        app.tick()
        await pilot.pause()
        assert cell(app, 1003, "risk") == " AT RISK  only 2.0 business hours left"
        assert any(t.startswith("Now at risk: 1003 Aisha Khan — Deliver the sofa") for t in toasts(app))
        assert rings == [1, 1]
        assert board_ids(app) == [1001, 1002, 1003, 1005, 1004]
        assert app.board.cursor_pid == 1004  # the cursor stayed on its promise

        app.tick()  # nothing new: no second alert
        await pilot.pause()
        assert rings == [1, 1]

        clock.set(at(23, 16, 31))
        app.tick()
        await pilot.pause()
        assert cell(app, 1003, "risk").startswith(" OVERDUE ")
        assert cell(app, 1003, "due") == "overdue 1m      today 16:30"
        assert any(t.startswith("Now overdue: 1003 Aisha Khan") for t in toasts(app))
        assert rings == [1, 1, 1]
        assert app.board.cursor_pid == 1004


async def test_tick_updates_due_words_every_minute_without_rebuilding(app: PromiseTrackApp, clock: FixedClock) -> None:
    async with app.run_test(size=SIZE) as pilot:
        table = app.board.table
        app.board.table.select_pid(1003)
        removed: list[str] = []
        original = table.remove_row
        table.remove_row = lambda key: (removed.append(str(key)), original(key))  # type: ignore[method-assign]
        clock.advance(timedelta(minutes=45))
        app.tick()
        await pilot.pause()
        assert cell(app, 1002, "due") == "in 15m          today 11:30"
        assert cell(app, 1002, "risk") == " AT RISK  only 0.2 business hours left"  # the reason counts down
        assert removed == [] and table.row_count == 5
        assert app.board.cursor_pid == 1003


async def test_tick_reassesses_only_promises_whose_moment_has_come(
    app: PromiseTrackApp, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        asked: list[int] = []
        original = service.assess
        monkeypatch.setattr(service, "assess", lambda p, now, ctx: (asked.append(p.id), original(p, now, ctx))[1])
        clock.advance(timedelta(minutes=1))
        app.tick()  # the tick is Desk.reassess: only promises whose recheck_at has come are assessed again
        await pilot.pause()
        assert asked == []  # 1001's "overdue 2d 18h" turns at 11:00, 1002's "1.0 business hours" at 10:36
        clock.set(at(23, 10, 36))
        app.tick()
        await pilot.pause()
        assert asked == [1002]
        assert cell(app, 1002, "risk") == " AT RISK  only 0.9 business hours left"
        clock.set(at(23, 14, 31))
        asked.clear()
        app.tick()
        # 1002 went overdue at 11:30, 1003's moment (14:30) has come, and 1001's "overdue 2d 18h" reads hourly now
        # ("2d 22h"; it read "2d" until Tuesday while it was floored to whole days)
        assert sorted(asked) == [1001, 1002, 1003]


async def test_tick_moves_the_due_words_of_a_promise_it_does_not_reassess(
    app: PromiseTrackApp, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        assert cell(app, 1003, "due") == "in 6h           today 16:30"
        asked: list[int] = []
        original = service.assess
        monkeypatch.setattr(service, "assess", lambda p, now, ctx: (asked.append(p.id), original(p, now, ctx))[1])
        updated: list[tuple[str, str]] = []
        table = app.board.table
        update = table.update_cell
        monkeypatch.setattr(table, "update_cell", lambda row, column, value, **kw: (
            updated.append((str(row), str(column))), update(row, column, value, **kw)))
        clock.set(at(23, 11, 29))
        app.tick()
        await pilot.pause()
        assert 1003 not in asked  # ok until 14:30: not assessed again…
        assert cell(app, 1003, "due") == "in 5h 1m        today 16:30"  # …but its due in words moved on
        assert cell(app, 1003, "risk") == " ok "
        assert [c for r, c in updated if r == "1003"] == ["due"]  # and only that cell was redrawn
        # 1004's "in 4d 6h" is now "in 4d 5h" (words by the hour beyond a day): a cell whose words did not change
        # is never redrawn — a second tick in the same minute redraws nothing
        updated.clear()
        app.tick()
        await pilot.pause()
        assert updated == []


async def test_an_error_in_the_tick_is_a_toast_not_the_end(
    app: PromiseTrackApp, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        def broken(*args: object, **kw: object) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(service, "assess", broken)
        clock.advance(timedelta(hours=1))
        app.tick()
        await pilot.pause()
        assert app.is_running
        assert any("the minute tick failed: RuntimeError: disk on fire" in t for t in toasts(app))
        app.tick()  # the same error again: no second toast
        await pilot.pause()
        assert sum("disk on fire" in t for t in toasts(app)) == 1


async def test_another_desk_writing_appears_on_the_open_board(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1003)
        other = open_desk(seeded.store.data_dir, user="ben", clock=seeded.clock)
        other.add("Chen Wei", "Ring to confirm the slot", "+30m", category="callback")
        other.contact(1004, "told her Friday", "phone")
        other.done(1005, 5)
        app.watch_file()
        await settle(pilot)
        assert 1006 in board_ids(app) and 1005 not in board_ids(app)
        assert cell(app, 1006, "customer") == "Chen Wei"
        assert board_ids(app) == [1001, 1006, 1002, 1003, 1004]
        assert app.board.cursor_pid == 1003
        app.watch_file()  # nothing new: no read
        assert not app.workers


async def test_watch_timer_and_minute_tick_are_installed(app: PromiseTrackApp) -> None:
    async with app.run_test(size=SIZE):
        assert app.watch_timer is not None
        assert app.watch_every == 1.0


async def test_markup_in_user_text_is_shown_literally(desk: Desk) -> None:
    desk.add("Ben [bold]Markup[/bold] Test", "[@click=app.quit]Press[/] me [/]", "fri", phone="+44 7700 900129")
    desk.flag(1001, "waiting on [red]supplier[/red]")
    app = PromiseTrackApp(desk)
    async with app.run_test(size=SIZE) as pilot:
        assert cell(app, 1001, "customer") == "Ben [bold]Markup[/bold] Test"
        assert cell(app, 1001, "what") == "[@click=app.quit]Press[/] me [/]"
        assert "blocked: waiting on [red]supplier[/red]" in cell(app, 1001, "risk")
        assert "Ben [bold]Markup[/bold] Test" in str(app.board.query_one("#status-line").render())
        await pilot.click("#promises", offset=(30, 1))  # clicking the cell runs no action
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running
        assert "Ben [bold]Markup[/bold] Test" in str(app.screen.query_one("#detail-info").render())
        assert "[@click=app.quit]Press[/] me [/]" in str(app.screen.query_one("#detail-title").render())


async def test_narrow_terminal_goes_compact(app: PromiseTrackApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.board.table.compact
        assert cell(app, 1002, "due") == "in 1h          "
        assert cell(app, 1002, "risk") == " AT RISK "
        assert sum(c.get_render_width(app.board.table) for c in app.board.table.columns.values()) <= 80


async def test_an_open_form_survives_another_desks_write(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        app.screen.query_one("#customer", Input).value = "Half typed"
        other = open_desk(seeded.store.data_dir, user="ben", clock=seeded.clock)
        other.add("Chen Wei", "Ring to confirm the slot", "+30m", category="callback")
        app.watch_file()
        await settle(pilot)
        assert isinstance(app.screen, NewPromiseForm)
        assert app.screen.query_one("#customer", Input).value == "Half typed"
        assert 1006 in board_ids(app)


def test_run_board_stops_on_a_corrupt_data_file_before_opening(seeded: Desk) -> None:
    seeded.store.path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(DataError):
        run_board(open_desk(seeded.store.data_dir, user="ana", clock=seeded.clock))
    assert gc.isenabled()  # the collector, paused for the start, runs again


async def test_the_board_starts_on_one_read_and_collects_again_after_its_first_frame(
    seeded: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Counted at the store: the start shows a screenful first (Desk.first_board) and the rest from the same read.
    desk = open_desk(seeded.store.data_dir, user="ana", clock=seeded.clock)
    reads: list[int] = []
    read = desk.store.read
    monkeypatch.setattr(desk.store, "read", lambda: (reads.append(1), read())[1])
    assert gc.isenabled()
    app = board_app(desk)  # what run_board runs: the read that stops a corrupt file is the board's first
    assert reads == [1] and not gc.isenabled()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert board_ids(app) == [1001, 1002, 1003, 1005, 1004]
            assert reads == [1]
            assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


# Starts the board headless in a fresh interpreter, then prints which screens and heavy modules got imported.
IMPORTS_PROBE = """
import asyncio, json, sys
from pathlib import Path
from promisetrack.service import open_desk
from promisetrack.tui.app import board_app

async def main():
    app = board_app(open_desk(Path(sys.argv[1]), now="2026-11-23T10:30", user="ana"))
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        assert app.rows

asyncio.run(main())
watched = ("promisetrack.tui.screens", "promisetrack.metrics", "promisetrack.export", "xlsxwriter")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(watched))))
"""


def test_the_board_imports_only_the_screen_it_shows(seeded: Desk) -> None:
    done = subprocess.run([sys.executable, "-c", IMPORTS_PROBE, str(seeded.store.data_dir)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # the alerts panel too is imported when first opened: the app keeps an open one current through its kind
    assert json.loads(done.stdout) == ["promisetrack.tui.screens", "promisetrack.tui.screens.board",
                                       "promisetrack.tui.screens.kinds"]


def test_run_board_makes_the_demo_clock_advanceable(seeded: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    class RealClock:
        def now(self):
            return at(23, 10, 30)

    ran: list[PromiseTrackApp] = []
    monkeypatch.setattr(PromiseTrackApp, "run", lambda self: ran.append(self))
    seeded.clock = RealClock()
    assert run_board(seeded, role_play=True) == 0
    assert ran[0].can_advance
    seeded.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    assert seeded.now() >= at(23, 11, 30)


async def test_home_and_end_go_to_the_first_and_the_last_promise(desk: Desk) -> None:
    for n in range(40):
        desk.add(f"Customer {n:02d}", f"Promise {n:02d}", f"2026-11-{24 + n // 8} {9 + n % 8}:00")
    order = [row.promise.id for row in desk.board()]
    app = PromiseTrackApp(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("end")
        assert app.board.cursor_pid == order[-1]
        assert str(order[-1]) in str(app.board.query_one("#status-line").render())  # the status line follows
        await pilot.press("home")
        assert app.board.cursor_pid == order[0]


async def test_refresh_keeps_the_cursor_and_the_scroll_position(desk: Desk, clock: FixedClock) -> None:
    for n in range(40):
        desk.add(f"Customer {n:02d}", f"Promise {n:02d}", f"2026-11-{24 + n // 8} {9 + n % 8}:00")
    app = PromiseTrackApp(desk)
    async with app.run_test(size=SIZE) as pilot:
        table = app.board.table
        table.select_pid(1031)
        await pilot.pause()
        scroll_y = table.scroll_y
        assert scroll_y > 0
        other = open_desk(desk.store.data_dir, user="ben", clock=clock)
        other.add("Urgent Person", "Ring now", "+30m")  # a new row at the top, above the viewport
        other.done(1002)  # a row removed above the cursor
        app.watch_file()
        await settle(pilot)
        assert board_ids(app)[0] == 1041 and 1002 not in board_ids(app)
        assert app.board.cursor_pid == 1031
        assert table.scroll_y == scroll_y


async def test_a_long_board_draws_a_screenful_first_then_adds_every_row_in_order(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(60):
        desk.add(f"Customer {n:02d}", f"Promise {n:02d}", f"2026-11-{24 + n // 10} {9 + n % 8}:00")
    expected = [row.promise.id for row in desk.board()]
    rows_at_first_frame: list[int] = []
    complete = PromiseTrackApp._complete  # the rest of the board, once the first frame is up (Desk.first_board)

    def counting(app: PromiseTrackApp) -> None:
        rows_at_first_frame.append(app.board.table.row_count)
        assert "60 open" in str(app.board.query_one(SummaryBar).render())  # the header counts the whole board
        complete(app)

    monkeypatch.setattr(PromiseTrackApp, "_complete", counting)
    app = PromiseTrackApp(desk)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert rows_at_first_frame == [SIZE[1]]  # no more rows than the terminal has lines, before the first frame
        await app.workers.wait_for_complete()  # the rest is read in a worker
        await pilot.pause()
        assert board_ids(app) == expected  # then all 60, in board order
        assert "60 open" in str(app.board.query_one(SummaryBar).render())


@pytest.mark.parametrize("promises", [60, 5])  # a long board (a screenful first) and one that fits on it
async def test_a_board_whose_first_read_ran_in_another_process_reads_the_file_in_workers_only(
    desk: Desk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, promises: int
) -> None:
    """The CLI's board starts on a read made ahead in a forked child (``promisetrack.ahead``): this process has read
    nothing itself. The rest of the board and the minute tick then read the data file in a worker, never on the
    thread that draws the screen."""
    for n in range(promises):
        desk.add(f"Customer {n:02d}", f"Promise {n:02d}", f"2026-11-{24 + n // 10} {9 + n % 8}:00")
    expected = [row.promise.id for row in desk.board()]
    board = open_desk(desk.store.data_dir, user="ana", clock=clock)
    ahead = Ahead(lambda: board.first_read(SIZE[1]), fork=board.readable_after_fork)
    on_main_thread: list[bool] = []
    read = board.store.read
    monkeypatch.setattr(board.store, "read",
                        lambda: (on_main_thread.append(threading.current_thread() is threading.main_thread()),
                                 read())[1])
    app = board_app(board, first=ahead.result)
    assert ahead.forked and on_main_thread == []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert board_ids(app) == expected and not app.partial
        clock.advance(timedelta(minutes=1))
        app.tick()
        await settle(pilot)
        assert board_ids(app) == expected
    assert on_main_thread and not any(on_main_thread)


async def test_a_refresh_before_the_rest_of_a_long_board_is_added_shows_every_row_once(
    desk: Desk, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(50):
        desk.add(f"Customer {n:02d}", f"Promise {n:02d}", f"2026-11-{24 + n // 10} {9 + n % 8}:00")
    app = PromiseTrackApp(desk)
    complete = PromiseTrackApp._complete  # the rest of the board, once the first frame is up (Desk.first_board)

    def refresh_first(app: PromiseTrackApp) -> None:
        other = open_desk(desk.store.data_dir, user="ben", clock=clock)
        other.add("Urgent Person", "Ring now", "+30m")
        other.done(1003)
        # another desk saved before the rest was added: the board shows what it read, and the rest is dropped
        app._apply(other.board(), clock.now(), other.version())
        assert app.board.table.row_count == 50
        complete(app)

    monkeypatch.setattr(PromiseTrackApp, "_complete", refresh_first)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        ids = board_ids(app)
        assert ids == [row.promise.id for row in desk.board()]
        assert len(ids) == len(set(ids)) == 50 and ids[0] == 1051 and 1003 not in ids


def add_overdue_with_a_long_id(desk: Desk, clock: FixedClock) -> int:
    """Promise 102489 (a desk of years), overdue since Fri 20 16:00; the clock back at Mon 23 10:30."""
    with desk.store.transaction() as tx:
        tx.next_ids("promise", 102489 - 1006)
    clock.set(at(20, 10))
    promise, _ = desk.add("Sofia Petrov", "Check stock at the other shop", "2026-11-20 16:00", owner="ben",
                          category="delivery")
    clock.set(at(23, 10, 30))
    return promise.id


def _screen_lines(table) -> list[str]:
    """What the table draws, line by line (the header first), as a user reads it."""
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_ids_of_a_desk_of_years_are_never_cut(seeded: Desk, clock: FixedClock) -> None:
    """Ids start at 1001 and a desk reaches 10001 within months: board, review and alerts widen the id column
    rather than show "102…" for 102489, an id staff read out and type into the CLI."""
    assert add_overdue_with_a_long_id(seeded, clock) == 102489
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.pause()
        board = "\n".join(_screen_lines(app.board.table))
        assert " 102489 " in board and "102…" not in board
        assert " 1001 " in board  # the short ids still show, in the wider column
        await pilot.press("v")
        await pilot.pause()
        review = "\n".join(_screen_lines(app.screen.query_one("#review-table")))
        assert " 102489 " in review and "102…" not in review
        await pilot.press("escape", "exclamation_mark")
        await pilot.pause()
        alerts = "\n".join(_screen_lines(app.screen.query_one("#alerts-table")))
        assert " 102489 " in alerts and "102…" not in alerts


async def test_a_longer_id_arriving_in_the_open_alerts_panel_is_not_cut(seeded: Desk, clock: FixedClock) -> None:
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=(120, 35)) as pilot:
        await pilot.press("exclamation_mark")
        await pilot.pause()
        add_overdue_with_a_long_id(seeded, clock)
        app.refresh_board()
        await app.workers.wait_for_complete()
        await pilot.pause()
        alerts = "\n".join(_screen_lines(app.screen.query_one("#alerts-table")))
        assert " 102489 " in alerts and "102…" not in alerts


@pytest.mark.parametrize(("width", "shown", "left_out"), [
    (200, ["promisetrack  38 open", "closed — opens Mon 7 09:00", "ana · Fri 04 Dec 18:24", "(role-play: t = +1h)"],
     []),
    (120, ["38 open · 14 at risk · 7 overdue · 3 waiting", "! 7 not acknowledged", "closed — opens Mon 7 09:00",
           "ana · 18:24"], ["promisetrack", "role-play", "Fri 04 Dec"]),
])
async def test_the_header_keeps_the_counts_and_the_time_in_view(width: int, shown: list[str],
                                                                 left_out: list[str]) -> None:
    """On a narrower terminal the header leaves out the role-play hint, the program's name and the date before any
    count, the alerts, the closed note or the time."""
    from textual.app import App, ComposeResult

    from promisetrack.tui.widgets.summary_bar import Summary, SummaryBar

    class Header(App[None]):
        def compose(self) -> ComposeResult:
            yield SummaryBar(id="summary")

    app = Header()
    async with app.run_test(size=(width, 5)) as pilot:
        bar = app.query_one(SummaryBar)
        bar.show(Summary(open=38, at_risk=14, overdue=7, shown=38, user="ana", now=datetime(2026, 12, 4, 18, 24),
                         waiting=3, unacknowledged=7, closed="closed — opens Mon 7 09:00", role_play=True))
        await pilot.pause()
        line = bar.render_line(0).text
        assert all(part in line for part in shown) and not any(part in line for part in left_out), line
