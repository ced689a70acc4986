"""Forms as modal screens: the shared FormScreen (validate as you type, save in a worker, keep what was typed on an
error, escape closes without change) and the small forms on one promise: contact, reschedule, done, cancel,
reassign, flag and unflag. The new-promise form lives in ``new_promise.py``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from promisetrack.dates import describe_due, format_due
from promisetrack.errors import DataError, PromiseError
from promisetrack.model import CHANNELS
from promisetrack.notices import Notice, title
from promisetrack.outcomes import derive_outcome
from promisetrack.service import NAME_LIMIT, Desk, Row, clean_text, parse_csat

log = logging.getLogger("promisetrack.tui")


@dataclass(frozen=True, slots=True)
class Saved:
    """What a form did: the promise to put the cursor on, a message for a toast, reality-check warnings."""

    pid: int | None
    message: str
    warnings: tuple[str, ...] = ()


Job = Callable[[Desk], Saved]


def field_label(text: str, *classes: str) -> Label:
    return Label(text, classes=" ".join(("field-label", *classes)), markup=False)


def field(label: str, control: Widget) -> Horizontal:
    """One form row: a label and its input."""
    return Horizontal(field_label(label), control, classes="field")


def put(widget: Static, content: Content | str) -> None:
    """Show ``content`` in a hint line, which takes no room while it is empty."""
    text = content if isinstance(content, Content) else Content(content)
    widget.update(text)
    widget.display = bool(text.plain)


class FormScreen(ModalScreen[Saved | None]):
    """A form over the board. Subclasses give ``fields``, ``problems`` (live checks) and ``job`` (the save)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+s", "save", "Save"),
    ]
    title_text = "Form"
    save_label = "Save"

    def __init__(self, desk: Desk, row: Row | None = None) -> None:
        super().__init__(classes="form-screen")
        self.desk, self.row = desk, row
        self.saving = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="form"):
            yield Label(self.title_text, classes="form-title", markup=False)
            if self.row is not None:
                yield Static(self._about(self.row), classes="form-about")
            yield from self.fields()
            yield Static("", id="form-problems", classes="form-problems")
            yield Static("", id="form-error", classes="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button(self.save_label, variant="primary", id="save", compact=True)
                yield Button("Close (esc)", id="close", compact=True)

    def _about(self, row: Row) -> Content:
        p, now, tz = row.promise, self.desk.now(), self.desk.calendar.tz
        due = f"due {format_due(p.due, now, tz)} ({describe_due(p.due, now)})"
        return Content.assemble((f"{p.id} ", "bold"), p.customer.name, " — ", p.what, "\n", (due, "dim"))

    def fields(self) -> Iterator[Widget]:
        yield from ()

    def problems(self) -> list[str]:
        """What stops a save right now (shown live, and the Save button is off while there are any)."""
        return []

    def job(self) -> Job:
        raise NotImplementedError

    def on_mount(self) -> None:
        put(self.query_one("#form-error", Static), "")
        self.revalidate()
        inputs = list(self.query(Input))
        if inputs:
            inputs[0].focus()

    # ------------------------------------------------------------------ validation
    @staticmethod
    def check(step: Callable[[], object]) -> str | None:
        try:
            step()
        except PromiseError as exc:
            return exc.message
        return None

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def revalidate(self) -> None:
        problems = self.problems()
        put(self.query_one("#form-problems", Static), "\n".join(problems))
        self.query_one("#save", Button).disabled = bool(problems) or self.saving

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        put(self.query_one("#form-error", Static), "")
        self.revalidate()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        inputs = [i for i in self.query(Input) if i.display]
        if inputs and event.input is inputs[-1]:
            self.action_save()
        else:
            self.focus_next()

    # ------------------------------------------------------------------ saving
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.saving:
            return
        problems = self.problems()
        if problems:
            self.show_error(problems[0])
            return
        offline = getattr(self.app, "offline", "")
        if offline:
            self.show_error("offline — not saved; what you typed is kept: save again once the connection is back")
            return
        try:
            job = self.job()
        except PromiseError as exc:
            self.show_error(exc.message)
            return
        self.saving = True
        self.revalidate()
        self._run(job)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _run(self, job: Job) -> None:
        try:
            saved = job(self.desk)
        except (PromiseError, DataError) as exc:
            self.app.call_from_thread(self._failed, exc.message)
        except Exception as exc:
            log.exception("saving a form failed")
            self.app.call_from_thread(self._failed, f"could not save: {exc}")
        else:
            self.app.call_from_thread(self._saved, saved)

    def _saved(self, saved: Saved) -> None:
        self.dismiss(saved)

    def _failed(self, message: str) -> None:
        self.saving = False
        self.show_error(message)
        self.revalidate()

    def show_error(self, message: str) -> None:
        put(self.query_one("#form-error", Static), message)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


def _due_preview(desk: Desk, phrase: str, owner: str, category: str, pid: int = 0) -> tuple[Content, list[str]]:
    """The due a phrase means, or why it means none; and the reality check's warnings for it."""
    if not phrase.strip():
        return Content(""), []
    try:
        due = desk.preview_due(phrase)
    except PromiseError as exc:
        return Content.styled(exc.message, "$error"), []
    now = desk.now()
    text = Content.styled(f"→ {format_due(due, now, desk.calendar.tz)} ({describe_due(due, now)})", "$success")
    warnings = desk.check_promise(due, owner, category, pid) if owner.strip() and category.strip() else []
    return text, warnings


def warnings_content(warnings: list[str]) -> Content:
    if not warnings:
        return Content("")
    lines = [Content.styled("Reality check — you can still save:", "bold $warning")]
    lines += [Content.assemble(("⚠ ", "$warning"), w) for w in warnings]
    return Content("\n").join(lines)


NOTE_SHOWN = 60  # a note longer than this (a prepared notice) is shown whole under its one-line field


class ContactForm(FormScreen):
    """Log a contact; or pick a prepared notice, edit it, and copy it, open it in the mail client or as an SMS —
    which logs it as a contact with its channel and the text sent."""

    title_text = "Contact the customer (a prepared notice, or what was said)"
    save_label = "Log contact"
    SENDS: ClassVar[dict[str, str]] = {"copy": "Copy & log", "mail": "Mail & log", "sms": "SMS & log"}

    def __init__(self, desk: Desk, row: Row | None = None) -> None:
        super().__init__(desk, row)
        self.send_via = ""  # how the text goes out once logged: copy, mail, sms ("" = it was said already)
        self.notice: Notice | None = None

    def fields(self) -> Iterator[Widget]:
        choices = [(Text(title(name)), name) for name in self.desk.settings.templates]
        yield field("Notice", Select(choices, prompt="none: note what was said", id="template", compact=True))
        yield field("Channel", Select([(Text(c), c) for c in CHANNELS], value=CHANNELS[0], allow_blank=False,
                                       id="channel", compact=True))
        yield field("Note", Input(placeholder="what was said, e.g. told her the part arrives Tuesday", id="note",
                    compact=True))
        yield Static("", id="note-full", classes="hint")  # a notice is longer than the field: the whole of it
        with Horizontal(classes="form-buttons", id="sends"):
            for key, label in self.SENDS.items():
                yield Button(label, id=f"send-{key}", compact=True)

    @on(Select.Changed, "#template")
    def _template_chosen(self, event: Select.Changed) -> None:
        if event.value is Select.BLANK or self.row is None:
            self.notice = None
            return
        try:
            self.notice = self.desk.notice(self.row.promise.id, str(event.value))
        except (PromiseError, DataError) as exc:
            self.notice = None
            self.show_error(exc.message)
            return
        self.query_one("#note", Input).value = self.notice.body

    @on(Button.Pressed, "#sends Button")
    def _send(self, event: Button.Pressed) -> None:
        via = (event.button.id or "").removeprefix("send-")
        p = self.row.promise if self.row else None
        if via == "mail" and not (p and p.customer.email):
            self.show_error("the customer has no email: copy the text, or send an SMS")
            return
        if via == "sms" and not (p and p.customer.phone):
            self.show_error("the customer has no phone number: copy the text, or mail it")
            return
        self.send_via = via
        if via in ("mail", "sms"):
            self.query_one("#channel", Select).value = "email" if via == "mail" else "sms"
        self.action_save()

    def problems(self) -> list[str]:
        note = self.value("#note")
        put(self.query_one("#note-full", Static), Content(note) if len(note) > NOTE_SHOWN else "")
        return [m for m in [self.check(lambda: clean_text(note, "note"))] if m]

    def job(self) -> Job:
        assert self.row is not None
        pid, note = self.row.promise.id, self.value("#note")
        channel = str(self.query_one("#channel", Select).value)
        template = self.notice.template if self.notice and self.notice.body == note else ""

        def save(desk: Desk) -> Saved:
            desk.contact(pid, note, channel, template=template)
            return Saved(pid, f"{pid}: contact logged ({channel})")

        return save

    def _failed(self, message: str) -> None:
        self.send_via = ""  # not logged: nothing goes out, and a later plain save does not send it either
        super()._failed(message)

    def _saved(self, saved: Saved) -> None:
        """Logged: now the text goes out as chosen (the mail client or the SMS app opens; the clipboard is filled,
        over SSH too: Textual copies through OSC 52)."""
        assert self.row is not None
        text, c = self.value("#note"), self.row.promise.customer
        subject = self.notice.subject if self.notice else f"{self.row.promise.what} (ref {self.row.promise.id})"
        sent = Notice(self.notice.template if self.notice else "", subject, text, c.email, c.phone)
        if self.send_via == "copy":
            self.app.copy_to_clipboard(text)
            saved = Saved(saved.pid, f"{saved.message} — the text is on the clipboard", saved.warnings)
        elif self.send_via == "mail" and sent.mailto:
            self.app.open_url(sent.mailto)
        elif self.send_via == "sms" and sent.sms:
            self.app.open_url(sent.sms)
        super()._saved(saved)


class RescheduleForm(FormScreen):
    title_text = "Reschedule (a new due agreed with the customer)"

    def fields(self) -> Iterator[Widget]:
        assert self.row is not None
        p, now, tz = self.row.promise, self.desk.now(), self.desk.calendar.tz
        original = format_due(p.original_due, now, tz)
        if p.original_due == p.due:
            shown = Content.assemble(("originally due ", "dim"), original, (" — not rescheduled before", "dim"))
        else:
            shown = Content.assemble(("originally due ", "dim"), original, ("    now due ", "dim"),
                                     format_due(p.due, now, tz))
        yield Static(shown, id="original-due")
        yield field("New due", Input(placeholder="e.g. fri 5pm, +2bd, tomorrow 10am", id="due", compact=True))
        yield Static("", id="due-preview", classes="hint")
        yield field("Note", Input(placeholder="what the customer agreed to, e.g. supplier delay", id="note",
                                  compact=True))
        yield Static("", id="due-warnings", classes="warnings")

    def problems(self) -> list[str]:
        assert self.row is not None
        p = self.row.promise
        preview, warnings = _due_preview(self.desk, self.value("#due"), p.owner, p.category, p.id)
        put(self.query_one("#due-preview", Static), preview)
        put(self.query_one("#due-warnings", Static), warnings_content(warnings))
        found = [self.check(lambda: self.desk.preview_due(self.value("#due"))),
                 self.check(lambda: clean_text(self.value("#note"), "note"))]
        return [m for m in found if m]

    def job(self) -> Job:
        assert self.row is not None
        pid, due, note = self.row.promise.id, self.value("#due"), self.value("#note")

        def save(desk: Desk) -> Saved:
            promise, warnings = desk.reschedule(pid, due, note)
            now, tz = desk.now(), desk.calendar.tz
            return Saved(pid, f"{pid}: now due {format_due(promise.due, now, tz)} "
                              f"(originally {format_due(promise.original_due, now, tz)})", tuple(warnings))

        return save


class DoneForm(FormScreen):
    title_text = "Done — the promise was kept (or delivered)"
    save_label = "Mark done"

    def fields(self) -> Iterator[Widget]:
        yield field("csat 1–5", Input(placeholder="the customer's satisfaction, 1 to 5 (optional)", restrict=r"[0-9]*",
                    max_length=1, id="csat", compact=True))
        yield field("Note", Input(placeholder="optional", id="note", compact=True))

    def problems(self) -> list[str]:
        found = [self.check(lambda: parse_csat(self.value("#csat"))),
                 self.check(lambda: clean_text(self.value("#note"), "note", required=False))]
        return [m for m in found if m]

    def job(self) -> Job:
        assert self.row is not None
        pid, csat, note = self.row.promise.id, self.value("#csat"), self.value("#note")

        def save(desk: Desk) -> Saved:
            promise = desk.done(pid, csat or None, note or None)
            outcome = derive_outcome(promise)
            return Saved(pid, f"{pid} done — {outcome.value if outcome else 'closed'}")

        return save


class OneTextForm(FormScreen):
    """A form of one required line of text: a cancel's reason, what a flag waits on."""

    label = ""
    placeholder = ""
    text_id = "note"  # also the word used in "... is required"

    def fields(self) -> Iterator[Widget]:
        yield field(self.label, Input(placeholder=self.placeholder, id=self.text_id, compact=True))

    def problems(self) -> list[str]:
        return [m for m in [self.check(lambda: clean_text(self.value(f"#{self.text_id}"), self.text_id))] if m]

    def act(self, desk: Desk, pid: int, text: str) -> str:
        """Make the change; return what to tell the user."""
        raise NotImplementedError

    def job(self) -> Job:
        assert self.row is not None
        pid, text = self.row.promise.id, self.value(f"#{self.text_id}")

        def save(desk: Desk) -> Saved:
            return Saved(pid, self.act(desk, pid, text))

        return save


class CancelForm(OneTextForm):
    title_text = "Cancel the promise (it no longer applies)"
    save_label = "Cancel promise"
    label, placeholder, text_id = "Reason", "required, e.g. customer no longer needs it", "reason"

    def act(self, desk: Desk, pid: int, text: str) -> str:
        desk.cancel(pid, text)
        return f"{pid} cancelled"


class ReassignForm(FormScreen):
    title_text = "Reassign to a colleague"

    def fields(self) -> Iterator[Widget]:
        assert self.row is not None
        staff = [s for s in self.desk.settings.staff if s != self.row.promise.owner]
        yield Static(Content.assemble(("now ", "dim"), self.row.promise.owner), id="current-owner")
        yield field("New owner", Input(placeholder=", ".join(staff) or "a colleague's name",
                    suggester=SuggestFromList(staff, case_sensitive=False), id="owner", compact=True))

    def problems(self) -> list[str]:
        assert self.row is not None
        owner = self.value("#owner").strip()
        found = self.check(lambda: clean_text(owner, "owner", limit=NAME_LIMIT))
        if found is None and owner == self.row.promise.owner:
            found = f"{self.row.promise.id} is already {owner}'s"
        return [found] if found else []

    def job(self) -> Job:
        assert self.row is not None
        pid, owner = self.row.promise.id, self.value("#owner").strip()

        def save(desk: Desk) -> Saved:
            desk.reassign(pid, owner)
            return Saved(pid, f"{pid} is now {owner}'s")

        return save


class FlagForm(OneTextForm):
    title_text = "Flag as blocked (waiting on someone)"
    save_label = "Flag"
    label, placeholder = "Waiting on", "e.g. the supplier's delivery date"

    def act(self, desk: Desk, pid: int, text: str) -> str:
        desk.flag(pid, text)
        return f"{pid} flagged as blocked"


class UnflagForm(FormScreen):
    title_text = "No longer blocked?"
    save_label = "Unflag"

    def fields(self) -> Iterator[Widget]:
        assert self.row is not None
        yield Static(Content.assemble(("blocked: ", "bold"), self.row.promise.blocked_note or "(no note)"),
                     id="blocked-note")

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#save", Button).focus()

    def job(self) -> Job:
        assert self.row is not None
        pid = self.row.promise.id

        def save(desk: Desk) -> Saved:
            desk.unflag(pid)
            return Saved(pid, f"{pid} is no longer blocked")

        return save
