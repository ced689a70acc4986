"""One customer (``enter`` on the customer line of a promise's detail): name, phone, email, the notes the desk
keeps on them and every promise of theirs, the archived ones too — read in a worker thread."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from promisetrack.customers import CustomerSummary
from promisetrack.dates import format_due
from promisetrack.errors import DataError, PromiseError
from promisetrack.model import Promise
from promisetrack.outcomes import derive_outcome
from promisetrack.service import Desk


class CustomerScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("backspace", "app.pop_screen", "Back", show=False),
    ]

    def __init__(self, desk: Desk, customer_id: int) -> None:
        super().__init__(classes="detail")
        self.desk, self.customer_id = desk, customer_id
        self.summary: CustomerSummary | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content("reading the customer…"), id="customer-title")
        yield Label("Notes", classes="section")
        yield Static("", id="customer-notes")
        yield Label("Every promise, newest first, archive included (enter opens one)", classes="section")
        yield DataTable(id="customer-promises", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#customer-promises", DataTable)
        for label, key in (("id", "id"), ("promise", "what"), ("status", "status"), ("due / closed", "when")):
            table.add_column(label, key=key)
        table.focus()
        self._read()

    @work(thread=True, exclusive=True, group="customer", exit_on_error=False)
    def _read(self) -> None:
        try:
            found = self.desk.customer(self.customer_id)
        except (DataError, PromiseError) as exc:
            self.app.call_from_thread(self._failed, exc.message)
            return
        self.app.call_from_thread(self._show, *found)

    def _failed(self, message: str) -> None:
        if self.is_attached:
            self.query_one("#customer-title", Static).update(Content(message))

    def _show(self, summary: CustomerSummary, promises: list[Promise]) -> None:
        if not self.is_attached:
            return
        self.summary = summary
        c, now, tz = summary.customer, self.desk.now(), self.desk.calendar.tz
        self.query_one("#customer-title", Static).update(Content.assemble(
            (f"Customer {c.id} — ", "bold"), (c.name, "bold"), *[f"   {x}" for x in (c.phone, c.email) if x],
            (f"\n{summary.open} open, {summary.closed} closed, {summary.broken} broken", "dim")))
        notes = [Content.assemble((f"{format_due(n.at, now, tz)}  {n.by}  ", "dim"), n.text) for n in summary.notes]
        self.query_one("#customer-notes", Static).update(Content("\n").join(notes) if notes else
                                                          Content.styled("none", "dim"))
        table = self.query_one("#customer-promises", DataTable)
        table.clear()
        for p in promises:
            outcome = derive_outcome(p)
            status = p.status.value + (f" ({outcome.value})" if outcome else "") + (" · complaint" * p.complaint)
            when = format_due(p.closed_at or p.due, now, tz)
            table.add_row(Text(str(p.id)), Text(p.what), Text(status), Text(when), key=str(p.id))

    @on(DataTable.RowSelected, "#customer-promises")
    def _open_promise(self, event: DataTable.RowSelected) -> None:
        from promisetrack.tui.screens.detail import DetailScreen

        key = event.row_key.value
        if key and key.isdigit():
            self.app.push_screen(DetailScreen(self.desk, int(key)))
