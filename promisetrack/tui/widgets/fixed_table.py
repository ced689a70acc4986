"""A DataTable whose columns all have fixed widths (set by the table from its own size) and whose rows are one line.

Textual's ``DataTable`` measures every cell of every new row when it next idles, and on ``update_cell`` with a
narrower text it measures the cell's whole column again: that is how it sizes auto-width columns. Here no column is
auto-width, so those measurements change nothing — yet the first is a pass over every cell of the board before its
first frame, and the second a pass over a whole column for each due that ticked to a shorter text. This table
skips them while every column is fixed (``DataTable`` sizes a fixed column from ``Column.width`` alone); rows of
automatic height (``add_row(height=None)``) are still measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from textual.widgets import DataTable

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
