"""The alerts panel (``!``): every promise whose alert is up — at risk or overdue — newest first, with who
acknowledged it (or until when it is snoozed). ``space`` acknowledges the highlighted one, ``z`` snoozes it.

The panel reads nothing itself: the app hands it the board's rows and when it saw each alert come up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Static

from promisetrack.alerts import AlertKey, AlertState, alert_key, alert_state
from promisetrack.dates import format_due
from promisetrack.model import Risk
from promisetrack.service import Row
from promisetrack.tui.screens.kinds import OnARow, ShowsAlerts
from promisetrack.tui.widgets.fixed_table import FixedWidthTable
from promisetrack.tui.widgets.promise_table import id_cells
from promisetrack.tui.widgets.risk_badge import badge_cell

ALERTS_BINDINGS = [
    Binding("escape", "app.pop_screen", "Back", key_display="esc", tooltip="back to the board"),
    Binding("space", "app.acknowledge", "Acknowledge", key_display="space",
            tooltip="acknowledge the highlighted alert: you own it"),
    Binding("z", "app.snooze", "Snooze", tooltip="snooze the highlighted alert: 15 minutes, 1 hour, tomorrow"),
    Binding("enter", "app.detail", "Detail", tooltip="the promise in full, with its timeline"),
]
COLUMNS = ("raised", "id", "customer", "state", "alert")
WIDTHS = {"raised": 16, "id": 5, "customer": 16, "state": 30}  # the alert and its reasons take the rest


@dataclass(frozen=True, slots=True)
class Alert:
    row: Row
    state: AlertState
    raised: datetime


def current_alerts(rows: Iterable[Row], raised: Mapping[AlertKey, datetime], now: datetime) -> list[Alert]:
    """The alerts that are up, newest first. An overdue alert came up at the due; an at-risk one when this board
    saw it turn (or, for one already at risk when the board opened, at the start)."""
    alerts = []
    for row in rows:
        key = alert_key(row)
        state = alert_state(row.promise, row.risk)
        if key is None or state is None:
            continue
        when = row.promise.due if row.risk is Risk.OVERDUE else raised.get(key, now)
        alerts.append(Alert(row, state, when))
    alerts.sort(key=lambda a: (a.raised, a.row.promise.id), reverse=True)
    return alerts


def _cut(value: str) -> Text:
    return Text(value, no_wrap=True, overflow="ellipsis", end="")


def state_text(alert: Alert, now: datetime, tz: tzinfo) -> Text:
    acknowledged = alert.state.acknowledged
    if acknowledged is not None:
        return Text(f"✓ {acknowledged.by} {format_due(acknowledged.at, now, tz)}", "green", no_wrap=True,
                    overflow="ellipsis")
    if alert.state.snoozed(now):
        assert alert.state.snoozed_until is not None
        return Text(f"snoozed to {format_due(alert.state.snoozed_until, now, tz)}", "dim")
    return Text("not acknowledged", "bold red")


class AlertsScreen(OnARow, ShowsAlerts, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(ALERTS_BINDINGS)

    def __init__(self, tz: tzinfo, rows: list[Row], raised: Mapping[AlertKey, datetime], now: datetime) -> None:
        super().__init__(id="alerts")
        self.tz = tz
        self.alerts: list[Alert] = []
        self._first = (rows, raised, now)

    def compose(self) -> ComposeResult:
        yield Static("", id="alerts-head")
        yield FixedWidthTable(cursor_type="row", zebra_stripes=True, id="alerts-table")
        yield Static("No alerts: nothing is at risk or overdue.", id="alerts-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(FixedWidthTable)
        rest = self.app.size.width - sum(WIDTHS.values()) - 2 * len(COLUMNS) - 2
        for key in COLUMNS:
            table.add_column(key, key=key, width=WIDTHS.get(key, max(rest, 20)))
        self.show(*self._first)

    @property
    def current_row(self) -> Row | None:
        table = self.query_one(FixedWidthTable)
        if not self.alerts or not table.is_valid_row_index(table.cursor_row):
            return None
        return self.alerts[table.cursor_row].row

    def show(self, rows: Iterable[Row], raised: Mapping[AlertKey, datetime], now: datetime) -> None:
        table = self.query_one(FixedWidthTable)
        keep = self.current_row
        self.alerts = current_alerts(rows, raised, now)
        ids = max(WIDTHS["id"], id_cells(str(a.row.promise.id) for a in self.alerts))
        if ids > table.columns["id"].width:  # type: ignore[index]  # a longer id came up: never cut it
            table.set_widths({"id": ids})
        table.clear()
        for alert in self.alerts:
            p = alert.row.promise
            reasons = alert.row.assessment.reasons if alert.row.assessment else ()
            table.add_row(
                Text(format_due(alert.raised, now, self.tz)), Text(str(p.id)), _cut(p.customer.name),
                state_text(alert, now, self.tz), badge_cell(alert.row.risk, reasons), key=str(p.id),
            )
        if keep is not None and any(a.row.promise.id == keep.promise.id for a in self.alerts):
            table.move_cursor(row=table.get_row_index(str(keep.promise.id)))
        waiting = sum(1 for a in self.alerts if a.state.acknowledged is None and not a.state.snoozed(now))
        self.query_one("#alerts-head", Static).update(Text(
            f"Alerts — {len(self.alerts)} up, {waiting} not acknowledged · newest first · "
            "space acknowledges, z snoozes", "bold"))
        self.query_one("#alerts-empty", Static).display = not self.alerts
