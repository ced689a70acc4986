"""The complaint key (``p``): set the complaint flag of the promise, or clear it — open or closed, at any time (a
complaint often arrives after the promise was made). Each is an event on the timeline."""

from __future__ import annotations

from collections.abc import Iterator

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Static

from promisetrack.service import Desk, Row, clean_text
from promisetrack.tui.screens.forms import FormScreen, Job, OneTextForm, Saved, field


class ComplaintForm(OneTextForm):
    title_text = "The customer complained"
    save_label = "Record complaint"
    label, placeholder = "About", "what the customer complained about"

    def act(self, desk: Desk, pid: int, text: str) -> str:
        desk.complaint(pid, text)
        return f"{pid}: complaint recorded"


class ClearComplaintForm(FormScreen):
    title_text = "Clear the complaint?"
    save_label = "Clear complaint"

    def fields(self) -> Iterator[Widget]:
        yield Static(Content("The timeline keeps the complaint and shows it cleared."), classes="hint")
        yield field("Why", Input(placeholder="optional, e.g. logged on the wrong promise", id="why", compact=True))

    def problems(self) -> list[str]:
        return [m for m in [self.check(lambda: clean_text(self.value("#why"), "why", required=False))] if m]

    def job(self) -> Job:
        assert self.row is not None
        pid, why = self.row.promise.id, self.value("#why")

        def save(desk: Desk) -> Saved:
            desk.clear_complaint(pid, why)
            return Saved(pid, f"{pid}: complaint cleared")

        return save


def complaint_form(desk: Desk, row: Row) -> FormScreen:
    """Set the complaint, or clear the one there is."""
    return (ClearComplaintForm if row.promise.complaint else ComplaintForm)(desk, row)
