"""The stats screen (s) on a hand-built fortnight, an empty desk, changes from other desks and failures; and the
kudos key (k) on the board.

The fortnight, built through the Desk with the clock moved (now: Fri 27 Nov 16:00, ISO week 2026-W48):

    last week (W47)  1001 kept (csat 4), 1002 kept            ana        → on-time 100%, proactive —
    this week (W48)  1004 kept (csat 5)                        ana
                     1005 renegotiated (csat 3)                ana        → on-time 67%, original date 33%,
                     1006 broken, complaint "Kettle delivery…" ben           broken 33%, proactive 50%, csat 4.0 (2)
    open             1003 complaint "Kettle delivery…" (made in W47)
"""

from __future__ import annotations

import threading

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Sparkline

from promisetrack.clock import FixedClock
from promisetrack.service import Desk, open_desk
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.screens import stats as stats_module
from promisetrack.tui.screens.board import BoardScreen
from promisetrack.tui.screens.kudos import KudosForm
from promisetrack.tui.screens.stats import StatsScreen
from promisetrack.tui.widgets.figures_table import FiguresTable
from tests.conftest import MONDAY, at
from tests.tui.conftest import SIZE, settle, toasts, type_text

NOW = at(27, 16)


@pytest.fixture
def fortnight(desk: Desk, clock: FixedClock) -> Desk:
    clock.set(at(16, 10))
    kept_a, _ = desk.add("Aisha Khan", "Refund processed", "2026-11-17 12:00", category="refund")
    kept_b, _ = desk.add("Tom Becker", "Call back with the quote", "2026-11-18 12:00", category="callback")
    clock.set(at(16, 11))
    desk.add("Olu Ade", "Kettle delivery is late again", "2026-12-04 12:00", category="delivery", complaint=True)
    clock.set(at(17, 11))
    desk.done(kept_a.id, 4)
    clock.set(at(18, 11))
    desk.done(kept_b.id)

    clock.set(at(23, 9, 30))
    kept, _ = desk.add("Priya Shah", "Refund processed", "2026-11-24 12:00", category="refund")
    renegotiated, _ = desk.add("Maria Lopez", "Send the missing cable", "2026-11-24 12:00", category="delivery")
    broken, _ = desk.add("Lena Park", "Kettle delivery never came", "2026-11-24 12:00", owner="ben",
                         category="delivery", complaint=True)
    clock.set(at(24, 10))
    desk.reschedule(renegotiated.id, "2026-11-25 12:00", "the courier is a day late")
    clock.set(at(24, 11))
    desk.done(kept.id, 5)
    clock.set(at(25, 10))
    desk.done(broken.id)
    clock.set(at(25, 11))
    desk.done(renegotiated.id, 3)
    clock.set(NOW)
    return desk


