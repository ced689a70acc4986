"""The promise table: the board's DataTable, kept current by diffing (never cleared on a refresh).

``RowView`` is what one row shows; ``PromiseTable.show`` compares the new views with the ones on screen and
updates only the cells that changed, adds and removes only the rows that appear and disappear, re-sorts only
when the order changed, and keeps the cursor on the same promise and the scroll position where it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, tzinfo
from typing import NamedTuple

from rich.text import Span, Text

from promisetrack.dates import describe_due, format_due
from promisetrack.model import Risk
from promisetrack.service import Row
from promisetrack.tui.widgets.fixed_table import FixedWidthTable
from promisetrack.tui.widgets.risk_badge import badge_cell

COLUMNS = ("id", "customer", "what", "owner", "due", "risk")
HEADERS = {"id": "id", "customer": "customer", "what": "promise", "owner": "owner", "due": "due", "risk": "risk"}
WIDE = 100  # below this many cells of content the table goes compact: due in words, badge without reasons
ID_CELLS = 4  # ids start at 1001; a desk of some months reaches 10001 and the column widens (id_cells)
_COMPLAINT = "! "
_COMPLAINT_STYLE = "bold magenta"


class DueTimes:
    """``format_due`` of the board's dues at one moment, each worked out once a day: the text depends on the due and
    on today's date only ("today 17:00", "Fri 27 17:00"), so the minute tick need not format 2,000 dues again."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self._day: date | None = None
        self._texts: dict[datetime, str] = {}

    def at(self, now: datetime) -> Callable[[datetime], str]:
        day = now.astimezone(self.tz).date()
        if day != self._day:
            self._day, self._texts = day, {}
        texts, tz = self._texts, self.tz

        def text(due: datetime) -> str:
            found = texts.get(due)
            if found is None:
                found = texts[due] = format_due(due, now, tz)
            return found

        return text


class RowView(NamedTuple):
    """What one row shows, as plain values (compared to decide which cells to redraw). A tuple: the minute tick makes
    and compares one for every row on the board."""

    key: str  # the row's key in the table: the promise id as text
    customer: str
    complaint: bool
    what: str
    owner: str
    due_words: str
    due_time: str
    level: Risk | None
    reasons: tuple[str, ...]

    @classmethod
    def of(cls, row: Row, now: datetime, tz: tzinfo, due_time: Callable[[datetime], str] | None = None) -> RowView:
        p = row.promise
        a = row.assessment
        return cls(
            str(p.id), p.customer.name, p.complaint, p.what, p.owner, describe_due(p.due, now),
            due_time(p.due) if due_time else format_due(p.due, now, tz),
            a.level if a else None, a.reasons if a else (),
        )

    @property
    def pid(self) -> int:
        return int(self.key)


def _literal(value: str, style: str = "", spans: list[Span] | None = None) -> Text:
    """A cell showing ``value`` as it is (never parsed as markup), cut with an ellipsis at the column's width."""
    return Text(value, style, no_wrap=True, overflow="ellipsis", end="", spans=spans)


def _due_cell(v: RowView, compact: bool) -> Text:
    style = "bold red" if v.level is Risk.OVERDUE else ""
    # 15 cells: the longest words, "overdue 10d 23h" (two units since "in 1h 59m" stopped reading "in 1h")
    return _literal(f"{v.due_words:<15}" if compact else f"{v.due_words:<15} {v.due_time}", style)


def _customer_cell(v: RowView) -> Text:
    if v.complaint:
        return _literal(_COMPLAINT + v.customer, spans=[Span(0, len(_COMPLAINT), _COMPLAINT_STYLE)])
    return _literal(v.customer)


# Per column: the values a cell depends on, and how to draw it. A cell is redrawn only when its values change.
_CELLS: dict[str, tuple[Callable[[RowView, bool], object], Callable[[RowView, bool], Text]]] = {
    "id": (lambda v, c: v.key, lambda v, c: _literal(v.key)),
    "customer": (lambda v, c: (v.customer, v.complaint), lambda v, c: _customer_cell(v)),
    "what": (lambda v, c: v.what, lambda v, c: _literal(v.what)),
    "owner": (lambda v, c: v.owner, lambda v, c: _literal(v.owner)),
    "due": (lambda v, c: (v.due_words, v.due_time, v.level, c), _due_cell),
    "risk": (lambda v, c: (v.level, v.reasons, c), lambda v, c: badge_cell(v.level, v.reasons, with_reasons=not c)),
}


