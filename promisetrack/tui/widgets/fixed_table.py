"""A DataTable whose columns all have fixed widths (set by the table from its own size) and whose rows are one line.

Textual's ``DataTable`` measures every cell of every new row when it next idles, and on ``update_cell`` with a
narrower text it measures the cell's whole column again: that is how it sizes auto-width columns. Here no column is
auto-width, so those measurements change nothing — yet the first is a pass over every cell of the board before its
first frame, and the second a pass over a whole column for each due that ticked to a shorter text. This table
skips them while every column is fixed (``DataTable`` sizes a fixed column from ``Column.width`` alone); rows of
automatic height (``add_row(height=None)``) are still measured.

It also draws a row's line itself (``_render_line_in_row``): what is the same for every cell of a row (its style,
the cursor, the mouse) once for the row, and a one-line text cell directly (``text_cell_line``) rather than through
Rich's ``Padding`` and ``Styled``, which was most of what drawing the board's first screen cost; the rows' styles are
worked out again only when the stylesheet changes them. These hooks are ``DataTable``'s own (private) methods,
as of Textual 8 — the version pyproject.toml allows; tests/tui/test_fixed_table.py holds the drawing to
``DataTable``'s, line for line, so a Textual that changes them fails there first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets._data_table import RowKey, SegmentLines

CellType = TypeVar("CellType")


class FixedWidthTable(DataTable[CellType]):
    """A ``DataTable`` whose columns are sized by :meth:`set_widths` (or ``add_column(width=…)``), never measured."""

    # The columns fit the table's width, so there is nothing to scroll sideways: home and end, which DataTable gives
    # to the leftmost and rightmost column, go to the first and the last row (as ctrl+home and ctrl+end do).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False),
        Binding("end", "scroll_bottom", "Last row", show=False),
    ]

    _row_styles: dict[str, tuple[object, Style]] | None = None

    def _component_style(self, name: str) -> Style:
        """``get_component_styles(name).rich_style``, worked out again only when the stylesheet has given the
        component new styles (it makes a new styles object each time: a theme, a focus change), where ``DataTable``
        works it out for every line it draws."""
        source = self._component_styles[name]
        if self._row_styles is None:
            self._row_styles = {}
        found = self._row_styles.get(name)
        if found is None or found[0] is not source:
            found = self._row_styles[name] = (source, self.get_component_styles(name).rich_style)
        return found[1]

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        if row_index == -1:
            return self._component_style("datatable--header")
        if row_index < self.fixed_rows:
            return self._component_style("datatable--fixed")
        if self.zebra_stripes:
            return self._component_style("datatable--odd-row" if row_index % 2 else "datatable--even-row")
        return base_style

    def _all_fixed(self) -> bool:
        return bool(self.columns) and not any(column.auto_width for column in self.columns.values())

    def _update_dimensions(self, new_rows: Iterable[Any]) -> None:
        # The measurements feed auto-width columns and auto-height rows only: pass on just the rows that need them.
        if self._all_fixed():
            rows = self.rows
            new_rows = [key for key in new_rows if key in rows and rows[key].auto_height]
        super()._update_dimensions(new_rows)

    def _update_column_widths(self, updated_cells: set[Any]) -> None:
        if not self._all_fixed():
            super()._update_column_widths(updated_cells)

    def set_widths(self, widths: Mapping[str, int]) -> bool:
        """Give the columns these widths (cells, without padding); False, and nothing redrawn, if they had them."""
        columns = self.columns  # keyed by ColumnKey, which compares equal to its str
        if all(not columns[key].auto_width and columns[key].width == width  # type: ignore[index]
               for key, width in widths.items()):
            return False
        for key, width in widths.items():
            column = columns[key]  # type: ignore[index]
            column.width, column.auto_width = width, False
        # DataTable has no public "resize column": mark its dimensions stale so it works out its size again.
        self._require_update_dimensions = True
        self._clear_caches()
        self.refresh(layout=True)
        return True

    def _render_line_in_row(self, row_key: RowKey, line_no: int, base_style: Style, cursor_location: Coordinate,
                            hover_location: Coordinate) -> tuple[SegmentLines, SegmentLines]:
        # What ``DataTable``'s makes, for a table with a row cursor and neither row labels nor fixed rows or columns
        # (every table here): what is the same for every cell of a row (its style, whether the cursor or the mouse
        # is on it) is worked out once for the row, and a one-line text cell is drawn by ``text_cell_line``.
        if (self.cursor_type != "row" or self.fixed_columns or self.fixed_rows
                or (self._labelled_row_exists and self.show_row_labels)):
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        show_cursor, show_hover = self.show_cursor, self._show_hover_cursor
        cache_key = (row_key, line_no, base_style, cursor_location, hover_location, "row", show_cursor, show_hover,
                     self._update_count, self._pseudo_class_state)
        found = self._row_render_cache.get(cache_key)
        if found is not None:
            return found
        row_index = self._row_locations.get(row_key) if row_key in self._row_locations else -1
        row_style = self._get_row_style(row_index, base_style)
        cursor, hover = cursor_location.row == row_index, hover_location.row == row_index
        widths = [column.get_render_width(self) for column in self.ordered_columns]
        if row_index < 0 or self.rows[row_key].height != 1:  # the header, a row of several lines: DataTable's cells
            cells = [self._render_cell(row_index, column_index, row_style, width, cursor, hover)[line_no]
                     for column_index, width in enumerate(widths)]
        else:
            component_style, post_style = self._get_styles_to_render_cell(
                False, False, False, hover, cursor, show_cursor, show_hover,
                self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
            padding, console, cache = self.cell_padding, self.app.console, self._cell_render_cache
            state = (row_style, cursor, hover, show_hover, self._update_count, self._pseudo_class_state)
            cells, renderables = [], self._get_row_renderables(row_index).cells  # one for each column
            for column_index, (width, cell) in enumerate(zip(widths, renderables, strict=True)):
                key = (row_key, column_index, *state)
                lines = cache.get(key)
                if lines is None:
                    if is_one_line_text(cell):
                        meta = Style.from_meta({"row": row_index, "column": column_index})
                        line = text_cell_line(cell, width, padding, row_style + meta + component_style, post_style,
                                              console)
                        lines = cache[key] = [line]
                    else:  # wrapping, several lines, tabs, not text: as DataTable draws it (and caches it)
                        lines = self._render_cell(row_index, column_index, row_style, width, cursor, hover)
                cells.append(lines[line_no])
        # the row's style carried on to the table's right edge
        extend_style, _ = self._get_styles_to_render_cell(
            row_index == -1, False, False, hover, cursor, show_cursor, show_hover, False, False)
        extend_style = row_style + extend_style
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        remaining = max(0, self.size.width - sum(widths) - self._row_label_column_width)
        cells.append([Segment(" " * remaining, extend_style)])
        pair: tuple[SegmentLines, SegmentLines] = ([], cells)
        self._row_render_cache[cache_key] = pair
        return pair


def is_one_line_text(cell: object) -> bool:
    """A left-aligned ``Text`` that stays on one line: ``text_cell_line`` draws it."""
    return (type(cell) is Text and cell.justify in (None, "default", "left") and cell.no_wrap is not False
            and "\n" not in cell.plain and "\t" not in cell.plain)


def text_cell_line(cell: Text, width: int, padding: int, pre_style: Style, post_style: Style,
                   console: Console) -> list[Segment]:
    """The one line of a one-line text cell ``width`` cells wide (padding included): what ``DataTable`` makes by
    rendering it as a Rich renderable inside a ``Padding`` inside a ``Styled`` — the text cut to the column, the
    padding either side, ``pre_style`` under every segment's style and ``post_style`` over it — segment for segment
    once joined (tests/tui/test_fixed_table.py compares the two), at a fraction of the cost."""
    # Segment.apply_style(segments, pre_style, post_style) gives a segment of style S the style
    # pre_style + S + post_style, and an unstyled one pre_style + post_style (``edge``).
    edge = pre_style + post_style if post_style else pre_style
    pad, inner = " " * padding, max(width - 2 * padding, 0)
    # As Rich lays out one line of no-wrap text: cut to the width; padded to it inside the text (in its style) only
    # when justified left, else by plain spaces after it.
    text, length = cell, cell.cell_len
    if length > inner or (length < inner and cell.justify == "left"):
        text = cell.copy()
        text.truncate(inner, overflow=cell.overflow or "fold", pad=cell.justify == "left")
        length = text.cell_len
    fill = " " * (inner - length) + pad
    if text.spans:
        body = list(Segment.apply_style(text.render(console), pre_style, post_style))
        return [Segment(pad, edge), *body, Segment(fill, edge)]
    # Text.render leaves out the text's own style when it has no spans (Rich renders a line joined into a new Text,
    # where that style is a span): put it on here. Unstyled, the cell is one segment.
    own = console.get_style(text.style) if text.style else None
    if not own:
        return [Segment(pad + text.plain + fill, edge)]
    body_style = pre_style + own
    return [Segment(pad, edge), Segment(text.plain, body_style + post_style if post_style else body_style),
            Segment(fill, edge)]
