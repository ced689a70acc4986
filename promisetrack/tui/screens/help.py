"""Help: every key of the board, what the badges mean, and how the board keeps itself current."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from promisetrack.tui.screens.board import BOARD_BINDINGS
from promisetrack.tui.screens.review import REVIEW_BINDINGS
from promisetrack.tui.screens.stats import STATS_BINDINGS

EXTRA_KEYS = [
    ("esc", "close a form or the detail (nothing is saved); clear the filter"),
    ("ctrl+s", "save the form (enter in a form's last field saves too)"),
    ("ctrl+p", "command palette: every action above, by name"),
    ("↑ ↓", "move in the list (pgup, pgdn: a page; home, end: the first and the last)"),
    ("ctrl+q", "quit"),
]

ABOUT = """\
The board lists every open promise: overdue first, then at risk, then waiting, then by due.
 OVERDUE  its due has passed.   AT RISK  something makes it hard to keep — the reason is on the row and
under the list (little time left, the category usually takes longer, the owner's day is full, blocked,
no contact for a while, a customer whose last two promises broke).   WAITING  on the customer (w): no risk
rule runs, and on resume the due moves on by the business time waited.   ! before a name: a complaint.
It re-checks every minute and shows changes made on other desks within a second. A promise that turns
at risk or overdue raises an alert (a notice and the bell); space acknowledges it, z snoozes it, ! lists
them all. An overdue alert nobody acknowledged reminds again every {remind:g} business minutes."""


def key_lines(bindings: list[Binding]) -> Content:
    keys = [(b.key_display or b.key, b.tooltip or b.description) for b in bindings if b.action != "app.help"]
    return Content("\n").join(Content.assemble((f"{key:>7}  ", "bold $accent"), text) for key, text in keys)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="help"):
            yield Label("Keys", classes="form-title")
            keys = [(b.key_display or b.key, b.tooltip or b.description) for b in BOARD_BINDINGS] + EXTRA_KEYS
            lines = [Content.assemble((f"{key:>7}  ", "bold $accent"), text) for key, text in keys]
            yield Static(Content("\n").join(lines), id="help-keys")
            desk = getattr(self.app, "desk", None)
            remind = desk.settings.remind_every_minutes if desk else 30
            yield Static(Content(ABOUT.format(remind=remind)), id="help-about")
            yield Label("Supervisor review (v)", classes="form-title")
            yield Static(key_lines(REVIEW_BINDINGS), id="help-review")
            yield Label("Stats (s)", classes="form-title")
            yield Static(key_lines(STATS_BINDINGS), id="help-stats")
            yield Label("esc closes", classes="hint")
