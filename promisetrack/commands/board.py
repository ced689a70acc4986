"""The board: ``promisetrack`` with no command."""

from __future__ import annotations

import argparse

from promisetrack.service import Desk
from promisetrack.tui import app


def run(args: argparse.Namespace, desk: Desk) -> int:
    return app.run_board(desk, role_play=args.demo)
