"""The board's contact form offers the prepared notices: pick one, edit it, copy it (OSC 52 over SSH too), or open
it in the mail client or as an SMS — and the sending is logged as a contact with its channel, text and template."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from textual.widgets import Input, Select

from promisetrack.model import EventKind
from promisetrack.service import Desk
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.screens.forms import ContactForm
from tests.tui.conftest import SIZE, settle, toasts, type_text


@pytest.fixture
def outbox(app: PromiseTrackApp, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(app, "copy_to_clipboard", lambda text: sent.append(("clipboard", text)))
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: sent.append(("url", url)))
    return sent


async def test_choose_edit_and_copy_a_notice(app: PromiseTrackApp, seeded: Desk, outbox: list) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.board.table.select_pid(1002)
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ContactForm)
        form.query_one("#template", Select).value = "running_late"
        await pilot.pause()
        note = form.query_one("#note", Input)
        assert note.value.startswith("Hello Maria Lopez, about Call back with the repair quote (our ref 1002)")
        assert str(form.query_one("#note-full").render()) == note.value  # the whole notice, under its field
        note.focus()
        note.action_end()
        await type_text(pilot, " Call us.")
        await pilot.click("#send-copy")
        await settle(pilot)
        text = seeded.get(1002).events[-1].data["note"]
        assert outbox == [("clipboard", text)] and text.endswith("Call us.")
        logged = seeded.get(1002).events[-1]
        assert logged.kind is EventKind.CONTACTED and logged.data["channel"] == "phone"
        assert "template" not in logged.data  # edited: the text sent is no longer the template's
        assert any("the text is on the clipboard" in t for t in toasts(app))


async def test_mail_opens_the_mail_client_and_logs_an_email(app: PromiseTrackApp, seeded: Desk, outbox: list) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1002)
        await pilot.press("c")
        await pilot.pause()
        app.screen.query_one("#template", Select).value = "new_date_agreed"
        await pilot.pause()
        await pilot.click("#send-mail")
        await settle(pilot)
        logged = seeded.get(1002).events[-1]
        assert logged.data["channel"] == "email" and logged.data["template"] == "new_date_agreed"
        [(kind, url)] = outbox
        mail = urlsplit(url)
        assert kind == "url" and mail.path == "maria@example.com"
        assert parse_qs(mail.query)["body"] == [logged.data["note"]]


async def test_no_email_no_mail(app: PromiseTrackApp, seeded: Desk, outbox: list) -> None:
    async with app.run_test(size=SIZE) as pilot:
        app.board.table.select_pid(1003)  # Aisha Khan: no phone, no email
        await pilot.press("c")
        await pilot.pause()
        app.screen.query_one("#template", Select).value = "ready_for_collection"
        await pilot.pause()
        await pilot.click("#send-mail")
        await pilot.pause()
        assert isinstance(app.screen, ContactForm) and outbox == []
        assert "has no email" in str(app.screen.query_one("#form-error").render())
        assert seeded.get(1003).events[-1].kind is EventKind.CREATED
