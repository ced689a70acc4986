"""One promise in full: who, what, due (and the original due), risk with every reason, the whole event timeline,
and the customer's other promises — the archived ones too, read in a worker thread. The promise keys of the board
work here on this promise."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from promisetrack.dates import describe_due, format_due
from promisetrack.errors import DataError, PromiseError
from promisetrack.model import EventKind, Promise
from promisetrack.outcomes import derive_outcome
from promisetrack.service import Desk, Row
from promisetrack.timeline import event_details
from promisetrack.tui.screens.board import BOARD_BINDINGS
from promisetrack.tui.screens.kinds import BoardKeys, FollowsEveryRead, OnARow
from promisetrack.tui.widgets.risk_badge import RiskBadge

_PROMISE_KEYS = {"app.contact", "app.reschedule", "app.done", "app.cancel", "app.reassign", "app.flag",
                 "app.undo", "app.advance", "app.help", "app.complaint"}


class CustomerLine(Static, can_focus=True):
    """The line under the head that leads to the customer: ``enter`` on it (or a click) opens the customer."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "screen.customer", "Customer")]

    def on_click(self) -> None:
        self.screen.run_action("customer")  # type: ignore[union-attr]


class DetailScreen(OnARow, FollowsEveryRead, BoardKeys, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("backspace", "app.pop_screen", "Back", show=False),
        Binding("o", "customer", "Customer", show=False, tooltip="open the customer: notes and every promise"),
        *[b for b in BOARD_BINDINGS if b.action in _PROMISE_KEYS],
    ]

    def __init__(self, desk: Desk, pid: int) -> None:
        super().__init__(classes="detail")
        self.desk, self.pid = desk, pid
        self.row: Row | None = None
        self.history_ids: list[int] = []  # the customer's other promises shown, newest first

    def compose(self) -> ComposeResult:
        with Horizontal(id="detail-head"):
            yield Static("", id="detail-title")
            yield RiskBadge(id="detail-risk")
        yield Static("", id="detail-info")
        yield CustomerLine("", id="detail-customer", markup=False)
        yield Label("Timeline", classes="section")
        yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Label("The customer's other promises (enter opens one)", classes="section")
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        timeline = self.query_one("#timeline", DataTable)
        for label, key in (("when", "at"), ("who", "by"), ("what", "kind"), ("details", "details")):
            timeline.add_column(label, key=key)
        history = self.query_one("#history", DataTable)
        for label, key in (("id", "id"), ("promise", "what"), ("status", "status"), ("due / closed", "when")):
            history.add_column(label, key=key)
        self.reload()
        timeline.focus()

    @property
    def current_row(self) -> Row | None:
        return self.row

    def reload(self, *, full: bool = True) -> None:
        """Read the promise again: after a change or another desk's write (``full``), or on the tick (head only)."""
        try:
            self.row = self.desk.row(self.pid)
        except PromiseError as exc:
            self.row = None
            self.query_one("#detail-title", Static).update(Content(exc.message))
            self.query_one("#detail-info", Static).update("")
            return
        now = self.desk.now()
        self._show_head(self.row, now)
        if full:
            self._show_timeline(self.row.promise, now)
            self._show_history(self.row.promise, now)

    def _show_head(self, row: Row, now: datetime) -> None:
        p, tz = row.promise, self.desk.calendar.tz
        c = p.customer
        self.query_one("#detail-title", Static).update(
            Content.assemble((f"Promise {p.id}", "bold"), " — ", (p.what, "bold")))
        self.query_one("#detail-risk", RiskBadge).show(row.risk, row.assessment.reasons if row.assessment else ())
        due = f"{format_due(p.due, now, tz)} ({describe_due(p.due, now)})" if p.is_open else format_due(p.due, now, tz)
        if p.original_due != p.due:
            due += f"    originally {format_due(p.original_due, now, tz)}"
        lines: list[Content] = [
            Content.assemble(("customer  ", "dim"), (c.name, "bold"), *[f"   {x}" for x in (c.phone, c.email) if x]),
            Content.assemble(("owner     ", "dim"), p.owner, ("    category ", "dim"), p.category,
                             ("    complaint" if p.complaint else "", "bold magenta")),
            Content.assemble(("due       ", "dim"), due),
            Content.assemble(("made      ", "dim"), format_due(p.created_at, now, tz), ("  by ", "dim"),
                             p.events[0].by if p.events else ""),
            Content.assemble(("status    ", "dim"), self._status(p, now)),
        ]
        if p.blocked:
            lines.append(Content.assemble(("blocked   ", "dim"), (p.blocked_note or "(no note)", "$warning")))
        self.query_one("#detail-info", Static).update(Content("\n").join(lines))
        self.query_one(CustomerLine).update(Content(f"▸ customer #{c.id}: notes and every promise (enter, o)"))

    def action_customer(self) -> None:
        from promisetrack.tui.screens.customer import CustomerScreen

        if self.row is not None:
            self.app.push_screen(CustomerScreen(self.desk, self.row.promise.customer.id))

    def _status(self, p: Promise, now: datetime) -> str:
        if p.is_open:
            return "open"
        outcome = derive_outcome(p)
        closed = format_due(p.closed_at, now, self.desk.calendar.tz) if p.closed_at else ""
        text = f"{p.status.value} {closed} — {outcome.value if outcome else ''}"
        if p.csat:
            text += f", csat {p.csat}"
        if p.cancel_reason:
            text += f" ({p.cancel_reason})"
        return text

    def _show_timeline(self, p: Promise, now: datetime) -> None:
        table, tz = self.query_one("#timeline", DataTable), self.desk.calendar.tz
        effective, cursor = set(p.effective_indices()), table.cursor_row
        table.clear()
        for index, e in enumerate(p.events):
            style = "" if index in effective or e.kind is EventKind.UNDONE else "dim strike"
            table.add_row(
                Text(format_due(e.at, now, tz), style=style), Text(e.by, style=style),
                Text(e.kind.value, style=style), Text(event_details(e, now, self.desk.calendar.tz), style=style),
                key=str(index),
            )
        table.move_cursor(row=cursor, scroll=False)

    def _show_history(self, p: Promise, now: datetime) -> None:
        """The customer's promises of the live file at once; the archived ones join when the worker has read them."""
        self._fill_history([o for o in self.desk.customer_history(p.customer.id, archived=False) if o.id != p.id],
                           now)
        self._read_archived_history(p.id, p.customer.id)

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _read_archived_history(self, pid: int, customer_id: int) -> None:
        try:
            promises = self.desk.customer_history(customer_id)
        except (DataError, PromiseError) as exc:
            self.app.call_from_thread(self.notify, f"The customer's archived promises could not be read: {exc.message}",
                                      severity="warning", markup=False)
            return
        self.app.call_from_thread(self._archived_history, pid, [o for o in promises if o.id != pid])

    def _archived_history(self, pid: int, others: list[Promise]) -> None:
        if pid != self.pid or not self.is_attached:
            return
        if [o.id for o in others] != self.history_ids:
            self._fill_history(others, self.desk.now())

    def _fill_history(self, others: list[Promise], now: datetime) -> None:
        table, tz = self.query_one("#history", DataTable), self.desk.calendar.tz
        table.clear()
        self.history_ids = [o.id for o in others]
        for o in others:
            outcome = derive_outcome(o)
            status = o.status.value + (f" ({outcome.value})" if outcome else "")
            when = format_due(o.closed_at if o.closed_at else o.due, now, tz)
            table.add_row(Text(str(o.id)), Text(o.what), Text(status), Text(when), key=str(o.id))
        if not others:
            table.add_row(Text(""), Text("none", style="dim"), Text(""), Text(""), key="none")

    @on(DataTable.RowSelected, "#history")
    def _open_other(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key and key.isdigit():
            self.app.push_screen(DetailScreen(self.desk, int(key)))
