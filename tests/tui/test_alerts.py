"""The warning loop on the board: waiting on the customer (w), alerts that are acknowledged (space), snoozed (z)
and listed (!), the start-up alert, reminders every 30 business minutes, and an acknowledgement from another
terminal silencing them — all on the seeded desk at Mon 23 Nov 10:30 (see conftest)."""

from __future__ import annotations

import pytest

from promisetrack.clock import FixedClock
from promisetrack.model import EventKind
from promisetrack.service import Desk, open_desk
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.screens.alerts import AlertsScreen
from promisetrack.tui.screens.waiting import ResumeForm, SnoozeForm, WaitForm
from promisetrack.tui.widgets.summary_bar import SummaryBar
from tests.conftest import at
from tests.tui.conftest import SIZE, board_ids, cell, settle, table_text, toasts, type_text


@pytest.fixture
def rings(app: PromiseTrackApp, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    rung: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: rung.append(1))
    return rung


def summary(app: PromiseTrackApp) -> str:
    return str(app.board.query_one(SummaryBar).render())


async def test_the_start_alerts_on_every_overdue_promise_nobody_acknowledged(
    app: PromiseTrackApp, rings: list[int]
) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert toasts(app) == ["1001 overdue, not acknowledged: 1001 Tom Becker — Replacement part arrives\n"
                               "space acknowledges it, z snoozes it"]
        assert rings == [1]
        assert "! 1 not acknowledged" in summary(app)


async def test_space_acknowledges_the_highlighted_alert_and_keeps_the_risk(
    app: PromiseTrackApp, seeded: Desk, rings: list[int]
) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert app.board.cursor_pid == 1001
        await pilot.press("space")
        await settle(pilot)
        ack = seeded.get(1001).events[-1]
        assert ack.kind is EventKind.ACKNOWLEDGED and ack.by == "ana" and ack.data["level"] == "overdue"
        assert cell(app, 1001, "risk").startswith(" OVERDUE ")
        assert "not acknowledged" not in summary(app)
        assert any(t.startswith("Acknowledged: 1001: alert acknowledged") for t in toasts(app))
        app.board.table.select_pid(1004)
        await pilot.press("space")  # an ok promise has no alert: said, nothing written
        await settle(pilot)
        assert any("has no alert to acknowledge: it is ok" in t for t in toasts(app))
        assert seeded.get(1004).events[-1].kind is EventKind.CREATED


async def test_the_alerts_panel_lists_newest_first_with_who_acknowledged(app: PromiseTrackApp, seeded: Desk) -> None:
    seeded.user = "ben"
    seeded.acknowledge(1001)
    seeded.user = "ana"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("exclamation_mark")
        await pilot.pause()
        panel = app.screen
        assert isinstance(panel, AlertsScreen)
        rows = table_text(panel.query_one("DataTable")).splitlines()  # type: ignore[arg-type]
        assert [r.split(" | ")[1] for r in rows] == ["1002", "1001"]  # at risk since the start; overdue since Fri
        assert rows[0].startswith("today 10:30 | 1002 | Maria Lopez | not acknowledged |  AT RISK ")
        assert rows[1].startswith("Fri 20 Nov 16:00 | 1001 | Tom Becker | ✓ ben today 10:30 |  OVERDUE ")
        await pilot.press("space")  # acknowledges 1002, from the panel
        await settle(pilot)
        assert seeded.get(1002).events[-1].kind is EventKind.ACKNOWLEDGED
        assert "✓ ana today 10:30" in table_text(panel.query_one("DataTable"))  # type: ignore[arg-type]
        await pilot.press("escape")
        assert app.screen is app.board


