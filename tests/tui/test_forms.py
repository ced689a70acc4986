"""Each key that changes a promise, as a person at the desk would use it: n, c, r, d, x, a, f, u."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Button, Input, OptionList, Static

from promisetrack.clock import FixedClock
from promisetrack.model import EventKind, Status
from promisetrack.service import Desk
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.screens.forms import FormScreen
from promisetrack.tui.screens.new_promise import NewPromiseForm
from tests.conftest import at
from tests.tui.conftest import SIZE, board_ids, cell, settle, toasts, type_text


def text_of(app: PromiseTrackApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def value(app: PromiseTrackApp, selector: str) -> str:
    return app.screen.query_one(selector, Input).value


# ---------------------------------------------------------------------- n: new promise
async def test_new_promise_with_a_known_customer_and_a_good_due(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("n")
        assert isinstance(app.screen, NewPromiseForm)
        await type_text(pilot, "lop")
        options = app.screen.query_one("#suggestions", OptionList)
        assert options.display and options.option_count == 1
        await pilot.press("down", "enter")  # pick Maria Lopez from the suggestions
        assert value(app, "#customer") == "Maria Lopez"
        assert value(app, "#phone") == "+44 7700 900101" and value(app, "#email") == "maria@example.com"
        assert app.screen.focused is app.screen.query_one("#what")
        await type_text(pilot, "Ring her")
        await pilot.press("tab")
        await type_text(pilot, "tomorrow 10am")
        assert text_of(app, "#due-preview") == "→ tomorrow 10:00 (in 23h 30m)"
        assert not app.screen.query_one("#save", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, FormScreen)
        promise = seeded.get(1006)
        assert promise.what == "Ring her" and promise.due == at(24, 10)
        assert promise.customer.name == "Maria Lopez" and promise.owner == "ana"
        assert promise.customer.id == seeded.get(1002).customer.id
        assert app.board.cursor_pid == 1006 and cell(app, 1006, "what") == "Ring her"
        assert "Promise 1006 made for Maria Lopez" in " ".join(toasts(app))


async def test_new_promise_with_a_bad_due_keeps_what_was_typed(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await type_text(pilot, "Chen")
        await pilot.press("tab", "tab", "tab")  # phone, email, what
        await type_text(pilot, "Stock")
        await pilot.press("tab")
        await type_text(pilot, "blursday")
        preview = text_of(app, "#due-preview")
        assert "blursday" in preview and "tomorrow 10am" in preview  # the parse error, with examples
        assert app.screen.query_one("#save", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewPromiseForm)
        assert text_of(app, "#form-error") != ""
        assert value(app, "#customer") == "Chen" and value(app, "#what") == "Stock"
        assert value(app, "#due") == "blursday"
        due = app.screen.query_one("#due", Input)
        due.value = "fri 5pm"
        await pilot.pause()
        assert text_of(app, "#form-error") == ""
        assert text_of(app, "#due-preview").startswith("→ Fri 27 17:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert seeded.get(1006).customer.name == "Chen"


async def test_new_promise_shows_the_reality_check_and_may_still_be_saved(
    app: PromiseTrackApp, seeded: Desk
) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("n")
        app.screen.query_one("#customer", Input).value = "Noah Schmidt"
        app.screen.query_one("#what", Input).value = "Weekend delivery"
        app.screen.query_one("#due", Input).value = "2026-11-28 12:00"
        await pilot.pause()
        assert "Reality check" in text_of(app, "#due-warnings")
        assert "Sat 28 Nov is a closed day" in text_of(app, "#due-warnings")
        await pilot.click("#save")
        await settle(pilot)
        assert seeded.get(1006).due == at(28, 12)
        assert any("Reality check: Sat 28 Nov is a closed day" in t for t in toasts(app))


async def test_escape_closes_the_new_promise_form_without_change(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await type_text(pilot, "Someone")
        await pilot.press("escape")
        assert not isinstance(app.screen, FormScreen)
        assert len(seeded.board()) == 5


async def test_service_error_on_save_is_shown_inline(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        for field, text in (("customer", "Eva"), ("email", "not-an-email"), ("what", "x"), ("due", "eod")):
            app.screen.query_one(f"#{field}", Input).value = text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewPromiseForm)
        assert "has no @" in text_of(app, "#form-error")
        assert value(app, "#email") == "not-an-email"
        assert len(seeded.board()) == 5


# ---------------------------------------------------------------------- c r d x a f u
async def test_contact(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "c")  # 1002
        assert "1002 Maria Lopez — Call back with the repair quote" in text_of(app, ".form-about")
        await type_text(pilot, "Told her")
        await pilot.press("enter")
        await settle(pilot)
        last = seeded.get(1002).events[-1]
        assert last.kind is EventKind.CONTACTED and last.data == {"channel": "phone", "note": "Told her"}
        assert app.board.cursor_pid == 1002


async def test_reschedule_shows_the_original_due(app: PromiseTrackApp, seeded: Desk) -> None:
    seeded.reschedule(1005, "wed 15:00", "supplier late")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.board.table.select_pid(1005)
        await pilot.press("r")
        original = text_of(app, "#original-due")
        assert "originally due tomorrow 15:00" in original and "now due Wed 25 15:00" in original
        await type_text(pilot, "thu 3pm")
        assert text_of(app, "#due-preview") == "→ Thu 26 15:00 (in 3d 4h)"
        await pilot.press("enter")  # to the note
        assert app.screen.query_one("#save", Button).disabled  # a note is required
        await type_text(pilot, "ok")
        await pilot.press("enter")
        await settle(pilot)
        promise = seeded.get(1005)
        assert promise.due == at(26, 15) and promise.original_due == at(24, 15)
        assert any("1005: now due Thu 26 15:00 (originally tomorrow 15:00)" in t for t in toasts(app))
        assert cell(app, 1005, "due") == "in 3d 4h        Thu 26 15:00"


async def test_done_with_csat(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.board.table.select_pid(1004)
        await pilot.press("d")
        await type_text(pilot, "7")
        assert "csat must be from 1 to 5" in text_of(app, "#form-problems")
        await pilot.press("backspace")
        await type_text(pilot, "4")
        await pilot.press("ctrl+s")
        await settle(pilot)
        promise = seeded.get(1004)
        assert promise.status is Status.DONE and promise.csat == 4
        assert 1004 not in board_ids(app)
        assert any("1004 done — kept" in t for t in toasts(app))


async def test_cancel_requires_a_reason(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1003)
        await pilot.press("x")
        assert app.screen.query_one("#save", Button).disabled
        assert "reason is required" in text_of(app, "#form-problems")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormScreen) and "reason is required" in text_of(app, "#form-error")
        assert seeded.get(1003).is_open
        await type_text(pilot, "moved")
        await pilot.press("enter")
        await settle(pilot)
        assert seeded.get(1003).status is Status.CANCELLED
        assert seeded.get(1003).cancel_reason == "moved"
        assert 1003 not in board_ids(app)


async def test_reassign(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1004)
        await pilot.press("a")
        await type_text(pilot, "ana")
        assert "already ana's" in text_of(app, "#form-problems")
        app.screen.query_one("#owner", Input).value = "Chloe"
        await pilot.press("enter")
        await settle(pilot)
        assert seeded.get(1004).owner == "Chloe"
        assert cell(app, 1004, "owner") == "Chloe"


async def test_flag_then_unflag(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1004)
        await pilot.press("f")
        await type_text(pilot, "bank")
        await pilot.press("enter")
        await settle(pilot)
        assert seeded.get(1004).blocked and seeded.get(1004).blocked_note == "bank"
        assert cell(app, 1004, "risk") == " AT RISK  blocked: bank"
        await pilot.press("f")
        assert "blocked: bank" in text_of(app, "#blocked-note")
        await pilot.press("enter")  # the Unflag button has the focus
        await settle(pilot)
        assert not seeded.get(1004).blocked
        assert cell(app, 1004, "risk") == " ok "


async def test_undo(app: PromiseTrackApp, seeded: Desk, clock: FixedClock) -> None:
    clock.advance(timedelta(minutes=5))
    seeded.flag(1004, "waiting on the bank")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert cell(app, 1004, "risk").startswith(" AT RISK ")
        await pilot.press("u")
        await settle(pilot)
        assert not seeded.get(1004).blocked
        assert cell(app, 1004, "risk") == " ok "
        assert any("Undo: undid the flag of promise 1004" in t for t in toasts(app))


async def test_a_closed_promise_cannot_be_changed_from_its_detail(app: PromiseTrackApp, seeded: Desk) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.board.table.select_pid(1004)
        await pilot.press("enter")
        seeded.done(1004)
        app.watch_file()
        await settle(pilot)
        await pilot.press("c")
        assert not isinstance(app.screen, FormScreen)
        assert any("1004 is done" in t for t in toasts(app))
