"""The summary bar over the board: open / at-risk / overdue / waiting counts, unacknowledged alerts, the filters
in force, the user and the clock."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from textual.content import Content
from textual.widgets import Static


class Summary(NamedTuple):
    open: int
    at_risk: int
    overdue: int
    shown: int
    user: str
    now: datetime
    waiting: int = 0
    unacknowledged: int = 0  # overdue promises whose alert nobody has acknowledged
    closed: str = ""  # "closed today: Christmas Day", "closed — opens Mon 30 09:00"; "" while the desk is open
    text_filter: str = ""
    mine: bool = False
    role_play: bool = False


class SummaryBar(Static):
    """One line; every value is inserted literally (a user name or a filter may hold ``[``)."""

    _shown: Summary | None = None  # the summary on show, drawn again to the new width on a resize

    def show(self, s: Summary) -> None:
        """The line for ``s``; on a terminal too narrow for all of it, the role-play hint goes first, then the name
        of the program, then the date beside the time, so that the counts, the alerts, the closed note and the time
        stay in view."""
        self._shown = s
        width = self.size.width or self.app.size.width
        for hint, title, date in ((True, True, True), (False, True, True), (False, False, True), (False, False, False)):
            line = self._line(s, hint=hint, title=title, date=date)
            if line.cell_length <= width:
                break
        self.update(line)

    def on_resize(self) -> None:
        if self._shown is not None:
            self.show(self._shown)

    def _line(self, s: Summary, *, hint: bool, title: bool, date: bool) -> Content:
        parts: list[str | Content | tuple[str, str]] = [("promisetrack", "bold"), "  "] if title else []
        parts += [
            (f"{s.open} open", "bold"), " · ",
            (f"{s.at_risk} at risk", "bold $warning" if s.at_risk else ""), " · ",
            (f"{s.overdue} overdue", "bold $error" if s.overdue else ""),
        ]
        if s.waiting:  # most of the time none: the room goes to the rest
            parts += [" · ", (f"{s.waiting} waiting", "bold $accent")]
        if s.unacknowledged:
            parts += ["   ", (f"! {s.unacknowledged} not acknowledged", "bold $error")]
        if s.mine or s.text_filter:
            shown = ("mine" if s.mine else "", f"“{s.text_filter}”" if s.text_filter else "")
            what = " and ".join(x for x in shown if x)
            parts += ["   ", (f"showing {s.shown}: {what}", "$accent")]
        if s.closed:
            parts += ["   ", (s.closed, "bold $secondary")]
        clock = f"{s.now:%a %d %b %H:%M}" if date else f"{s.now:%H:%M}"
        parts += ["   ", s.user, " · ", (clock, "bold")]
        if s.role_play and hint:
            parts.append(("  (role-play: t = +1h)", "dim"))
        return Content.assemble(*parts)
