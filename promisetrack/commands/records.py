"""Customers as records (issue 12): ``customers`` and ``customer``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from promisetrack.commands.output import cell, pad, print_json
from promisetrack.customers import CustomerSummary
from promisetrack.dates import format_due
from promisetrack.errors import PromiseError
from promisetrack.model import Promise
from promisetrack.outcomes import derive_outcome
from promisetrack.service import Desk, Row, promise_json


def run_customers(args: argparse.Namespace, desk: Desk) -> None:
    summaries = desk.customer_summaries()
    if args.json:
        print_json([s.as_json() for s in summaries])
        return
    if not summaries:
        print("no customers")
        return
    tz = desk.calendar.tz
    print(f"{'ID':>5}  {'NAME':<20} {'PHONE':<16} {'EMAIL':<24} {'OPEN':>4} {'CLOSED':>6} {'BROKEN':>6}  LAST CONTACT")
    for s in summaries:
        c = s.customer
        last = f"{s.last_contact.astimezone(tz):%Y-%m-%d %H:%M}" if s.last_contact else "-"
        print(f"{c.id:>5}  {pad(c.name, 20)} {pad(c.phone, 16)} {pad(c.email, 24)} {s.open:>4} "
              f"{s.closed:>6} {s.broken:>6}  {last}")


def run_customer(args: argparse.Namespace, desk: Desk) -> None:
    if args.target == "merge":
        if len(args.more) != 2:
            raise PromiseError("customer merge takes two ids: the customer kept, then the duplicate")
        kept, moved = desk.merge_customers(*args.more)
        merged = int(str(args.more[1]).strip().lstrip("#"))  # as merge_customers read it
        message = (f"customer {merged} merged into {kept.id} {kept.name}: {len(moved)} promises moved"
                   + (f" ({', '.join(map(str, moved))})" if moved else ""))
        if args.json:
            print_json({"message": message, "kept": kept.id, "merged": merged, "moved": list(moved)})
        else:
            print(message)
        return
    if args.more:
        raise PromiseError(f"customer takes one id, not {len(args.more) + 1} (to merge: customer merge A B)")
    if any(v is not None for v in (args.name, args.phone, args.email, args.note)):
        desk.edit_customer(args.target, name=args.name, phone=args.phone, email=args.email, note=args.note)
    summary, promises = desk.customer(args.target)
    if args.json:
        print_json({**summary.as_json(), "promises": [promise_json(Row(p, desk.assess(p))) for p in promises]})
    else:
        _print_customer(summary, promises, desk)


def _print_customer(summary: CustomerSummary, promises: Sequence[Promise], desk: Desk) -> None:
    c, now, tz = summary.customer, desk.now(), desk.calendar.tz
    print(f"Customer {c.id}: {c.name}" + "".join(f"  {x}" for x in (c.phone, c.email) if x))
    print(f"  promises   {summary.open} open, {summary.closed} closed, {summary.broken} broken")
    print("  notes" + ("" if summary.notes else "      none"))
    for n in summary.notes:
        print(f"    {format_due(n.at, now, tz):<16} {n.by:<10} {n.text}")
    print("  promises, newest first (archive included)")
    for p in promises:
        outcome = derive_outcome(p)
        status = p.status.value + (f" ({outcome.value})" if outcome else "")
        print(f"    {p.id:>5}  {cell(status, 24):<24} {format_due(p.closed_at or p.due, now, tz):<16} {p.what}")
