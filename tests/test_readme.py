"""The README's two set-up commands stay true: CI runs the test one verbatim."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert "pytest" in ci
    assert ci in (ROOT / "README.md").read_text()


def test_readme_opens_the_demo_board() -> None:
    assert "promisetrack --demo\n" in (ROOT / "README.md").read_text()


def test_the_readme_lists_every_key_of_the_board() -> None:
    from promisetrack.tui.screens.board import BOARD_BINDINGS

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("### The board's keys"):text.index("### JSON output")]
    listed = [line.split(" | ")[0].strip("| `") for line in table.splitlines() if line.startswith("| `")]
    assert listed == [b.key_display or b.key for b in BOARD_BINDINGS]
    for binding in BOARD_BINDINGS:
        assert f"| `{binding.key_display or binding.key}` | {binding.tooltip} |" in table
