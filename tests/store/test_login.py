"""The login screen: when the database wants a password, the board asks for the login and the password (the login
is who you are); a command says how to give one instead (scripts use ~/.pgpass or $PGPASSWORD)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from textual.widgets import Input, Static

from promisetrack import cli
from promisetrack.service import Desk
from promisetrack.tui import login as login_screen
from promisetrack.tui.login import LoginApp
from tests.store.conftest import PgServer, staff_url
from tests.tui.conftest import type_text


async def test_the_login_screen_hands_back_the_login_and_the_password() -> None:
    app = LoginApp("postgresql://db.shop/desk", "the database wants a password", login="ana_lopez")
    async with app.run_test() as pilot:
        assert app.focused is app.query_one("#password", Input)  # the login is known: straight to the password
        await pilot.press("enter")
        assert "the password is empty" in str(app.query_one("#login-error", Static).render())
        await type_text(pilot, "s3cret [x]")
        await pilot.press("enter")
    assert app.return_value == ("ana_lopez", "s3cret [x]")


async def test_escape_gives_up() -> None:
    app = LoginApp("postgresql://db.shop/desk", "the database wants a password")
    async with app.run_test() as pilot:
        await pilot.press("escape")
    assert app.return_value is None


def test_the_board_opens_as_the_login_typed_after_a_wrong_password(
    pg: PgServer, pg_db: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    with_password, login = staff_url(pg, pg_db, "Ana Lopez")
    password = urlsplit(with_password).password
    no_password = pg.url(urlsplit(pg_db).path.lstrip("/"), login)
    typed = iter([(login, "wrong"), (login, password)])
    asked: list[str] = []

    def ask(location: str, why: str, given: str = "") -> tuple[str, str] | None:
        assert given == login  # the URL named it: the screen starts at the password
        asked.append(why)
        return next(typed)

    opened: list[Desk] = []
    monkeypatch.setattr(login_screen, "ask_login", ask)
    monkeypatch.setattr("promisetrack.tui.app.run_board", lambda desk, **_: opened.append(desk) or 0)
    assert cli.main(["--data", str(data_dir), "--db", no_password]) == 0
    assert asked == ["The database asks who you are: your login and your password.",
                     f"The database refused that login or password ({login}): try again, or escape to quit."]
    desk = opened[0]
    assert desk.user == "Ana Lopez"  # who you are is the login
    desk.store.close()  # type: ignore[attr-defined]
    assert cli.main(["--data", str(data_dir), "--db", no_password, "list"]) == 1  # a command does not ask
    assert "put it in ~/.pgpass or $PGPASSWORD" in capsys.readouterr().err
