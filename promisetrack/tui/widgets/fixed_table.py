"""A DataTable whose columns all have fixed widths (set by the table from its own size) and whose rows are one line.

Textual's ``DataTable`` measures every cell of every new row when it next idles, and on ``update_cell`` with a
narrower text it measures the cell's whole column again: that is how it sizes auto-width columns. Here no column is
auto-width, so those measurements change nothing — yet the first is a pass over every cell of the board before its
first frame, and the second a pass over a whole column for each due that ticked to a shorter text. This table
skips them while every column is fixed (``DataTable`` sizes a fixed column from ``Column.width`` alone); rows of
automatic height (``add_row(height=None)``) are still measured.

It also draws a one-line text cell itself (``_render_cell``) rather than through Rich's ``Padding`` and ``Styled``,
which is most of what drawing the board's first screen costs. These hooks are ``DataTable``'s own (private) methods,
as of Textual 8 — the version pyproject.toml allows; tests/tui/test_fixed_table.py holds the drawing to
``DataTable``'s, line for line, so a Textual that changes them fails there first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable
from textual.widgets._data_table import SegmentLines

CellType = TypeVar("CellType")


class FixedWidthTable(DataTable[CellType]):
    """A ``DataTable`` whose columns are sized by :meth:`set_widths` (or ``add_column(width=…)``), never measured."""

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

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int, cursor: bool = False,
                     hover: bool = False) -> SegmentLines:
        # A body cell of a one-line row holding a left-aligned Text: its one line made directly (the Text cut to the
        # column and padded, the cell's padding either side, the row's and cursor's styles applied) — what
        # ``DataTable`` makes by rendering it as a Rich renderable inside a ``Padding`` inside a ``Styled``,
        # line for line (tests/tui/test_fixed_table.py compares the two), at a fraction of the cost.
        if row_index < 0 or column_index < 0 or self.fixed_rows or self.fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        cache_key = (row_key, self._column_locations.get_key(column_index), base_style, cursor, hover,
                     self._show_hover_cursor, self._update_count, self._pseudo_class_state)
        found = self._cell_render_cache.get(cache_key)
        if found is not None:
            return found
        cell = self._get_row_renderables(row_index).cells[column_index]
        if (self.rows[row_key].height != 1 or type(cell) is not Text or cell.justify not in (None, "default", "left")
                or cell.no_wrap is False or "\n" in cell.plain or "\t" in cell.plain):  # wrapping, lines, tabs: Rich's
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        padding, inner = " " * self.cell_padding, max(width - 2 * self.cell_padding, 0)
        # As Rich lays out one line of no-wrap text: cut to the width; padded to it inside the text (in its style)
        # only when justified left, else by plain spaces after it.
        text = cell.copy()
        text.truncate(inner, overflow=cell.overflow or "fold", pad=cell.justify == "left")
        console = self.app.console
        # Text.render leaves out the text's own style when it has no spans (Rich renders a line joined into a new
        # Text, where that style is a span): put it on here.
        body = list(text.render(console)) if text.spans else [Segment(text.plain, console.get_style(text.style))]
        fill = [Segment(" " * (inner - text.cell_len))] if text.cell_len < inner else []
        segments = [Segment(padding), *body, *fill, Segment(padding)]
        lines = [list(Segment.apply_style(segments, pre_style, post_style))]
        self._cell_render_cache[cache_key] = lines
        return lines