async def test_z_snoozes_the_alert_for_an_hour(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("z")
        await pilot.pause()
        assert isinstance(app.screen, SnoozeForm)
        await pilot.press("2")
        await settle(pilot)
        snoozed = seeded.get(1001).events[-1]
        assert snoozed.kind is EventKind.SNOOZED and snoozed.data["until"] == at(23, 11, 30).isoformat()
        assert app.screen is app.board


async def test_an_unacknowledged_overdue_alert_reminds_every_30_business_minutes(
    app: PromiseTrackApp, clock: FixedClock, rings: list[int]
) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert rings == [1]  # the start
        app.clear_notifications()
        clock.set(at(23, 10, 59))
        app.tick()
        await pilot.pause()
        assert toasts(app) == [] and rings == [1]
        clock.set(at(23, 11, 0))
        app.tick()
        await pilot.pause()
        assert toasts(app) == ["1001 still overdue, not acknowledged: 1001 Tom Becker — Replacement part arrives\n"
                               "space acknowledges it, z snoozes it"]
        assert rings == [1, 1]
        app.clear_notifications()
        clock.set(at(23, 12, 1))  # 1002 went overdue at 11:30 (its own alert), 1001 is due a reminder again
        app.tick()
        await pilot.pause()
        assert any(t.startswith("Now overdue: 1002") for t in toasts(app))
        assert rings == [1, 1, 1]  # one bell for both
        app.clear_notifications()
        clock.set(at(23, 12, 31))  # both remind together: one toast, one bell — never a storm
        app.tick()
        await pilot.pause()
        assert toasts(app) == ["2 promises need you: 1001 Tom Becker, 1002 Maria Lopez\n"
                               "still overdue, not acknowledged — ! lists them, space acknowledges"]
        assert rings == [1, 1, 1, 1]


async def test_an_acknowledgement_on_another_board_silences_the_reminder(
    app: PromiseTrackApp, seeded: Desk, clock: FixedClock, rings: list[int]
) -> None:
    other = PromiseTrackApp(open_desk(seeded.store.data_dir, user="ben", clock=clock))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        async with other.run_test(size=SIZE) as other_pilot:
            await other_pilot.press("space")  # ben, at his own board, takes 1001
            await settle(other_pilot)
        app.watch_file()
        await settle(pilot)
        assert "not acknowledged" not in summary(app)
        app.clear_notifications()
        clock.set(at(23, 11, 0))
        app.tick()
        await pilot.pause()
        assert toasts(app) == [] and rings == [1]  # the start's alert only


async def test_w_puts_a_promise_on_waiting_and_again_resumes_it(
    app: PromiseTrackApp, seeded: Desk, clock: FixedClock
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1002)
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, WaitForm)
        await type_text(pilot, "bring the receipt")
        await pilot.press("enter")
        await type_text(pilot, "tue 12:00")
        await pilot.pause()
        assert "→ tomorrow 12:00" in str(app.screen.query_one("#until-preview").render())
        await pilot.press("enter")
        await settle(pilot)
        assert cell(app, 1002, "risk") == " WAITING  waiting just now: bring the receipt"
        assert board_ids(app) == [1001, 1002, 1003, 1005, 1004]  # after the at-risk ones, before the ok ones
        assert "0 at risk · 1 overdue · 1 waiting" in summary(app)
        clock.set(at(23, 14, 0))
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, ResumeForm)
        assert "waiting 3h 30m: bring the receipt" in str(app.screen.query_one("#waiting-note").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        promise = seeded.get(1002)
        assert promise.waiting_since is None and promise.due == at(23, 15, 0)  # 11:30 + 3.5 business hours
        assert "waiting" not in summary(app)


async def test_the_board_keeps_ticking_with_a_promise_waiting(
    app: PromiseTrackApp, seeded: Desk, clock: FixedClock, rings: list[int]
) -> None:
    seeded.wait(1004, "send the receipt")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        app.clear_notifications()
        seeded.wait(1005, "pay the deposit")  # another terminal: ok → waiting is no alert
        app.watch_file()
        await settle(pilot)
        clock.set(at(23, 10, 45))
        app.tick()
        await pilot.pause()
        assert cell(app, 1005, "risk").startswith(" WAITING ")
        assert cell(app, 1004, "risk") == " WAITING  waiting 15m: send the receipt"  # the words move on
        assert not any(t.startswith("Now") or "failed" in t for t in toasts(app))
