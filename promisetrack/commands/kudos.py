"""Kudos (issue 12): ``kudos`` records praise for a staff member and ``kudos --list`` reads it, by person and by
month. A module of its own because a month is a period of the figures (``measures``): ``customers`` and ``customer``
(``records.py``) import no figures."""

from __future__ import annotations

import argparse
from datetime import datetime

from promisetrack.commands.output import pad, print_json
from promisetrack.errors import PromiseError
from promisetrack.measures import Measures
from promisetrack.service import Desk


def run_kudos(args: argparse.Namespace, desk: Desk) -> None:
    if args.list:
        return _kudos_list(args, desk)
    if args.name is None or args.note is None:
        raise PromiseError("kudos needs NAME and --note TEXT (or --list to read them)")
    doc = desk.kudos(args.name, args.note, args.from_customer, new_staff=args.new_staff)
    source = f"from {doc['from_customer']}" if doc["from_customer"] else f"recorded by {doc['by']}"
    count = sum(1 for k in desk.kudos_list() if str(k["person"]).casefold() == doc["person"].casefold())
    if args.json:
        print_json({**doc, "count": count})
        return
    print(f"kudos for {doc['person']} ({source}): {doc['note']} — {count} in all")


def _kudos_list(args: argparse.Namespace, desk: Desk) -> None:
    found = Measures(desk).kudos(args.person, args.month)
    if getattr(args, "json", False):
        print_json([{"person": k["person"], "note": k["note"], "from_customer": k.get("from_customer", ""),
                      "by": k.get("by", ""), "at": k["at"]} for k in found])
        return
    if not found:
        print("no kudos")
    tz = desk.calendar.tz
    for k in found:
        source = f"from customer {k['from_customer']}" if k.get("from_customer") else f"from {k.get('by', '')}"
        print(f"{datetime.fromisoformat(k['at']).astimezone(tz):%Y-%m-%d %H:%M}  {pad(k['person'], 12)} "
              f"{k['note']}  ({source})")
