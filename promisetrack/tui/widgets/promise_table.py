"""The promise table: the board's DataTable, kept current by diffing (never cleared on a refresh).

``RowView`` is what one row shows; ``PromiseTable.show`` compares the new views with the ones on screen and
updates only the cells that changed, adds and removes only the rows that appear and disappear, re-sorts only
when the order changed, and keeps the cursor on the same promise and the scroll position where it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.text import Text
from textual.widgets import DataTable

from promisetrack.dates import describe_due, format_due
from promisetrack.model import Risk
from promisetrack.service import Row
from promisetrack.tui.widgets.risk_badge import badge_cell

COLUMNS = ("id", "customer", "what", "owner", "due", "risk")
HEADERS = {"id": "id", "customer": "customer", "what": "promise", "owner": "owner", "due": "due", "risk": "risk"}
WIDE = 100  # below this many cells of content the table goes compact: due in words, badge without reasons


@dataclass(frozen=True, slots=True)
class RowView:
    """What one row shows, as plain values (compared to decide which cells to redraw)."""

    pid: int
    customer: str
    complaint: bool
    what: str
    owner: str
    due_words: str
    due_time: str
    level: Risk | None
    reasons: tuple[str, ...]

    @classmethod
    def of(cls, row: Row, now: datetime, tz: tzinfo) -> RowView:
        p = row.promise
        a = row.assessment
        return cls(
            pid=p.id, customer=p.customer.name, complaint=p.complaint, what=p.what, owner=p.owner,
            due_words=describe_due(p.due, now), due_time=format_due(p.due, now, tz),
            level=a.level if a else None, reasons=a.reasons if a else (),
        )

    @property
    def key(self) -> str:
        return str(self.pid)


def _literal(value: str, style: str = "") -> Text:
    return Text(value, style=style, no_wrap=True, overflow="ellipsis", end="")


def _due_cell(v: RowView, compact: bool) -> Text:
    style = "bold red" if v.level is Risk.OVERDUE else ""
    text = _literal(f"{v.due_words:<11}", style)
    if not compact:
        text.append(" " + v.due_time)
    return text


def _customer_cell(v: RowView) -> Text:
    text = _literal("")
    if v.complaint:
        text.append("! ", style="bold magenta")
    text.append(v.customer)
    return text


# Per column: the values a cell depends on, and how to draw it. A cell is redrawn only when its values change.
_CELLS: dict[str, tuple[Callable[[RowView, bool], object], Callable[[RowView, bool], Text]]] = {
    "id": (lambda v, c: v.pid, lambda v, c: _literal(v.key)),
    "customer": (lambda v, c: (v.customer, v.complaint), lambda v, c: _customer_cell(v)),
    "what": (lambda v, c: v.what, lambda v, c: _literal(v.what)),
    "owner": (lambda v, c: v.owner, lambda v, c: _literal(v.owner)),
    "due": (lambda v, c: (v.due_words, v.due_time, v.level, c), _due_cell),
    "risk": (lambda v, c: (v.level, v.reasons, c), lambda v, c: badge_cell(v.level, v.reasons, with_reasons=not c)),
}


def column_widths(content: int) -> tuple[dict[str, int], bool]:
    """Widths (without padding) for ``content`` cells of room, and whether the table is compact."""
    if content >= WIDE:
        fixed = {"id": 4, "owner": 8, "due": 28, "customer": 17}
        rest = content - sum(fixed.values())
        what = rest * 9 // 20
        return {**fixed, "what": what, "risk": rest - what}, False
    fixed = {"id": 4, "owner": 6, "due": 11, "risk": 9}
    rest = max(content - sum(fixed.values()), 16)
    customer = rest * 2 // 5
    return {**fixed, "customer": customer, "what": rest - customer}, True


class PromiseTable(DataTable[Text]):
    """Open promises, one per row, keyed by promise id."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self._views: dict[str, RowView] = {}
        self.compact = False

    def on_mount(self) -> None:
        for key in COLUMNS:
            self.add_column(HEADERS[key], key=key, width=10)

    def on_resize(self) -> None:
        padding = 2 * self.cell_padding * len(COLUMNS)
        widths, compact = column_widths(self.size.width - padding - self.styles.scrollbar_size_vertical)
        self._set_widths(widths)
        if compact != self.compact:
            self.compact = compact
            for key, view in self._views.items():
                for column in ("due", "risk"):
                    self.update_cell(key, column, _CELLS[column][1](view, compact))

    def _set_widths(self, widths: dict[str, int]) -> None:
        for key, width in widths.items():
            column = self.columns[key]  # type: ignore[index]
            column.width, column.auto_width = width, False
        # DataTable has no public "resize column": mark its layout stale so it re-measures.
        self._require_update_dimensions = True
        self._clear_caches()
        self.refresh(layout=True)

    # ------------------------------------------------------------------ diffing
    @property
    def cursor_pid(self) -> int | None:
        if not self._views or not self.is_valid_row_index(self.cursor_row):
            return None
        return int(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value or 0)

    def view(self, pid: int) -> RowView | None:
        return self._views.get(str(pid))

    def show(self, views: Iterable[RowView]) -> None:
        """Make the table show exactly ``views``, in that order, touching only what changed."""
        wanted = {v.key: v for v in views}
        keep_pid, scroll_y = self.cursor_pid, self.scroll_y
        for key in [k for k in self._views if k not in wanted]:
            self.remove_row(key)
            del self._views[key]
        for key, view in wanted.items():
            self._put(key, view)
        order = list(wanted)
        if [row.key.value for row in self.ordered_rows] != order:
            position = {key: index for index, key in enumerate(order)}
            self.sort("id", key=lambda cell: position[cell.plain])
        if keep_pid is not None and str(keep_pid) in wanted:
            self.move_cursor(row=self.get_row_index(str(keep_pid)), scroll=False)
        self.scroll_y = scroll_y

    def _put(self, key: str, view: RowView) -> None:
        old = self._views.get(key)
        self._views[key] = view
        if old is None:
            self.add_row(*(_CELLS[c][1](view, self.compact) for c in COLUMNS), key=key)
            return
        for column in COLUMNS:
            depends, draw = _CELLS[column]
            if depends(old, self.compact) != depends(view, self.compact):
                self.update_cell(key, column, draw(view, self.compact))

    def select_pid(self, pid: int) -> bool:
        """Put the cursor on promise ``pid`` (scrolling to it); False when it is not shown."""
        if str(pid) not in self._views:
            return False
        self.move_cursor(row=self.get_row_index(str(pid)))
        return True
