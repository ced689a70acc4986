"""Confirm undo: what ``u`` is about to undo, asked once when that change is older than ``UNDO_ASK_AFTER``."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from promisetrack.dates import format_due, whole_units
from promisetrack.service import UndoPreview


def undo_question(preview: UndoPreview, now: datetime, tz: tzinfo) -> str:
    """``Undo the closing of promise 1003, made today 10:30 (2h 5m ago)?``"""
    return (f"Undo {preview.what}, made {format_due(preview.at, now, tz)} "
            f"({whole_units(preview.age(now).total_seconds())} ago)?")


class ConfirmUndo(ModalScreen[bool]):
    """Yes (y, enter) undoes; no (n, esc) leaves everything as it is."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Undo it"),
        Binding("n,escape", "answer(False)", "Keep it"),
    ]

    def __init__(self, preview: UndoPreview, now: datetime, tz: tzinfo) -> None:
        super().__init__()
        self.question = undo_question(preview, now, tz)

    def compose(self) -> ComposeResult:
        with Vertical(classes="form confirm"):
            yield Label("Undo an older change?", classes="form-title")
            yield Static(Content(self.question), id="undo-question")  # Content: a customer's text stays literal
            yield Label("y / enter: undo it    n / esc: keep it", classes="hint")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
