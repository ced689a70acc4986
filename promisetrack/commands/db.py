"""``db init | add-staff | import``: the PostgreSQL database of a desk on several PCs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from promisetrack import service
from promisetrack.config import resolve_data_dir


def run_db(args: argparse.Namespace) -> int:
    """``db init | add-staff | import``: the database, not a desk (no settings, no clock, no user needed)."""
    data = resolve_data_dir(args.data)
    if args.db_command == "init":
        where, before, after = service.init_database(data, args.db)
        print(f"{where}: schema {after}" + (" (already)" if before == after else f" (was {before})"))
    elif args.db_command == "add-staff":
        password = None
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        login, made = service.add_staff(data, args.db, args.name, shop=args.shop, supervisor=args.supervisor,
                                        password=password, login=args.login)
        role = "supervisor" if args.supervisor else f"staff of {args.shop}"
        print(f"added {args.name}: login {login}, {role}")
        if made:
            print(f"one-time password: {made}")
            print("(shown once: give it to them; they can change it with psql's \\password)")
    else:
        where, counts = service.import_desk(data, args.db, Path(args.source).expanduser(), shop=args.shop)
        print(f"imported {args.source} into {where}:")
        for c in counts:
            print(f"  {c.kind:<10} {c.read:>7} read {c.added:>7} added {c.stored:>7} in the database")
    return 0
