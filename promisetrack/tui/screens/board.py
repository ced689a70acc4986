"""The board: every open promise, overdue first, then at risk, then by due; a filter line, the summary bar and a
status line that shows the highlighted promise in full (the reasons of its risk, its original due)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from promisetrack.dates import describe_due, format_due
from promisetrack.model import Risk
from promisetrack.service import Desk, FirstBoard, Row
from promisetrack.tui.widgets.promise_table import DueTimes, PromiseTable, RowView
from promisetrack.tui.widgets.risk_badge import RiskBadge
from promisetrack.tui.widgets.steady_footer import SteadyFooter
from promisetrack.tui.widgets.summary_bar import Summary, SummaryBar

# The board's keys: they feed the footer, the help screen and the command palette (app.get_system_commands).
BOARD_BINDINGS = [
    Binding("n", "app.new", "New", tooltip="make a new promise"),
    Binding("c", "app.contact", "Contact",
            tooltip="contact the customer: a prepared notice (copy, mail, SMS) or a note"),
    Binding("r", "app.reschedule", "Reschedule", tooltip="agree a new due with the customer"),
    Binding("d", "app.done", "Done", tooltip="the promise was kept (csat 1–5 optional)"),
    Binding("x", "app.cancel", "Cancel", tooltip="cancel the promise (a reason is required)"),
    Binding("a", "app.reassign", "Reassign", show=False, tooltip="give the promise to a colleague"),
    Binding("f", "app.flag", "Flag", show=False, tooltip="flag as blocked (waiting on someone), or unflag"),
    Binding("w", "app.wait", "Wait", show=False,
            tooltip="waiting on the customer (the risk clock pauses), or resume when they come back"),
    Binding("space", "app.acknowledge", "Ack", key_display="space", show=False,
            tooltip="acknowledge the promise's alert: you own it (the risk stays)"),
    Binding("z", "app.snooze", "Snooze", show=False, tooltip="snooze the alert: 15 minutes, 1 hour, tomorrow"),
    Binding("exclamation_mark", "app.alerts", "Alerts", key_display="!",
            tooltip="alerts: every at-risk and overdue promise, newest first, and who acknowledged"),
    Binding("p", "app.complaint", "Complaint", show=False,
            tooltip="the customer complained (open or closed promise), or clear the complaint"),
    Binding("u", "app.undo", "Undo", show=False, tooltip="undo your last change"),
    Binding("slash", "filter", "Filter", key_display="/", tooltip="filter by text: customer, phone, promise…"),
    Binding("m", "mine", "Mine", tooltip="only my promises (press again for everyone's)"),
    Binding("enter", "app.detail", "Detail", show=False, tooltip="the promise in full, with its timeline"),
    Binding("t", "app.advance", "+1 hour", show=False, tooltip="role-play: move the clock on an hour (--demo, --now)"),
    Binding("question_mark", "app.help", "Help", key_display="?", tooltip="this list of keys"),
    # after Help: on an 80-column terminal the footer cuts these rather than the way to the help
    Binding("v", "app.review", "Review", tooltip="supervisor review: overdue and at-risk promises by owner"),
    Binding("s", "app.stats", "Stats", tooltip="stats: this week and month against the last, trends, recognition"),
    Binding("k", "app.kudos", "Kudos", show=False, tooltip="record kudos: praise for a colleague"),
    Binding("q", "app.quit", "Quit", show=False, tooltip="quit the board"),
]


def matches(row: Row, needle: str) -> bool:
    """Does the promise mention ``needle`` (id, customer, phone, email, what, owner, category)?"""
    p, c = row.promise, row.promise.customer
    haystack = " ".join((str(p.id), c.name, c.phone, c.email, p.what, p.owner, p.category)).casefold()
    return needle.casefold() in haystack


class BoardScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *BOARD_BINDINGS,
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    AUTO_FOCUS = "#promises"  # the list has the keys from the start (the filter box above it is hidden)
    # The app's breakpoint classes (-narrow, -short…) style the forms, the detail and the stats; the board has no
    # rule of its own for them, and a change of a screen's classes restyles and redraws the whole of it — at the
    # start, the board's first frame twice.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = []
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = []

    text_filter: reactive[str] = reactive("", init=False)
    mine: reactive[bool] = reactive(False, init=False)

    def __init__(self, desk: Desk, on_ready: Callable[[], None]) -> None:
        super().__init__(id="board")
        self.desk, self.on_ready = desk, on_ready
        self.rows: list[Row] = []
        self.by_id: dict[int, Row] = {}
        self.now: datetime | None = None
        self.first: FirstBoard | None = None  # while only the first rows are shown: the whole board's counts
        self.role_play = False
        self.unacknowledged = 0  # overdue promises nobody has acknowledged (the app counts them)
        self.due_times = DueTimes(desk.calendar.tz)

    def compose(self) -> ComposeResult:
        yield SummaryBar(id="summary")
        yield Static("", id="offline")
        yield Input(placeholder="filter: customer, phone, promise, owner, id… (enter: back to the list, esc: clear)",
                    id="filter")
        yield PromiseTable(id="promises")
        yield Static("", id="empty")
        yield Static("", id="status-line")
        yield RiskBadge(id="status-risk")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.on_ready()  # the widgets exist: the app fills the table before the first frame

    @property
    def table(self) -> PromiseTable:
        return self.query_one(PromiseTable)

    # ------------------------------------------------------------------ showing
    def show(self, rows: list[Row], now: datetime, first: FirstBoard | None = None) -> None:
        """Show ``rows`` (every open promise, in board order) through the filters in force. At the start, ``first``:
        ``rows`` are the board's first rows only (``Desk.first_board``), and the header counts come from it."""
        self.rows, self.now, self.first = rows, now, first
        self.by_id = {r.promise.id: r for r in rows}
        self._redraw()

    def _visible(self) -> list[Row]:
        rows = self.rows
        if self.mine:
            user = self.desk.user.casefold()
            rows = [r for r in rows if r.promise.owner.casefold() == user]
        if self.text_filter.strip():
            rows = [r for r in rows if matches(r, self.text_filter.strip())]
        return rows

    def _redraw(self) -> None:
        if self.now is None:
            return
        visible = self._visible()
        tz, due_time = self.desk.calendar.tz, self.due_times.at(self.now)
        self.table.show(RowView.of(r, self.now, tz, due_time) for r in visible)
        if self.first is not None and not self.first.complete:
            counts, total = self.first.counts, self.first.total
        else:
            counts, total = Counter(r.risk for r in self.rows), len(self.rows)
        self.query_one(SummaryBar).show(Summary(
            open=total, at_risk=counts.get(Risk.AT_RISK, 0), overdue=counts.get(Risk.OVERDUE, 0),
            shown=len(visible), user=self.desk.user, now=self.now.astimezone(tz),
            waiting=counts.get(Risk.WAITING, 0), unacknowledged=self.unacknowledged,
            closed=self.desk.closed_note(self.now),
            text_filter=self.text_filter.strip(), mine=self.mine, role_play=self.role_play,
        ))
        empty = self.query_one("#empty", Static)
        empty.display = not visible
        if not visible:
            empty.update("No open promises here. Press n to make one." if not self.rows
                         else "Nothing matches the filter. Press m or esc to show everything.")
        self._show_status()

    @on(DataTable.RowHighlighted)
    def _show_status(self) -> None:
        """The highlighted promise in full under the table (the table may have cut its reasons short)."""
        pid = self.table.cursor_pid
        row = self.by_id.get(pid) if pid is not None else None
        line, badge = self.query_one("#status-line", Static), self.query_one("#status-risk", RiskBadge)
        if row is None or self.now is None:
            line.update("")
            badge.show(None, ())
            badge.display = False
            return
        p, tz = row.promise, self.desk.calendar.tz
        c = p.customer
        contact = " · ".join(x for x in (c.phone, c.email) if x)
        due = f"due {format_due(p.due, self.now, tz)} ({describe_due(p.due, self.now)})"
        if p.original_due != p.due:
            due += f", originally {format_due(p.original_due, self.now, tz)}"
        line.update(Content.assemble(
            (f"{p.id} ", "bold"), c.name, (f"  {contact}" if contact else "", "dim"), "  │  ", due,
            "  │  ", p.category, (" · complaint" if p.complaint else "", "bold magenta"),
        ))
        badge.display = True
        badge.show(row.risk, row.assessment.reasons if row.assessment else ())

    def show_offline(self, reason: str) -> None:
        """The banner while the database cannot be reached: nothing can be saved, what is typed is kept."""
        banner = self.query_one("#offline", Static)
        said = reason if reason.startswith("offline") else f"offline — reconnecting ({reason})"
        kept = " · nothing can be saved until it is back; what you type is kept"
        banner.update(Content.assemble((said, "bold"), kept) if reason else "")
        banner.display = bool(reason)

    @property
    def cursor_pid(self) -> int | None:
        return self.table.cursor_pid

    # ------------------------------------------------------------------ filters
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-shown")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_class("-shown") or box.value:
            box.value = ""
            box.remove_class("-shown")
            self.table.focus()

    def action_mine(self) -> None:
        self.mine = not self.mine

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.text_filter = event.value

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        if not self.query_one("#filter", Input).value:
            self.query_one("#filter", Input).remove_class("-shown")
        self.table.focus()

    def watch_text_filter(self) -> None:
        self._redraw()

    def watch_mine(self) -> None:
        self._redraw()

    @on(DataTable.RowSelected)
    async def _open_detail(self) -> None:
        await self.app.run_action("app.detail")
