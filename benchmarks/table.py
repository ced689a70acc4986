"""The results table both benchmark scripts print (the README's Benchmarks section copies it)."""

from __future__ import annotations

import time
from collections.abc import Sequence


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def print_table(rows: Sequence[tuple[str, str, str, str]], started: float) -> None:
    """A Markdown table of (measure, result, goal, verdict), then how long the run took."""
    print()
    print("| measure | result | goal | |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\n({time.monotonic() - started:.0f} s in all)")
