"""The supervisor review (``v``): every overdue and at-risk promise grouped by owner — oldest first within an
owner, the promises of repeat breakers (customers whose last two promises were broken) in a group of their own on
top — with its age, its due (how long overdue, or how long left) and why it is at risk. Mark several with space
and reassign them to one owner or flag them all as blocked; enter opens a promise's detail.

On a chain of shops seen together (a supervisor's login) the groups are by shop, then owner ("north — Ana"), and
``h`` shows one shop after another, then all again. A desk of one shop shows no shop anywhere.

The screen reads nothing itself: the app hands it the board's rows on every read, tick and file-watch refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import ClassVar, NamedTuple

from rich.console import JustifyMethod
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from promisetrack.dates import describe_due, describe_seconds, format_due
from promisetrack.errors import DataError
from promisetrack.model import Promise, Risk
from promisetrack.risk import REPEAT_BREAKER
from promisetrack.service import Desk, Row
from promisetrack.tui.screens.bulk import BulkFlagForm, BulkReassignForm, BulkSaved
from promisetrack.tui.screens.detail import DetailScreen
from promisetrack.tui.screens.kinds import OnARow, OwnKeys, ShowsTheBoard
from promisetrack.tui.widgets.fixed_table import FixedWidthTable
from promisetrack.tui.widgets.promise_table import ID_CELLS, DueTimes, id_cells
from promisetrack.tui.widgets.risk_badge import RiskBadge, badge_cell

REVIEWED = (Risk.OVERDUE, Risk.AT_RISK)
COLUMNS = ("mark", "id", "customer", "what", "age", "due", "risk")
HEADERS = {"mark": "✓", "id": "id", "customer": "customer", "what": "promise", "age": "age", "due": "due",
           "risk": "risk and reasons"}
WIDE = 100
SUMMARY = 22  # room for an owner's counts: "12 overdue · 10 at risk"
MARK = "✓"
OWNER_KEY = "owner:"
REPEAT_GROUP = "\x00repeat"  # the repeat breakers' group: no owner's name holds a control character
REPEAT_TITLE = "Repeat breakers — supervisor"
SHOP_SEPARATOR = " — "  # between a shop and an owner in a group's title: "north — Ana"

REVIEW_BINDINGS = [
    Binding("escape", "app.pop_screen", "Back", key_display="esc", tooltip="back to the board"),
    Binding("space", "mark", "Mark", tooltip="mark or unmark the promise (on an owner's row: all of theirs)"),
    Binding("asterisk,ctrl+a", "mark_group", "Mark all", key_display="*",
            tooltip="mark every promise of the highlighted owner (again: unmark them)"),
    Binding("a", "reassign", "Reassign", tooltip="reassign the marked promises (or the highlighted one) to one owner"),
    Binding("f", "flag", "Flag", tooltip="flag the marked promises (or the highlighted one) as blocked, one note"),
    Binding("h", "next_shop", "Shop", show=False,
            tooltip="one shop of the chain after another, then all (several shops only)"),
    Binding("enter", "detail", "Detail", show=False, tooltip="the highlighted promise in full, with its timeline"),
    Binding("question_mark", "app.help", "Help", key_display="?", show=False, tooltip="the keys"),
]


def elapsed(since: datetime, now: datetime) -> str:
    """Time from ``since`` to ``now`` in the largest whole unit: ``45m``, ``5h``, ``3d``."""
    return age_text((now.astimezone(UTC) - since.astimezone(UTC)).total_seconds())


class Instants:
    """Moments as whole microseconds since the epoch, each worked out once: a tick asks the age and the time left of
    every promise on the review, and the difference of two of these is exact (as a ``timedelta``'s)."""

    def __init__(self) -> None:
        self._micros: dict[datetime, int] = {}
        self._ages: dict[int, str] = {}
        self._dues: dict[tuple[bool, int], str] = {}
        self.now = 0  # the moment of the tick

    def __call__(self, moment: datetime) -> int:
        found = self._micros.get(moment)
        if found is None:
            found = self._micros[moment] = (moment - _EPOCH) // _MICROSECOND
        return found

    def at(self, now: datetime) -> Instants:
        self.now = (now - _EPOCH) // _MICROSECOND
        return self

    def age(self, since: datetime) -> str:
        """``elapsed(since, now)``."""
        return self.age_of(self(since))

    def due(self, due: datetime) -> str:
        """``describe_due(due, now)``."""
        return self.due_of(self(due))

    def age_of(self, since_micros: int) -> str:
        """``age`` of a moment in microseconds: its words depend on the whole minutes only, so each is worked out
        once."""
        seconds = max((self.now - since_micros) / 1e6, 0)
        minutes = int(seconds // 60)
        found = self._ages.get(minutes)
        if found is None:
            found = self._ages[minutes] = age_text(seconds)
        return found

    def due_of(self, due_micros: int) -> str:
        """``due`` of a moment in microseconds: its words depend on the sign and the whole minutes only (within a
        minute past the due: "due now")."""
        seconds = (due_micros - self.now) / 1e6
        if -60 < seconds <= 0:
            return "due now"
        key = (seconds > 0, int(abs(seconds) // 60))
        found = self._dues.get(key)
        if found is None:
            found = self._dues[key] = describe_seconds(seconds)
        return found


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def age_text(seconds: float) -> str:
    """``elapsed`` of ``seconds``."""
    seconds = max(seconds, 0)
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


def now_text(now: datetime, tz: tzinfo) -> str:
    return f"{now.astimezone(tz):%a %d %b %H:%M}"


def repeat_breaker(row: Row) -> bool:
    return row.assessment is not None and REPEAT_BREAKER in row.assessment.reasons


def review_groups(rows: Iterable[Row], *, by_shop: bool = False) -> dict[str, list[Row]]:
    """Overdue and at-risk promises by owner (owners in name order) — by shop, then owner, with ``by_shop`` (the same
    name may be staff in two shops) — oldest (first made) first within each; those of repeat breakers first, in a
    group of their own (``REPEAT_GROUP``), oldest first."""
    wanted = [r for r in rows if r.assessment is not None and r.assessment.level in REVIEWED]
    wanted.sort(key=lambda r: (r.promise.shop.casefold() if by_shop else "", r.promise.owner.casefold(),
                               r.promise.owner, r.promise.created_at, r.promise.id))
    breaking = {r.promise.id for r in wanted if repeat_breaker(r)}
    breakers = sorted((r for r in wanted if r.promise.id in breaking),
                      key=lambda r: (r.promise.created_at, r.promise.id))
    groups: dict[str, list[Row]] = {REPEAT_GROUP: breakers} if breakers else {}
    for row in wanted:
        if row.promise.id not in breaking:
            key = f"{row.promise.shop}{SHOP_SEPARATOR}{row.promise.owner}" if by_shop else row.promise.owner
            groups.setdefault(key, []).append(row)
    return groups


def group_title(key: str) -> str:
    return REPEAT_TITLE if key == REPEAT_GROUP else key


def _cell(value: str, style: str = "", justify: JustifyMethod = "left") -> Text:
    return Text(value, style=style, no_wrap=True, overflow="ellipsis", end="", justify=justify)


class PromiseView(NamedTuple):
    """What a promise's line shows, as plain values: compared on every tick to decide which cells to redraw."""

    pid: int
    marked: bool
    complaint: bool
    customer: str
    what: str
    age: str
    due_words: str
    due_time: str  # "" when compact
    level: Risk | None
    reasons: tuple[str, ...]
    compact: bool


class OwnerView(NamedTuple):
    """What an owner's heading shows."""

    owner: str
    mark: str
    summary: str


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the review table: an owner's heading or a promise, as the values it shows; ``cells`` draws them."""

    key: str
    view: PromiseView | OwnerView

    @property
    def cells(self) -> tuple[Text, ...]:
        v = self.view
        if isinstance(v, OwnerView):
            style = "bold underline red" if v.owner == REPEAT_GROUP else "bold underline"
            return (_cell(v.mark, "bold"), _cell("▼", "bold"), _cell(group_title(v.owner), style),
                    _cell(v.summary, "bold"), _cell(""), _cell(""), _cell(""))
        return tuple(draw(v) for _, draw in _PROMISE_CELLS.values())

    def changed_cells(self, before: Line) -> Iterator[tuple[str, Text]]:
        """The columns whose cells differ from ``before``'s (a line of the same key), with their new cells."""
        new, old = self.view, before.view
        if isinstance(new, PromiseView) and isinstance(old, PromiseView):
            for column, (depends, draw) in _PROMISE_CELLS.items():
                if depends(new) != depends(old):
                    yield column, draw(new)
            return
        for column, cell, was in zip(COLUMNS, self.cells, before.cells, strict=True):
            if (cell.plain, cell.style, cell.spans) != (was.plain, was.style, was.spans):
                yield column, cell


def _due_cell(v: PromiseView) -> Text:
    # 15 cells: the longest words, "overdue 10d 23h" (as on the board), so the due's time lines up under it
    due = _cell(f"{v.due_words:<15}", "bold red" if v.level is Risk.OVERDUE else "")
    if not v.compact:
        due.append(" " + v.due_time)
    return due


def _customer_cell(v: PromiseView) -> Text:
    customer = _cell("")
    if v.complaint:
        customer.append("! ", style="bold magenta")
    customer.append(v.customer)
    return customer


# Per column of a promise's line: the values its cell depends on, and how to draw it (redrawn only when they change).
_PROMISE_CELLS: dict[str, tuple[Callable[[PromiseView], object], Callable[[PromiseView], Text]]] = {
    "mark": (lambda v: v.marked, lambda v: _cell(MARK if v.marked else "", "bold green")),
    "id": (lambda v: v.pid, lambda v: _cell(str(v.pid))),
    "customer": (lambda v: (v.complaint, v.customer), _customer_cell),
    "what": (lambda v: v.what, lambda v: _cell(v.what)),
    "age": (lambda v: v.age, lambda v: _cell(v.age, justify="right")),
    "due": (lambda v: (v.due_words, v.due_time, v.level, v.compact), _due_cell),
    "risk": (lambda v: (v.level, v.reasons, v.compact),
             lambda v: badge_cell(v.level, v.reasons, with_reasons=not v.compact)),
}


def owner_line(owner: str, rows: Sequence[Row], marked: set[int]) -> Line:
    overdue = sum(1 for r in rows if r.risk is Risk.OVERDUE)
    counts = [f"{overdue} overdue" if overdue else "", f"{len(rows) - overdue} at risk" if len(rows) > overdue else ""]
    chosen = sum(1 for r in rows if r.promise.id in marked) if marked else 0
    mark = MARK if chosen and chosen == len(rows) else ("–" if chosen else "")
    return Line(OWNER_KEY + owner, OwnerView(owner, mark, " · ".join(c for c in counts if c)))


def promise_line(row: Row, now: datetime, tz: tzinfo, marked: bool, compact: bool,
                 due_time: Callable[[datetime], str] | None = None, instants: Instants | None = None) -> Line:
    """``due_time``: ``format_due`` at ``now`` (``DueTimes.at``, which works each due out once a day); ``instants``:
    the moments in microseconds, set ``at`` now (the same words, worked out once, for a tick over every line)."""
    p, a = row.promise, row.assessment
    if instants is None:
        age, due_words = elapsed(p.created_at, now), describe_due(p.due, now)
    else:
        age, due_words = instants.age(p.created_at), instants.due(p.due)
    return Line(str(p.id), PromiseView(
        p.id, marked, p.complaint, p.customer.name, p.what, age, due_words,
        "" if compact else (due_time(p.due) if due_time else format_due(p.due, now, tz)),
        a.level if a else None, a.reasons if a else (), compact,
    ))


class DrawnLines:
    """Each promise's line as last drawn, with what it was drawn from: the promise (a new one after every read), its
    level and reasons, the mark, the width mode, the day (``format_due`` says "today 17:00") and the words of its
    age and time left. A tick makes a new line only where one of them changed: a few dozen promises of a thousand."""

    def __init__(self) -> None:
        self._drawn: dict[int, tuple[Promise, int, int, tuple[object, ...], Line]] = {}
        self._tick: tuple[datetime, tzinfo, bool, Callable[[datetime], str], Instants, date] | None = None

    def at(self, now: datetime, tz: tzinfo, compact: bool, due_time: Callable[[datetime], str],
           instants: Instants) -> DrawnLines:
        """Set the tick the lines are drawn for (``instants`` already ``at`` now)."""
        self._tick = (now, tz, compact, due_time, instants, now.astimezone(tz).date())
        return self

    def line(self, row: Row, marked: bool) -> Line:
        assert self._tick is not None, "DrawnLines.at first"
        now, tz, compact, due_time, instants, day = self._tick
        p, a = row.promise, row.assessment
        known = self._drawn.get(p.id)
        same = known is not None and known[0] is p  # the same promise: a read makes new ones
        created, due = (known[1], known[2]) if known is not None and same else (instants(p.created_at),
                                                                                  instants(p.due))
        # A tick re-assesses every overdue row into a new Row, mostly to the same level and reasons.
        key = ((a.level, a.reasons) if a else None, marked, compact, day, instants.age_of(created),
               instants.due_of(due))
        if known is not None and same and known[3] == key:
            return known[4]
        line = promise_line(row, now, tz, marked, compact, due_time, instants)
        self._drawn[p.id] = (p, created, due, key, line)
        return line

    def keep_only(self, pids: set[int]) -> None:
        """Forget the promises no longer reviewed (closed, reassigned away, back to ok)."""
        for pid in [pid for pid in self._drawn if pid not in pids]:
            del self._drawn[pid]


def column_widths(content: int, ids: int = ID_CELLS) -> tuple[dict[str, int], bool]:
    """Widths (without padding) for ``content`` cells of room with ids of ``ids`` digits, and whether the table is
    compact."""
    if content < WIDE:  # compact: the due in words, the badge without reasons (the status line has them)
        fixed = {"mark": 1, "id": ids, "age": 3, "due": 15, "risk": 9}
        rest = max(content - sum(fixed.values()), 37)
        what = max(rest - rest * 2 // 5, SUMMARY)
        return {**fixed, "customer": rest - what, "what": what}, True
    fixed = {"mark": 1, "id": ids, "age": 3, "due": 32}
    rest = content - sum(fixed.values())
    customer, what = max(rest * 3 // 14, 14), max(rest * 4 // 14, SUMMARY)
    return {**fixed, "customer": customer, "what": what, "risk": rest - customer - what}, False


class ReviewTable(FixedWidthTable[Text]):
    """Owner headings and their promises, kept current by comparing lines: never cleared once filled."""

    class Compacted(Message):
        """The table went compact or wide: its lines must be drawn again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id=id)
        self.lines: list[Line] = []
        self.compact = False
        self.id_cells = ID_CELLS

    def on_mount(self) -> None:
        for key in COLUMNS:
            self.add_column(HEADERS[key], key=key, width=10)

    def on_resize(self) -> None:
        self.fit()

    def fit_ids(self, ids: Iterable[str]) -> None:
        """Widen (or narrow) the id column to the longest of ``ids``, the promises about to be shown."""
        cells = id_cells(ids)
        if cells != self.id_cells:
            self.id_cells = cells
            if self.size.width:
                self.fit()

    def fit(self) -> None:
        """Size the columns from the table's width: compact below ``WIDE`` cells."""
        padding = 2 * self.cell_padding * len(COLUMNS)
        widths, compact = column_widths(self.size.width - padding - self.styles.scrollbar_size_vertical,
                                        self.id_cells)
        if compact != self.compact:
            self.compact = compact
            self.columns["risk"].label = Text("risk" if compact else HEADERS["risk"])  # type: ignore[index]
            self.post_message(self.Compacted())
        for key, width in widths.items():
            column = self.columns[key]  # type: ignore[index]
            column.width, column.auto_width = width, False
        self._require_update_dimensions = True
        self._clear_caches()
        self.refresh(layout=True)

    @property
    def cursor_key(self) -> str | None:
        if not self.lines or not self.is_valid_row_index(self.cursor_row):
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def show(self, lines: list[Line]) -> None:
        """Show exactly ``lines``, in order, touching only what changed (as the board's ``PromiseTable``): the cells
        whose values changed are updated, the lines that appear and disappear are added and removed, and the rows
        are re-sorted only when the order changed; the cursor stays on the same line, the scroll where it was."""
        if not self.lines:  # the first time (or after an empty list): on the first promise, under its owner's heading
            for line in lines:
                self.add_row(*line.cells, key=line.key)
            self.lines = lines
            if lines:
                self.move_cursor(row=min(1, len(lines) - 1), scroll=False)
            return
        keep, index, scroll_y = self.cursor_key, self.cursor_row, self.scroll_y
        old = {line.key: line for line in self.lines}
        wanted = {line.key: line for line in lines}
        for key in old.keys() - wanted.keys():
            self.remove_row(key)
        for line in lines:
            before = old.get(line.key)
            if before is None:
                self.add_row(*line.cells, key=line.key)
            elif before.view != line.view:
                for column, cell in line.changed_cells(before):
                    self.update_cell(line.key, column, cell)
        order = [line.key for line in lines]
        moved = order != [line.key for line in self.lines]
        self.lines = lines
        if not moved:
            return
        if [row.key.value for row in self.ordered_rows] != order:
            position = {key: n for n, key in enumerate(order)}
            titles = {group_title(line.view.owner): line.key for line in lines if isinstance(line.view, OwnerView)}
            self.sort("id", "customer", key=lambda cells: position[
                titles[cells[1].plain] if cells[0].plain == "▼" else cells[0].plain])
        if keep in wanted:
            index = order.index(keep)
        # else the promise left the list (reassigned, done on another desk): the cursor stays where it was
        self.move_cursor(row=max(min(index, len(lines) - 1), 0), scroll=False)
        self.scroll_y = scroll_y


class ReviewScreen(OnARow, ShowsTheBoard, OwnKeys, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = list(REVIEW_BINDINGS)

    def __init__(self, desk: Desk, rows: list[Row], now: datetime, *, changed: Callable[[], None]) -> None:
        super().__init__(id="review")
        self.desk, self.changed = desk, changed
        self.rows, self.now = rows, now
        self.groups: dict[str, list[Row]] = {}
        self.marked: set[int] = set()
        try:  # one short query on opening; a desk offline now shows no shops rather than failing to open
            self.shops: list[str] = desk.shops()
        except DataError:
            self.shops = []
        self.shop: str | None = None  # the shop shown (h), None: every shop
        self.due_times = DueTimes(desk.calendar.tz)
        self.instants = Instants()
        self.drawn = DrawnLines()

    def compose(self) -> ComposeResult:
        yield Static("", id="review-head")
        yield ReviewTable(id="review-table")
        yield Static("", id="review-empty")
        yield Static("", id="review-status")
        yield RiskBadge(id="review-risk")
        yield Footer()

    def on_mount(self) -> None:
        self.table.focus()
        self.show(self.rows, self.now)

    @property
    def table(self) -> ReviewTable:
        return self.query_one(ReviewTable)

    # ------------------------------------------------------------------ showing
    def show(self, rows: list[Row], now: datetime) -> None:
        """The board's rows (every open promise, on each read and tick): keep the overdue and at-risk ones."""
        self.rows, self.now = rows, now
        shown_rows = rows if self.shop is None else [r for r in rows if r.promise.shop == self.shop]
        self.groups = review_groups(shown_rows, by_shop=bool(self.shops))
        shown = {r.promise.id for group in self.groups.values() for r in group}
        self.marked &= shown
        self._redraw()

    def _redraw(self) -> None:
        tz, table = self.desk.calendar.tz, self.table
        due_time, marked, compact = self.due_times.at(self.now), self.marked, table.compact
        drawn = self.drawn.at(self.now, tz, compact, due_time, self.instants.at(self.now))
        lines: list[Line] = []
        for owner, rows in self.groups.items():
            lines.append(owner_line(owner, rows, marked))
            lines += [drawn.line(r, r.promise.id in marked) for r in rows]
        reviewed = [r for rows in self.groups.values() for r in rows]
        self.drawn.keep_only({r.promise.id for r in reviewed})
        table.fit_ids(str(r.promise.id) for r in reviewed)
        table.show(lines)
        owners = len({r.promise.owner for r in reviewed})
        overdue = sum(1 for r in reviewed if r.risk is Risk.OVERDUE)
        parts: list[str | tuple[str, str]] = [
            ("Supervisor review", "bold"), "  ",
            (f"{overdue} overdue", "bold $error" if overdue else ""), " · ",
            (f"{len(reviewed) - overdue} at risk", "bold $warning" if len(reviewed) > overdue else ""),
            f" · {owners} owner{'s' if owners != 1 else ''}",
        ]
        if self.shops:
            parts += [" · ", (f"shop {self.shop}" if self.shop else f"{len(self.shops)} shops", "bold"),
                      (" (h: next)", "dim")]
        parts += ["   ", (now_text(self.now, tz), "bold"), "   "]
        if self.marked:
            parts.append((f"{len(self.marked)} marked — a: reassign, f: flag", "bold $accent"))
        else:
            parts.append(("space marks, * marks an owner's", "dim"))
        self.query_one("#review-head", Static).update(Content.assemble(*parts))
        empty = self.query_one("#review-empty", Static)
        empty.display = not lines
        empty.update("Nothing overdue or at risk. Esc: back to the board.")
        self._show_status()

    @on(DataTable.RowHighlighted)
    def _show_status(self) -> None:
        """The highlighted promise in full under the table: who, what, when made, the due, every reason."""
        row = self.current_row
        line, badge = self.query_one("#review-status", Static), self.query_one("#review-risk", RiskBadge)
        line.display = badge.display = row is not None
        if row is None:
            return
        p, tz = row.promise, self.desk.calendar.tz
        line.update(Content.assemble(
            (f"{p.id} ", "bold"), p.customer.name, " — ", p.what, "  │  ", ("made ", "dim"),
            format_due(p.created_at, self.now, tz), ("  due ", "dim"), format_due(p.due, self.now, tz),
            (f" (originally {format_due(p.original_due, self.now, tz)})" if p.original_due != p.due else "", "dim"),
            "  │  ", p.category,
        ))
        badge.show(row.risk, row.assessment.reasons if row.assessment else ())

    # ------------------------------------------------------------------ what the cursor is on
    def _row(self, key: str | None) -> Row | None:
        if key is None or key.startswith(OWNER_KEY):
            return None
        pid = int(key)
        return next((r for rows in self.groups.values() for r in rows if r.promise.id == pid), None)

    @property
    def current_row(self) -> Row | None:
        return self._row(self.table.cursor_key)

    def _current_group(self) -> list[Row]:
        key = self.table.cursor_key
        if key is None:
            return []
        if key.startswith(OWNER_KEY):
            return self.groups.get(key[len(OWNER_KEY):], [])
        row = self._row(key)
        if row is None:
            return []
        return next((rows for rows in self.groups.values() if any(r.promise.id == row.promise.id for r in rows)), [])

    def chosen(self) -> list[Row]:
        """The marked promises in the order shown; with none marked, the highlighted one."""
        marked = [r for rows in self.groups.values() for r in rows if r.promise.id in self.marked]
        if marked:
            return marked
        row = self.current_row
        return [row] if row else []

    # ------------------------------------------------------------------ marking
    def action_mark(self) -> None:
        key = self.table.cursor_key
        if key is not None and key.startswith(OWNER_KEY):
            self.action_mark_group()
            return
        row = self._row(key)
        if row is None:
            return
        self.marked ^= {row.promise.id}
        self._redraw()
        if self.table.cursor_row < self.table.row_count - 1:
            self.table.move_cursor(row=self.table.cursor_row + 1)

    def action_mark_group(self) -> None:
        pids = {r.promise.id for r in self._current_group()}
        if not pids:
            return
        if pids <= self.marked:
            self.marked -= pids
        else:
            self.marked |= pids
        self._redraw()

    # ------------------------------------------------------------------ acting
    def action_reassign(self) -> None:
        rows = self.chosen()
        if not rows:
            self.notify("Mark promises with space first (or put the cursor on one).", severity="warning")
            return
        owners = [r.promise.owner for r in self.rows]
        self.app.push_screen(BulkReassignForm(self.desk, rows, owners), self._bulk_saved)

    def action_flag(self) -> None:
        rows = self.chosen()
        if not rows:
            self.notify("Mark promises with space first (or put the cursor on one).", severity="warning")
            return
        self.app.push_screen(BulkFlagForm(self.desk, rows), self._bulk_saved)

    def _bulk_saved(self, saved: object) -> None:
        if not isinstance(saved, BulkSaved):
            return
        if saved.done:
            self.notify(saved.message, markup=False)
        if saved.failed:
            title = "Not changed" if saved.done else saved.message
            self.notify("\n".join(saved.failed), title=title, severity="warning", timeout=15, markup=False)
        self.marked -= set(saved.done)
        self.changed()

    def action_next_shop(self) -> None:
        """All shops → the first → … → the last → all again."""
        if not self.shops:
            self.notify("This desk sees one shop only.", severity="information")
            return
        order: list[str | None] = [None, *self.shops]
        self.shop = order[(order.index(self.shop) + 1) % len(order)] if self.shop in order else None
        self.show(self.rows, self.now)

    def action_detail(self) -> None:
        row = self.current_row
        if row is not None:
            self.app.push_screen(DetailScreen(self.desk, row.promise.id))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_detail()

    @on(ReviewTable.Compacted)
    def _compacted(self) -> None:
        self._redraw()
