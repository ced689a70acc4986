"""The weekly trend panel: Textual's ``Sparkline`` of the on-time and proactive-contact rates of the last weeks,
each week's figure written under its bars. A week with nothing closed has no rate: it is drawn as 0 and written
``—``, and a note says so."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Label, Sparkline, Static

if TYPE_CHECKING:
    from promisetrack.metrics import TrendPoint  # metrics comes with the stats screen (stats.py), not with this widget

CELLS = 4  # columns per week: room for "100" under its bars
LABEL = 12  # the width of the series' names (app.tcss .trend-label)
SERIES = (("on-time", "on_time_rate"), ("proactive", "proactive_contact_rate"))


def week_name(label: str) -> str:
    """``2026-W48`` → ``W48``."""
    return label.rsplit("-", 1)[-1]


def values_line(values: Sequence[float | None]) -> str:
    return "".join(f"{'—' if v is None else f'{v * 100:.0f}':>{CELLS}}" for v in values)


class TrendPanel(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("", classes="trend-weeks")
        for name, attr in SERIES:
            with Horizontal(classes="trend-row"):
                yield Label(f"{name} %", classes="trend-label")
                yield Sparkline([], id=f"spark-{attr}", classes="trend-spark")
            with Horizontal(classes="trend-row"):
                yield Label("", classes="trend-label")
                yield Static("", id=f"values-{attr}", classes="trend-values")
        yield Static("", classes="trend-note")

    def show(self, points: Sequence[TrendPoint]) -> None:
        weeks = "".join(f"{week_name(p.label):>{CELLS}}" for p in points)
        self.query_one(".trend-weeks", Static).update(Content.assemble((f"{'week':<{LABEL}}", "dim"), (weeks, "dim")))
        missing = False
        for _, attr in SERIES:
            values: list[float | None] = [getattr(p, attr) for p in points]
            missing |= None in values
            spark = self.query_one(f"#spark-{attr}", Sparkline)
            spark.styles.width = CELLS * len(points)  # dynamic: as many weeks as there are points
            spark.data = [v or 0.0 for v in values for _ in range(CELLS)]
            self.query_one(f"#values-{attr}", Static).update(values_line(values))
        note = self.query_one(".trend-note", Static)
        note.update(Content.styled("— nothing closed: no rate (drawn as 0)", "dim") if missing else "")
        note.display = missing
