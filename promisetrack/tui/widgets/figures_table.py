"""Read-only tables of figures for the stats screen, and how a figure is written: rates as ``84%``, a missing rate
as ``—``, a change as ``▲ 5pt`` in the colour of better or worse."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

NONE = "—"
BETTER, WORSE = "green", "red"


def cell(value: str, style: str = "", *, right: bool = False) -> Text:
    """A cell shown literally (names and categories are user text)."""
    return Text(value, style=style, no_wrap=True, overflow="ellipsis", end="", justify="right" if right else "left")


def rate_text(value: float | None) -> str:
    return NONE if value is None else f"{value * 100:.0f}%"


def csat_text(mean: float | None, count: int) -> str:
    return NONE if mean is None else f"{mean:.1f} ({count})"


def delta_cell(now: float | None, before: float | None, *, kind: str = "count", higher_is_better: bool | None = True
               ) -> Text:
    """The change from ``before`` to ``now``: rates in percentage points, csat to a tenth, counts whole; ▲ or ▼
    green when it went the good way, red when the bad way; ``—`` when either side has no figure."""
    if now is None or before is None:
        return cell(NONE, "dim", right=True)
    # From the figures as shown (84% and 79% make ▲ 5pt even when the exact rates differ by 5.4 points).
    if kind == "rate":
        shown: float = round(now * 100) - round(before * 100)
    elif kind == "csat":
        shown = round(round(now, 1) - round(before, 1), 1)
    else:
        shown = now - before
    if shown == 0:
        return cell("=", "dim", right=True)
    amount = f"{abs(shown):.1f}" if kind == "csat" else f"{abs(shown):.0f}"
    unit = "pt" if kind == "rate" else ""
    style = "" if higher_is_better is None else (BETTER if (shown > 0) == higher_is_better else WORSE)
    return cell(f"{'▲' if shown > 0 else '▼'} {amount}{unit}", style, right=True)


class FiguresTable(DataTable[Text]):
    """A table to read, not to move in: no cursor, never focused (the screen scrolls instead)."""

    can_focus = False

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(show_cursor=False, cursor_type="none", zebra_stripes=True, id=id, classes=classes)

    def fill(self, columns: Sequence[str], rows: Sequence[Sequence[Text]], *, empty: str = "nothing yet",
             right_from: int = 1) -> None:
        """Show ``rows`` under ``columns`` (numbers right-aligned from column ``right_from``); ``empty`` when there
        are no rows."""
        self.clear(columns=True)
        if not rows:  # one column: the message would stretch the first one across the table
            self.add_column(Text(columns[0]), key="0")
            self.add_row(cell(empty, "dim"))
            return
        for index, label in enumerate(columns):
            self.add_column(Text(label, justify="right" if index >= right_from else "left"), key=str(index))
        for row in rows:
            self.add_row(*row)

    @property
    def text(self) -> str:
        """The table as plain text, a line per row (header first): for tests and for reading aloud."""
        lines = [" | ".join(str(c.label.plain) for c in self.columns.values())]
        lines += [" | ".join(c.plain for c in self.get_row_at(i)) for i in range(self.row_count)]
        return "\n".join(lines)
