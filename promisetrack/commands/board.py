"""The board: ``promisetrack`` with no command."""

from __future__ import annotations

import argparse

from promisetrack.ahead import Ahead
from promisetrack.service import Desk, FirstRead
from promisetrack.tui import app


def run(args: argparse.Namespace, desk: Desk, first: Ahead[FirstRead]) -> int:
    """``first``: the board's first read, started before this module imported Textual."""
    return app.run_board(desk, role_play=args.demo, first=first.result)
