"""The board's login screen for a database that wants a password (loaded only then: it imports psycopg)."""

from __future__ import annotations

import argparse
from pathlib import Path

from promisetrack.errors import DataError
from promisetrack.service import Desk, open_desk, resolve_db_url
from promisetrack.store.postgres import PasswordNeeded, public_location, url_login, with_login
from promisetrack.tui import login as login_screen


def open_after_login(args: argparse.Namespace, data_dir: Path, refused: DataError) -> Desk | None:
    """The board on a database that wants a password: its login screen asks (until one works, or the user gives
    up), and the desk opens as that login. None for another error."""
    url = resolve_db_url(data_dir, args.db)
    if url is None or not isinstance(refused, PasswordNeeded):
        return None
    why, login = "The database asks who you are: your login and your password.", url_login(url)
    while True:
        given = login_screen.ask_login(public_location(url), why, login)
        if given is None:
            return None
        login = given[0]
        try:
            return open_desk(data_dir, db=with_login(url, *given), now=args.now, user=args.user)
        except PasswordNeeded:
            why = f"The database refused that login or password ({login}): try again, or escape to quit."