async def open_stats(pilot: Pilot) -> StatsScreen:
    await pilot.press("s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, StatsScreen)
    return pilot.app.screen


def table(screen: StatsScreen, selector: str) -> str:
    return screen.query_one(selector, FiguresTable).text


async def test_this_week_and_month_against_the_previous_ones(fortnight: Desk) -> None:
    app = PromiseTrackApp(fortnight)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        assert not screen.query_one("#stats-body").loading
        compare = table(screen, "#compare").splitlines()
        assert compare == [
            " | 2026-W48 | 2026-W47 | Δ | 2026-11 | 2026-10 | Δ",
            "on-time | 67% | 100% | ▼ 33pt | 80% | — | —",
            "original date | 33% | 100% | ▼ 67pt | 60% | — | —",
            "broken | 33% | 0% | ▲ 33pt | 20% | — | —",
            "proactive contact | 50% | — | — | 50% | — | —",
            "csat mean (n) | 4.0 (2) | 4.0 (1) | = | 4.0 (3) | — | —",
            "complaints | 1 | 0 | ▲ 1 | 1 | 0 | ▲ 1",
            "closed | 3 | 2 | ▲ 1 | 5 | 0 | ▲ 5",
        ]
        delta = screen.query_one("#compare", FiguresTable).get_cell_at((2, 3))  # broken went up: that is worse
        assert delta.plain == "▲ 33pt" and str(delta.style) == "red"
        head = str(screen.query_one("#stats-head").render())
        assert "as of Fri 27 Nov 16:00" in head and "this month (2026-11)" in head


async def test_per_owner_per_category_and_the_period_key(fortnight: Desk) -> None:
    app = PromiseTrackApp(fortnight)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        assert table(screen, "#by-owner").splitlines() == [
            "owner | closed | on-time | orig | broken | proact | csat (n) | compl",
            "ana | 4 | 100% | 75% | 0% | 100% | 4.0 (3) | 0",
            "ben | 1 | 0% | 0% | 100% | 0% | — | 1",
        ]
        assert "delivery | 2 | 50% | 0% | 50% | 50% | 3.0 (1) | 1" in table(screen, "#by-category")
        await pilot.press("p")  # last month: nothing closed
        assert "nothing closed last month" in table(screen, "#by-owner")
        assert "By owner — last month (2026-10)" in str(screen.query_one("#owner-title").render())
        await pilot.press("p")  # this week
        assert "ana | 2 | 100% | 50% | 0% | 100% | 4.0 (2) | 0" in table(screen, "#by-owner")
        await pilot.press("p")  # last week
        assert "ana | 2 | 100% | 100% | 0% | — | 4.0 (1) | 0" in table(screen, "#by-owner")
        await pilot.press("p")
        assert screen.period_key == "this_month"


async def test_weekly_sparklines_with_weeks_that_have_no_rate(fortnight: Desk) -> None:
    app = PromiseTrackApp(fortnight)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        weeks = str(screen.query_one(".trend-weeks").render())
        assert weeks.endswith(" W41 W42 W43 W44 W45 W46 W47 W48")
        assert str(screen.query_one("#values-on_time_rate").render()) == "   —" * 6 + " 100  67"
        assert str(screen.query_one("#values-proactive_contact_rate").render()) == "   —" * 7 + "  50"
        on_time = screen.query_one("#spark-on_time_rate", Sparkline)
        assert list(on_time.data or []) == [0.0] * 24 + [1.0] * 4 + [pytest.approx(2 / 3)] * 4
        assert "nothing closed: no rate (drawn as 0)" in str(screen.query_one(".trend-note").render())


async def test_recurring_issues_and_recognition(fortnight: Desk) -> None:
    fortnight.kudos("ben", "stayed late to ring the courier", "Lena Park")
    app = PromiseTrackApp(fortnight)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        assert table(screen, "#recurring-categories").splitlines()[1] == "delivery | 2 | 2 | · · · · · · 1 1"
        words = table(screen, "#recurring-words")
        assert "kettle | 2 | 2 | · · · · · · 1 1" in words and "delivery | 2 | 2 | · · · · · · 1 1" in words
        assert table(screen, "#recognition").splitlines() == [
            "person | closed | on-time | proact | csat | all | kudos",
            "ana | 4 | ✓ 100% | ✓ 100% | ✗ 4.0 | ✗ | 0",
            "ben | 1 | ✗ 0% | ✗ 0% | — | ✗ | 1 (1)",
        ]
        assert "on-time ≥ 90% · proactive ≥ 80% · csat ≥ 4.5" in str(screen.query_one("#standards").render())


async def test_an_empty_desk_shows_dashes_not_zero_percent(desk: Desk) -> None:
    app = PromiseTrackApp(desk)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        compare = table(screen, "#compare")
        assert "on-time | — | — | — | — | — | —" in compare
        assert "csat mean (n) | — | — | — | — | — | —" in compare
        assert "closed | 0 | 0 | = | 0 | 0 | =" in compare
        assert "%" not in compare
        assert "nothing closed this month" in table(screen, "#by-owner")
        assert "no category came back twice" in table(screen, "#recurring-categories")
        assert "no staff yet" in table(screen, "#recognition")
        assert str(screen.query_one("#values-on_time_rate").render()) == "   —" * 8


async def test_figures_are_computed_in_a_worker_behind_a_loading_indicator(
    fortnight: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = stats_module.compute_stats

    def slow(desk: Desk) -> stats_module.Stats:
        assert threading.current_thread() is not threading.main_thread()
        release.wait(5)
        return real(desk)

    monkeypatch.setattr(stats_module, "compute_stats", slow)
    app = PromiseTrackApp(fortnight)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        assert screen.query_one("#stats-body").loading
        await pilot.press("p")  # keys still work while it computes
        release.set()
        await settle(pilot)
        assert not screen.query_one("#stats-body").loading
        assert "on-time | 67% | 100%" in table(screen, "#compare")


async def test_a_failure_is_shown_not_the_end(fortnight: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(desk: Desk) -> None:
        raise OSError("the archive is unreadable")

    monkeypatch.setattr(stats_module, "compute_stats", broken)
    app = PromiseTrackApp(fortnight)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        assert app.is_running and not screen.query_one("#stats-body").loading
        assert "Stats could not be computed: OSError: the archive is unreadable" in str(
            screen.query_one("#stats-head").render())
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)


async def test_another_desks_write_recomputes_the_figures(fortnight: Desk, clock: FixedClock) -> None:
    app = PromiseTrackApp(fortnight)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_stats(pilot)
        assert "ben | 1 | ✗ 0% | ✗ 0% | — | ✗ | 0" in table(screen, "#recognition")
        other = open_desk(fortnight.store.data_dir, user="ben", clock=clock)
        other.kudos("ben", "calm with an angry customer")
        app.watch_file()
        await settle(pilot)
        assert "ben | 1 | ✗ 0% | ✗ 0% | — | ✗ | 1 (1)" in table(screen, "#recognition")


# ---------------------------------------------------------------------- k: kudos
async def test_kudos_key_opens_an_empty_form_and_records_praise(seeded: Desk) -> None:
    # issue 12: the form no longer guesses the person (the highlighted row's owner, often yourself) or the customer
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.board.table.select_pid(1003)  # ben's, Aisha Khan's
        await pilot.press("k")
        form = app.screen
        assert isinstance(form, KudosForm)
        assert form.query_one("#person", Input).value == ""
        assert form.query_one("#customer", Input).value == ""
        await pilot.pause()
        assert form.focused is form.query_one("#person")
        await type_text(pilot, "ben")
        form.query_one("#customer", Input).value = "Aisha Khan"
        await pilot.press("ctrl+s")  # no note yet
        assert isinstance(app.screen, KudosForm) and seeded.kudos_list() == []
        assert "note is required" in str(form.query_one("#form-error").render())
        form.query_one("#note", Input).focus()
        await pilot.pause()
        await type_text(pilot, "rang back")
        form.query_one("#note", Input).value += " before the due"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        assert seeded.kudos_list() == [{"person": "ben", "note": "rang back before the due",
                                        "from_customer": "Aisha Khan", "by": "ana", "at": MONDAY.isoformat()}]
        assert ": Kudos recorded for ben" in toasts(app)


async def test_kudos_from_a_colleague_has_no_customer(seeded: Desk) -> None:
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("k")
        form = app.screen
        assert isinstance(form, KudosForm)
        form.query_one("#person", Input).value = "Chloe"
        form.query_one("#customer", Input).value = ""
        form.query_one("#note", Input).value = "[b]covered[/b] my shift"
        await pilot.press("ctrl+s")
        await settle(pilot)
        [kudos] = seeded.kudos_list()
        assert (kudos["person"], kudos["from_customer"], kudos["note"]) == ("Chloe", "", "[b]covered[/b] my shift")


async def test_kudos_and_stats_are_in_the_palette(seeded: Desk) -> None:
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.board)]
        assert "Kudos — record kudos: praise for a colleague" in titles
        assert any(t.startswith("Stats — ") for t in titles) and any(t.startswith("Review — ") for t in titles)


async def test_stats_at_80_columns(fortnight: Desk) -> None:
    app = PromiseTrackApp(fortnight)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_stats(pilot)
        for selector in ("#compare", "#by-owner", "#by-category", "#recognition"):
            assert screen.query_one(selector).region.right <= 80
        assert screen.focused is screen.query_one("#stats-body")
        await pilot.press("pagedown", "pagedown")
        assert screen.query_one("#stats-body").scroll_y > 0


def test_stats_snapshot(snap_compare, fortnight: Desk) -> None:
    fortnight.kudos("ben", "stayed late to ring the courier", "Lena [b]Park[/b]")

    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()  # app.run(auto_pilot=…) starts this before the board has mounted
        screen = await open_stats(pilot)
        assert "on-time | 67% | 100% | ▼ 33pt | 80% | — | —" in table(screen, "#compare")
        assert "ben | 1 | ✗ 0% | ✗ 0% | — | ✗ | 1 (1)" in table(screen, "#recognition")

    assert snap_compare(PromiseTrackApp(fortnight), run_before=run_before, terminal_size=SIZE)
