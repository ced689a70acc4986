"""Prepared delay notices: templates checked when the settings load, filled from the promise and the desk, user
text kept as data (never a placeholder, never markup), links for mail and SMS."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from promisetrack.clock import FixedClock
from promisetrack.config import TEMPLATE, settings_from_toml
from promisetrack.errors import DataError, PromiseError
from promisetrack.service import Desk, open_desk
from tests.conftest import write_settings


@pytest.fixture
def signed(tmp_path: Path, clock: FixedClock) -> Desk:
    data = tmp_path / "desk"
    write_settings(data, **{'[desk]\n# The desk\'s name and phone: the prepared notices sign with them ({desk}, '
                            '{desk_phone}).\nname = ""\nphone = ""':
                            '[desk]\nname = "Fixit Camden"\nphone = "020 7946 0000"'})
    return open_desk(data, user="ana", clock=clock)


def test_the_first_settings_file_holds_the_default_notices() -> None:
    settings = settings_from_toml(TEMPLATE)
    assert list(settings.templates) == ["running_late", "new_date_agreed", "ready_for_collection", "need_something"]


def test_an_unknown_placeholder_is_an_error_naming_it() -> None:
    with pytest.raises(DataError, match=r"template 'late' uses \{custmer\}, which is not a placeholder"):
        settings_from_toml('[templates]\nlate = "Hello {custmer}"\n')
    with pytest.raises(DataError, match="write a literal brace as"):
        settings_from_toml('[templates]\nlate = "Hello {customer"\n')
    assert settings_from_toml('[templates]\nbraces = "Ref {{ {id} }}"\n').templates == {"braces": "Ref {{ {id} }}"}


def test_a_notice_is_filled_from_the_promise_and_the_desk(signed: Desk) -> None:
    promise, _ = signed.add("Maria Lopez", "Replacement part arrives", "fri 5pm", phone="+44 7700 900101",
                            email="maria@example.com")
    notice = signed.notice(promise.id, "running_late", new_due="mon 12:00")
    assert notice.body == ("Hello Maria Lopez, about Replacement part arrives (our ref 1001): it is running late and "
                           "will not be ready by Fri 27 Nov 17:00. We now expect Mon 30 Nov 12:00. Sorry for the wait "
                           "— ana, Fixit Camden 020 7946 0000")
    mail = urlsplit(notice.mailto or "")
    assert mail.scheme == "mailto" and mail.path == "maria@example.com"
    assert parse_qs(mail.query) == {"subject": ["Fixit Camden: Replacement part arrives (ref 1001)"],
                                    "body": [notice.body]}
    assert notice.sms is not None and notice.sms.startswith("sms:+447700900101?body=Hello%20Maria")
    with pytest.raises(PromiseError, match="no template 'late'"):
        signed.notice(promise.id, "late")


def test_user_text_is_data_not_a_placeholder_or_markup(desk: Desk) -> None:
    promise, _ = desk.add("Bo {what} [bold]Chen[/bold]", "Fix {customer}'s laptop {", "fri")
    body = desk.notice(promise.id, "ready_for_collection").body
    assert body.startswith("Hello Bo {what} [bold]Chen[/bold], good news: Fix {customer}'s laptop { (ref 1001)")
    assert desk.notice(promise.id, "ready_for_collection").mailto is None  # no email: no mail link


def test_a_sent_notice_is_logged_as_a_contact_with_its_template(desk: Desk) -> None:
    promise, _ = desk.add("Maria Lopez", "Replacement part arrives", "fri 5pm")
    text = desk.notice(promise.id, "running_late").body
    logged = desk.contact(promise.id, text, "sms", template="running_late").events[-1]
    assert logged.data == {"channel": "sms", "note": text, "template": "running_late"}


def test_the_notice_command_prints_the_text_for_scripts(signed: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    from promisetrack import cli

    signed.add("Bo {what} Chen", "Fix the laptop", "fri 5pm", phone="+44 7700 900101")
    data = str(signed.store.location)
    assert cli.main(["--data", data, "--now", "2026-11-23T10:30", "notice", "1001", "--template",
                     "ready_for_collection"]) == 0
    assert capsys.readouterr().out == ("Hello Bo {what} Chen, good news: Fix the laptop (ref 1001) is ready for "
                                       "collection. — ana, Fixit Camden 020 7946 0000\n")
    assert cli.main(["--data", data, "--now", "2026-11-23T10:30", "notice", "1001", "--template", "nope"]) == 2
    assert "no template 'nope': the desk has running_late, new_date_agreed" in capsys.readouterr().err
    assert signed.get(1001).events[-1].kind.value == "created"  # printing a notice logs nothing


def test_a_desk_without_name_or_phone_leaves_no_dangling_signature(desk: Desk) -> None:
    promise, _ = desk.add("Bo", "Fix the laptop", "fri")
    assert desk.notice(promise.id, "ready_for_collection").body.endswith("is ready for collection. — ana")


def test_a_format_spec_or_conversion_is_refused_when_the_settings_load() -> None:
    for text in ("Due {due:%d/%m}", "Ref {id:d}", "Hi {customer!r}"):
        with pytest.raises(DataError, match="a placeholder is a name alone"):
            settings_from_toml(f'[templates]\nbad = "{text}"\n')
