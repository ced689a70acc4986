"""What the commands print, shared: JSON for scripts, text cut to terminal cells, the one-line confirmation."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from promisetrack.model import Promise
from promisetrack.service import Desk, Row, promise_json


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def json_line(value: Any) -> str:
    """One JSON document on one line (``ics --follow --json`` prints one per rewrite)."""
    return json.dumps(value, ensure_ascii=False)


def text_width(text: str) -> int:
    """Terminal cells ``text`` takes, as Rich measures them (a CJK character or an emoji takes two). Printable ASCII
    takes one a character (``clean_text`` keeps control characters out), so only other text pays for importing
    ``rich.cells``: ``list`` on an ASCII desk imports no Rich at all (tests/reliability/test_fast_paths.py)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def cell(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells, with an ellipsis; a wide character is never cut in half."""
    if text_width(text) <= width:
        return text
    if text.isascii():
        return text[: width - 1] + "…"
    from rich.cells import set_cell_size

    return set_cell_size(text, width - 1) + "…"  # pads with a space where a wide character would straddle


def pad(text: str, width: int) -> str:
    """``text`` cut and left-aligned in a column ``width`` cells wide (``f"{x:<10}"`` counts characters, not cells)."""
    cut = cell(text, width)
    return cut + " " * (width - text_width(cut))


def confirm(promise: Promise, what: str, args: argparse.Namespace | None = None, desk: Desk | None = None,
             warnings: Sequence[str] = ()) -> None:
    """``1001 contact logged``; with ``--json``, the promise's JSON and that ``message`` (and ``warnings``)."""
    if args is not None and args.json:
        print_promise(desk, promise, f"{promise.id} {what}", warnings)
    else:
        print(f"{promise.id} {what}")


def print_promise(desk: Desk, promise: Promise, message: str, warnings: Sequence[str] = ()) -> None:
    """A command that changed one promise, for scripts: ``promise_json`` plus ``message`` and ``warnings``, the
    same keys for every such command (README, JSON output)."""
    print_json({**promise_json(Row(promise, desk.assess(promise))), "message": message, "warnings": list(warnings)})


def file_json(path: Path) -> dict[str, Any]:
    """A file a command wrote, for scripts: where it is and how many bytes it holds."""
    return {"path": str(path), "bytes": path.stat().st_size}
