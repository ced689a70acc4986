"""``FixedWidthTable`` draws a one-line text cell itself (``_render_cell``): the same lines, segment for segment once
joined, as Textual's ``DataTable`` draws through Rich — for cut and padded texts, styles and spans, wide characters,
the cursor, the zebra stripes and the hover — and it hands every other cell to ``DataTable``."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.text import Span, Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from promisetrack.tui.widgets.fixed_table import FixedWidthTable

WIDTHS = {"id": 4, "customer": 12, "what": 9, "risk": 14, "styled": 8, "due": 8, "wrapped": 6}


def cells(n: int) -> list[Text]:
    names = ["Ann", "王小明 🙂 Zhang", "[bold]not markup[/]", "", "Exactly12chr", "Zoë Ölander-Smythe", "a\tb"]
    return [
        Text(str(1000 + n * 991), no_wrap=True, overflow="ellipsis", end=""),
        Text("! " + names[n % len(names)], no_wrap=True, overflow="ellipsis", end="",
             spans=[Span(0, 2, "bold magenta")]),
        Text("Ring back about the quote", "italic" if n % 2 else "", no_wrap=True, overflow="ellipsis", end=""),
        Text(" OVERDUE  blocked: waiting on the supplier", no_wrap=True, overflow="ellipsis", end="",
             spans=[Span(0, 9, "bold white on red")]),
        Text("short", "underline on blue", no_wrap=True, overflow="ellipsis", end="",  # styled, shorter than its
             justify="left" if n % 3 == 0 else None, spans=[Span(1, 9, "bold")]),     # column, a span beyond it
        Text("due 15h      ", "bold red", no_wrap=True, overflow="ellipsis", end=""),  # spaces beyond the width
        Text("Ring back about it", no_wrap=False, end=""),  # wraps: left to DataTable
    ]


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        yield FixedWidthTable(cursor_type="row", zebra_stripes=True, id="fast")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="rich")

    def on_mount(self) -> None:
        for table in self.query(DataTable):
            table.styles.height = 10
            for key, width in WIDTHS.items():
                table.add_column(key, key=key, width=width)
            for n in range(8):
                table.add_row(*cells(n), key=str(n))


def simplified(table: DataTable, y: int) -> list[Segment]:
    return list(Segment.simplify(table.render_line(y)))


@pytest.mark.parametrize("cursor_row", [0, 3])
async def test_a_fixed_width_table_draws_every_line_as_a_data_table_does(cursor_row: int) -> None:
    app = Tables()
    async with app.run_test(size=(100, 24)) as pilot:
        fast, rich = app.query_one("#fast", FixedWidthTable), app.query_one("#rich", DataTable)
        for table in (fast, rich):
            table.move_cursor(row=cursor_row)
        for focused in (None, fast, rich):  # the header's and the cursor's styles change with the focus
            app.set_focus(focused)
            await pilot.pause()
            lines = {table: [simplified(table, y) for y in range(9)] for table in (fast, rich)}  # header, 8 rows
            if focused is None:
                assert lines[fast] == lines[rich]
            else:
                other = rich if focused is fast else fast
                app.set_focus(other)
                await pilot.pause()
                assert lines[focused] == [simplified(other, y) for y in range(9)]
        text = "\n".join(fast.render_line(y).text for y in range(9))
        assert "! [bold]not…" in text and "! 王小明 🙂…" in text and "Ring bac…" in text  # literal, wide, cut


def test_the_own_path_is_the_one_that_runs() -> None:
    assert FixedWidthTable._render_line_in_row is not DataTable._render_line_in_row
