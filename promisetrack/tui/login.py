"""The login screen the board shows when the database wants a password (its own login: who you are is the login).

A tiny app of its own, run before the board: it asks for the login and the password and hands them back; the CLI
opens the desk with them. The password is never shown, stored or put on a command line.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Input, Label, Static


class LoginApp(App[tuple[str, str] | None]):
    """Asks for a login and a password; returns them, or None if the user gave up (escape)."""

    CSS = """
    Screen { align: center middle; }
    #login-box { width: 64; height: auto; border: round $accent; padding: 1 2; }
    #login-why { color: $text-muted; margin-bottom: 1; }
    #login-error { color: $error; height: auto; }
    Input { margin-bottom: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "give_up", "Quit")]

    def __init__(self, location: str, why: str, login: str = "") -> None:
        super().__init__()
        self.location, self.why, self.login = location, why, login

    def compose(self) -> ComposeResult:
        with Vertical(id="login-box"):
            yield Label(f"promisetrack — log in to {self.location}", markup=False)
            yield Static(self.why, id="login-why", markup=False)
            yield Input(value=self.login, placeholder="your login, e.g. ana_lopez", id="login")
            yield Input(placeholder="password", password=True, id="password")
            yield Static("", id="login-error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#password" if self.login else "#login", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        login = self.query_one("#login", Input).value.strip()
        password = self.query_one("#password", Input).value
        if event.input.id == "login" and login:
            self.query_one("#password", Input).focus()
        elif not login:
            self.query_one("#login-error", Static).update("the login is empty")
            self.query_one("#login", Input).focus()
        elif not password:
            self.query_one("#login-error", Static).update("the password is empty")
        else:
            self.exit((login, password))

    def action_give_up(self) -> None:
        self.exit(None)


def ask_login(location: str, why: str, login: str = "") -> tuple[str, str] | None:
    """Run the login screen; the login and password typed, or None."""
    return LoginApp(location, why, login).run()
