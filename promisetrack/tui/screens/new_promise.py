"""The new-promise form: known customers suggested as you type (picking one fills phone and email), the due phrase
read live under its field, the reality check's warnings before saving."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from promisetrack.model import Customer
from promisetrack.service import NAME_LIMIT, Desk, clean_text
from promisetrack.tui.screens.forms import (
    FormScreen,
    Job,
    Saved,
    _due_preview,
    field,
    field_label,
    put,
    warnings_content,
)

SUGGESTIONS = 5


class NewPromiseForm(FormScreen):
    title_text = "New promise"
    save_label = "Make the promise"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("down", "down", "Next / suggestions", show=False)]

    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        self.suggested: dict[str, Customer] = {}
        self.picked: Customer | None = None

    def fields(self) -> Iterator[Widget]:
        settings = self.desk.settings
        yield field("Customer", Input(placeholder="name, phone or email — known customers are suggested", id="customer",
                    compact=True))
        yield OptionList(id="suggestions")
        with Horizontal(classes="field"):
            yield field_label("Phone")
            yield Input(id="phone", compact=True)
            yield field_label("Email", "inner")
            yield Input(id="email", compact=True)
        yield field("Promise", Input(placeholder="what was promised, e.g. call back with the repair quote", id="what",
                    compact=True))
        yield field("Due", Input(placeholder="e.g. tomorrow 10am, fri 5pm, eod, +2bd, +3h", id="due", compact=True))
        yield Static("", id="due-preview", classes="hint")
        with Horizontal(classes="field"):
            yield field_label("Owner")
            yield Input(self.desk.user, suggester=SuggestFromList(settings.staff, case_sensitive=False),
                        id="owner", compact=True)
            yield field_label("Category", "inner")
            categories = list(settings.categories) or [settings.default_category]
            default = settings.default_category if settings.default_category in categories else categories[0]
            yield Select([(Text(c), c) for c in categories], value=default, allow_blank=False, id="category",
                         compact=True)
        yield field("", Checkbox("The customer came with a complaint", id="complaint", compact=True))
        yield Static("", id="due-warnings", classes="warnings")

    def on_mount(self) -> None:
        self.query_one("#suggestions", OptionList).display = False
        super().on_mount()

    # ------------------------------------------------------------------ suggestions
    @on(Input.Changed, "#customer")
    def _suggest(self, event: Input.Changed) -> None:
        options = self.query_one("#suggestions", OptionList)
        picked = self.picked is not None and event.value == self.picked.name
        found = [] if picked else self.desk.find_customers(event.value, limit=SUGGESTIONS)
        self.suggested = {str(c.id): c for c in found}
        options.clear_options()
        options.add_options([Option(self._option(c), id=str(c.id)) for c in found])
        options.display = bool(found)

    @staticmethod
    def _option(c: Customer) -> Content:
        contact = "  ".join(x for x in (c.phone, c.email) if x)
        return Content.assemble(c.name, (f"  {contact}" if contact else "", "dim"))

    @on(OptionList.OptionSelected, "#suggestions")
    def _pick(self, event: OptionList.OptionSelected) -> None:
        customer = self.suggested.get(event.option.id or "")
        if customer is None:
            return
        self.picked = customer
        self.query_one("#customer", Input).value = customer.name
        self.query_one("#phone", Input).value = customer.phone
        self.query_one("#email", Input).value = customer.email
        self.query_one("#suggestions", OptionList).display = False
        self.query_one("#what", Input).focus()

    def action_down(self) -> None:
        options = self.query_one("#suggestions", OptionList)
        if self.focused is self.query_one("#customer", Input) and options.display:
            options.focus()
            options.highlighted = 0
        else:
            self.focus_next()

    def action_close(self) -> None:
        options = self.query_one("#suggestions", OptionList)
        if options.display and (self.focused is options or self.focused is self.query_one("#customer", Input)):
            options.display = False
            self.query_one("#customer", Input).focus()
            return
        super().action_close()

    # ------------------------------------------------------------------ validation and saving
    def _category(self) -> str:
        value = self.query_one("#category", Select).value
        return value if isinstance(value, str) else self.desk.settings.default_category

    def problems(self) -> list[str]:
        preview, warnings = _due_preview(self.desk, self.value("#due"), self.value("#owner"), self._category())
        put(self.query_one("#due-preview", Static), preview)
        put(self.query_one("#due-warnings", Static), warnings_content(warnings))
        found = [
            self.check(lambda: clean_text(self.value("#customer"), "customer name", limit=NAME_LIMIT)),
            self.check(lambda: clean_text(self.value("#what"), "what was promised")),
            self.check(lambda: self.desk.preview_due(self.value("#due"))),
            self.check(lambda: clean_text(self.value("#owner"), "owner", limit=NAME_LIMIT)),
        ]
        return [m for m in found if m]

    def job(self) -> Job:
        values = {key: self.value(f"#{key}") for key in ("customer", "phone", "email", "what", "due", "owner")}
        category, complaint = self._category(), self.query_one("#complaint", Checkbox).value

        def save(desk: Desk) -> Saved:
            promise, warnings = desk.add(
                values["customer"], values["what"], values["due"], phone=values["phone"], email=values["email"],
                owner=values["owner"], category=category, complaint=complaint,
            )
            return Saved(promise.id, f"Promise {promise.id} made for {promise.customer.name}", tuple(warnings))

        return save
