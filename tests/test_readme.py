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