def id_cells(ids: Iterable[str]) -> int:
    """Cells for the id column: the longest id shown, never cut (staff type it into the CLI and read it out)."""
    return max([ID_CELLS, *(len(key) for key in ids)])


def column_widths(content: int, ids: int = ID_CELLS) -> tuple[dict[str, int], bool]:
    """Widths (without padding) for ``content`` cells of room with ids of ``ids`` digits, and whether the table is
    compact."""
    if content >= WIDE:
        fixed = {"id": ids, "owner": 8, "due": 32, "customer": 17}
        rest = content - sum(fixed.values())
        what = rest * 9 // 20
        return {**fixed, "what": what, "risk": rest - what}, False
    fixed = {"id": ids, "owner": 6, "due": 15, "risk": 9}
    rest = max(content - sum(fixed.values()), 16)
    customer = rest * 2 // 5
    return {**fixed, "customer": customer, "what": rest - customer}, True


class PromiseTable(FixedWidthTable[Text]):
    """Open promises, one per row, keyed by promise id. Its columns are sized from its width, never measured."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self._views: dict[str, RowView] = {}
        self._order: list[str] = []  # the keys in the order last shown
        self._rest: dict[str, RowView] | None = None  # the rows a first fill has still to add (see _fill)
        self.compact = False
        self.id_cells = ID_CELLS

    def on_mount(self) -> None:
        # The board's table spans the screen: size it for that now, so that the first frame is drawn once, at the
        # right widths and in the right mode (a resize corrects it if the layout says otherwise).
        widths, self.compact = self._fit(self.app.size.width)
        for key in COLUMNS:
            self.add_column(HEADERS[key], key=key, width=widths[key])

    def _fit(self, width: int) -> tuple[dict[str, int], bool]:
        padding = 2 * self.cell_padding * len(COLUMNS)
        return column_widths(width - padding - self.styles.scrollbar_size_vertical, self.id_cells)

    def on_resize(self) -> None:
        widths, compact = self._fit(self.size.width)
        self.set_widths(widths)
        if compact != self.compact:
            self.compact = compact
            for key, view in self._views.items():
                for column in ("due", "risk"):
                    self.update_cell(key, column, _CELLS[column][1](view, compact))

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
        self._rest = None
        cells = id_cells(wanted)
        if cells != self.id_cells:  # a longer id than any shown (or the long ones gone): the id column fits again
            self.id_cells = cells
            if self.columns:
                self.set_widths(self._fit(self.size.width or self.app.size.width)[0])
        if not self._views:  # the first fill (or after an empty list): rows in order, nothing to compare or keep
            self._fill(wanted, self.app.size.height)
            return
        keep_pid, scroll_y = self.cursor_pid, self.scroll_y
        for key in [k for k in self._views if k not in wanted]:
            self.remove_row(key)
            del self._views[key]
        for key, view in wanted.items():
            self._put(key, view)
        order = list(wanted)
        if order != self._order and [row.key.value for row in self.ordered_rows] != order:
            position = {key: index for index, key in enumerate(order)}
            self.sort("id", key=lambda cell: position[cell.plain])
        self._order = order
        if keep_pid is not None and str(keep_pid) in wanted:
            self.move_cursor(row=self.get_row_index(str(keep_pid)), scroll=False)
        self.scroll_y = scroll_y

    def _fill(self, wanted: dict[str, RowView], first: int | None = None) -> None:
        """Add the rows of ``wanted`` missing from the table, in order, at its end. With ``first``, only that many now
        (a screenful): the rest are added once that frame is up, so the first frame waits for the rows it shows and
        not for 2,000 more. A ``show`` in between supersedes the rest (it adds what is missing itself)."""
        keys = [key for key in wanted if key not in self._views]
        if first is not None and len(keys) > first:
            self._rest = wanted
            self.call_after_refresh(self._fill_rest, wanted)
            keys = keys[:first]
        for key in keys:
            view = self._views[key] = wanted[key]
            self.add_row(*self._cells(view), key=key)
        self._order = list(self._views)

    def _fill_rest(self, wanted: dict[str, RowView]) -> None:
        if self._rest is wanted:
            self._rest = None
            self._fill(wanted)

    def _cells(self, view: RowView) -> list[Text]:
        compact = self.compact
        return [_CELLS[column][1](view, compact) for column in COLUMNS]

    def _put(self, key: str, view: RowView) -> None:
        old = self._views.get(key)
        if old == view:  # most rows on most ticks
            return
        self._views[key] = view
        if old is None:
            self.add_row(*self._cells(view), key=key)
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
