"""Forms that change several promises at once (the supervisor review): reassign them all to one owner, or flag them
all as blocked with one note. Each promise goes through the Desk on its own; one that cannot be changed is reported
and does not stop the others."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Input, Static

from promisetrack.errors import DataError, PromiseError
from promisetrack.service import NAME_LIMIT, Desk, Row, clean_text
from promisetrack.tui.screens.forms import FormScreen, Job, Saved, field
from promisetrack.tui.screens.kudos import staff_names

LISTED = 6  # promises named in the form; more are counted


@dataclass(frozen=True, slots=True)
class BulkSaved(Saved):
    """What a bulk form did: the promises changed, and a line for each one that could not be."""

    done: tuple[int, ...] = ()
    failed: tuple[str, ...] = ()


def each(desk: Desk, pids: Sequence[int], change: Callable[[Desk, int], object], verb: str) -> BulkSaved:
    """Apply ``change`` to every promise, one by one; ``"3 reassigned to Ben"`` and the errors of the others."""
    done: list[int] = []
    failed: list[str] = []
    for pid in pids:
        try:
            change(desk, pid)
        except (PromiseError, DataError) as exc:
            failed.append(exc.message if str(pid) in exc.message else f"{pid}: {exc.message}")
        else:
            done.append(pid)
    message = f"{len(done)} {verb}" if done else f"None {verb.split(' ')[0]}"
    return BulkSaved(done[0] if done else None, message, done=tuple(done), failed=tuple(failed))


class BulkForm(FormScreen):
    """A form over several promises: they are listed at the top."""

    def __init__(self, desk: Desk, rows: Sequence[Row]) -> None:
        super().__init__(desk)
        self.rows = list(rows)

    @property
    def pids(self) -> list[int]:
        return [r.promise.id for r in self.rows]

    def listing(self) -> Static:
        lines = [Content.assemble((f"{r.promise.id} ", "bold"), r.promise.customer.name, " — ", r.promise.what,
                                  ("  " + r.promise.owner, "dim"))
                 for r in self.rows[:LISTED]]
        if len(self.rows) > LISTED:
            lines.append(Content.styled(f"and {len(self.rows) - LISTED} more", "dim"))
        return Static(Content("\n").join(lines), classes="form-about bulk-list")


class BulkReassignForm(BulkForm):
    save_label = "Reassign"

    def __init__(self, desk: Desk, rows: Sequence[Row], owners: Iterable[str] = ()) -> None:
        super().__init__(desk, rows)
        self.names = staff_names(desk, owners)
        self.title_text = f"Reassign {len(self.rows)} promise{'s' if len(self.rows) != 1 else ''} to one owner"

    def fields(self) -> Iterator[Widget]:
        yield self.listing()
        yield field("New owner", Input(placeholder=", ".join(self.names) or "a colleague's name",
                    suggester=SuggestFromList(self.names, case_sensitive=False), id="owner", compact=True))

    def problems(self) -> list[str]:
        owner = self.value("#owner").strip()
        found = self.check(lambda: clean_text(owner, "owner", limit=NAME_LIMIT))
        if found is None and all(r.promise.owner == owner for r in self.rows):
            found = f"{'they are' if len(self.rows) > 1 else 'it is'} already {owner}'s"
        return [found] if found else []

    def job(self) -> Job:
        pids, owner = self.pids, clean_text(self.value("#owner"), "owner", limit=NAME_LIMIT)
        return lambda desk: each(desk, pids, lambda d, pid: d.reassign(pid, owner), f"reassigned to {owner}")


class BulkFlagForm(BulkForm):
    save_label = "Flag"

    def __init__(self, desk: Desk, rows: Sequence[Row]) -> None:
        super().__init__(desk, rows)
        count = len(self.rows)
        self.title_text = f"Flag {count} promise{'s' if count != 1 else ''} as blocked (waiting on someone)"

    def fields(self) -> Iterator[Widget]:
        yield self.listing()
        yield field("Waiting on", Input(placeholder="one note for them all, e.g. the supplier's delivery date",
                                        id="note", compact=True))

    def problems(self) -> list[str]:
        return [m for m in [self.check(lambda: clean_text(self.value("#note"), "note"))] if m]

    def job(self) -> Job:
        pids, note = self.pids, self.value("#note")
        return lambda desk: each(desk, pids, lambda d, pid: d.flag(pid, note), "flagged as blocked")
