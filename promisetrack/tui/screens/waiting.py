"""Forms for waiting on the customer (``w``: wait, or resume when it already waits) and for snoozing an alert
(``z``). Each is one small ``FormScreen`` over a single ``Desk`` call."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Select, Static

from promisetrack.alerts import SNOOZE_CHOICES
from promisetrack.dates import describe_due, format_due
from promisetrack.errors import PromiseError
from promisetrack.risk import waiting_text
from promisetrack.service import Desk, Row, clean_text
from promisetrack.tui.screens.forms import FormScreen, Job, Saved, field, put


class WaitForm(FormScreen):
    title_text = "Waiting on the customer (the risk clock pauses)"
    save_label = "Wait"

    def fields(self) -> Iterator[Widget]:
        yield field("To do", Input(placeholder="what the customer is to do: bring the charger, sign, pay…",
                                   id="note", compact=True))
        yield field("By", Input(placeholder="optional: when they said they would, e.g. thu 12:00", id="until",
                                compact=True))
        yield Static("", id="until-preview", classes="hint")

    def problems(self) -> list[str]:
        phrase = self.value("#until")
        preview = Content("")
        if phrase.strip():
            try:
                until = self.desk.preview_due(phrase)
            except PromiseError:
                pass  # the problems line says why
            else:
                now = self.desk.now()
                preview = Content.styled(f"→ {format_due(until, now, self.desk.calendar.tz)} "
                                         f"({describe_due(until, now)})", "$success")
        put(self.query_one("#until-preview", Static), preview)
        found = [self.check(lambda: clean_text(self.value("#note"), "note (what the customer is to do)")),
                 self.check(lambda: self.desk.preview_due(phrase) if phrase.strip() else None)]
        return [m for m in found if m]

    def job(self) -> Job:
        assert self.row is not None
        pid, note, until = self.row.promise.id, self.value("#note"), self.value("#until")

        def save(desk: Desk) -> Saved:
            desk.wait(pid, note, until or None)
            return Saved(pid, f"{pid} is waiting on the customer: the risk clock is paused")

        return save


class ResumeForm(FormScreen):
    title_text = "The customer came back — resume?"
    save_label = "Resume"

    def fields(self) -> Iterator[Widget]:
        assert self.row is not None
        yield Static(Content.styled(waiting_text(self.row.promise, self.desk.now()), "bold"), id="waiting-note")
        yield Static(Content.styled("The due moves on by the business time spent waiting (not a reschedule).",
                                    "dim"))
        yield field("Note", Input(placeholder="optional, e.g. brought the charger", id="note", compact=True))

    def problems(self) -> list[str]:
        return [m for m in [self.check(lambda: clean_text(self.value("#note"), "note", required=False))] if m]

    def job(self) -> Job:
        assert self.row is not None
        pid, note = self.row.promise.id, self.value("#note")

        def save(desk: Desk) -> Saved:
            promise = desk.resume(pid, note or None)
            return Saved(pid, f"{pid} resumed: now due {format_due(promise.due, desk.now(), desk.calendar.tz)}")

        return save


class SnoozeForm(FormScreen):
    title_text = "Snooze the alert (its reminders wait) — 1, 2 or 3 snoozes at once"
    save_label = "Snooze"
    BINDINGS: ClassVar[list[BindingType]] = [
        *FormScreen.BINDINGS,
        *(Binding(str(n), f"snooze('{key}')", label, show=False) for n, (key, label) in
          enumerate(SNOOZE_CHOICES.items(), start=1)),
    ]

    def fields(self) -> Iterator[Widget]:
        choices = [(Text(f"{n}  {label}"), key) for n, (key, label) in enumerate(SNOOZE_CHOICES.items(), start=1)]
        yield field("For", Select(choices, value="15m", allow_blank=False, id="for", compact=True))

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#for", Select).focus()

    def action_snooze(self, choice: str) -> None:
        self.query_one("#for", Select).value = choice
        self.action_save()

    def job(self) -> Job:
        assert self.row is not None
        pid, choice = self.row.promise.id, str(self.query_one("#for", Select).value)

        def save(desk: Desk) -> Saved:
            promise = desk.snooze(pid, choice)
            until = datetime.fromisoformat(promise.events[-1].data["until"])
            return Saved(pid, f"{pid}: alert snoozed until {format_due(until, desk.now(), desk.calendar.tz)}")

        return save


def wait_or_resume(desk: Desk, row: Row) -> FormScreen:
    """``w``: a promise that waits is resumed, any other is put on waiting."""
    return (ResumeForm if row.promise.waiting_since is not None else WaitForm)(desk, row)

