"""The kudos form: praise for a staff member from a customer or a colleague (``k`` on the board), counted per
person on the stats screen's recognition panel."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Static

from promisetrack.service import NAME_LIMIT, Desk, clean_text
from promisetrack.tui.screens.forms import FormScreen, Job, Saved, field


def staff_names(desk: Desk, also: Iterable[str] = ()) -> list[str]:
    """The desk's staff and any other names given (e.g. owners of open promises), each once, staff first."""
    names: dict[str, str] = {}
    for name in (*desk.settings.staff, *also):
        if name.strip():
            names.setdefault(name.casefold(), name)
    return list(names.values())


class KudosForm(FormScreen):
    title_text = "Kudos — praise for a colleague"
    save_label = "Record kudos"

    def __init__(self, desk: Desk, *, person: str = "", customer: str = "", owners: Iterable[str] = ()) -> None:
        super().__init__(desk)
        self.person, self.customer = person, customer
        self.names = staff_names(desk, owners)

    def fields(self) -> Iterator[Widget]:
        yield field("Person", Input(self.person, placeholder=", ".join(self.names) or "who is praised",
                    suggester=SuggestFromList(self.names, case_sensitive=False), id="person", compact=True))
        yield field("Note", Input(placeholder="what they did, e.g. rang back before the due with good news", id="note",
                    compact=True))
        yield field("Customer", Input(self.customer, placeholder="optional: the customer who praised them",
                                      id="customer", compact=True))
        yield Static("leave Customer empty when the praise is from a colleague", classes="hint")

    def on_mount(self) -> None:
        # FormScreen's own on_mount (Textual runs it after this one) focuses the first field; with the person
        # already filled in, the note is what is left to type.
        if self.person:
            self.call_after_refresh(self.query_one("#note", Input).focus)

    def problems(self) -> list[str]:
        found = [
            self.check(lambda: clean_text(self.value("#person"), "person", limit=NAME_LIMIT)),
            self.check(lambda: clean_text(self.value("#note"), "note")),
            self.check(lambda: clean_text(self.value("#customer"), "customer", required=False, limit=NAME_LIMIT)),
        ]
        return [m for m in found if m]

    def job(self) -> Job:
        person, note, customer = self.value("#person"), self.value("#note"), self.value("#customer")

        def save(desk: Desk) -> Saved:
            doc = desk.kudos(person, note, customer)
            return Saved(None, f"Kudos recorded for {doc['person']}")

        return save
