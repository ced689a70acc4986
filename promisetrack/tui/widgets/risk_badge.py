"""The risk badge: ``OVERDUE`` / ``AT RISK`` / ``WAITING`` / ``ok`` with its reasons, as a table cell and a widget."""

from __future__ import annotations

from rich.text import Span, Text
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from promisetrack.model import Risk

LABELS = {Risk.OVERDUE: "OVERDUE", Risk.AT_RISK: "AT RISK", Risk.WAITING: "WAITING", Risk.OK: "ok"}
# Table cells are Rich renderables, which CSS cannot reach: these are the badge's colours there.
CELL_STYLES = {Risk.OVERDUE: "bold white on dark_red", Risk.AT_RISK: "bold black on yellow",
               Risk.WAITING: "bold white on dark_blue", Risk.OK: "green"}
CSS_CLASSES = {Risk.OVERDUE: "-overdue", Risk.AT_RISK: "-at-risk", Risk.WAITING: "-waiting", Risk.OK: "-ok"}


def badge_cell(level: Risk | None, reasons: tuple[str, ...] = (), *, with_reasons: bool = True) -> Text:
    """The badge as a DataTable cell; reasons (user text may be in them) are appended literally."""
    if level is None:
        return Text("-")
    label = f" {LABELS[level]} "
    shown = [r for r in reasons if not r.startswith("overdue ")] if level is Risk.OVERDUE else reasons
    plain = f"{label} {'; '.join(shown)}" if with_reasons and shown else label
    # One Text with the label's style as a span: what appending the label and then the reasons builds, made at once
    # (the board makes 2,000 of these before its first frame).
    return Text(plain, no_wrap=True, overflow="ellipsis", end="", spans=[Span(0, len(label), CELL_STYLES[level])])


class RiskBadge(Static):
    """The badge with every reason, for the detail view and the board's status line."""

    level: reactive[Risk | None] = reactive(None)
    reasons: reactive[tuple[str, ...]] = reactive(())

    def show(self, level: Risk | None, reasons: tuple[str, ...]) -> None:
        self.level, self.reasons = level, tuple(reasons)

    def watch_level(self, old: Risk | None, new: Risk | None) -> None:
        if old is not None:
            self.remove_class(CSS_CLASSES[old])
        if new is not None:
            self.add_class(CSS_CLASSES[new])
        self.update(self._content())

    def watch_reasons(self) -> None:
        self.update(self._content())

    def _content(self) -> Content:
        if self.level is None:
            return Content("closed")
        label = Content.assemble((f" {LABELS[self.level]} ", "reverse bold"))
        if not self.reasons:
            return label
        return Content.assemble(label, " ", "; ".join(self.reasons))
