"""The commands on one promise (``add``, ``list``, ``show``, ``contact`` … ``rate``) and ``undo``, ``check``.

``add``, ``list`` and ``done`` are the everyday commands: this module and what it imports must stay free of Textual,
metrics, export, dateutil and psycopg (tests/reliability/test_fast_paths.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime

from promisetrack.commands import EXIT_DATA
from promisetrack.commands.output import cell, confirm, pad, print_json, print_promise
from promisetrack.dates import describe_due, format_due
from promisetrack.model import EventKind
from promisetrack.outcomes import derive_outcome
from promisetrack.service import Desk, Row, parse_id, promise_json
from promisetrack.timeline import event_details


def _print_rows(rows: Sequence[Row], desk: Desk, now: datetime) -> None:
    if not rows:
        print("no promises")
        return
    tz = desk.calendar.tz
    ids = max(5, *(len(str(row.promise.id)) for row in rows))  # a desk of months has ids past 10000: never cut
    print(f"{'ID':>{ids}}  {'DUE':<16} {'WHEN':<15} {'RISK':<8} {'OWNER':<10} {'CUSTOMER':<18} WHAT")
    for row in rows:
        p = row.promise
        outcome = None if p.is_open else derive_outcome(p)  # a closed promise: how it ended (kept, broken …)
        when = describe_due(p.due, now) if p.is_open else outcome.value if outcome else p.status.value
        risk = row.risk.value if row.risk else "-"
        line = (
            f"{p.id:>{ids}}  {format_due(p.due, now, tz):<16} {when:<15} {risk:<8} "
            f"{pad(p.owner, 10)} {pad(p.customer.name, 18)} {cell(p.what, 40)}"
        )
        if row.assessment and row.assessment.reasons:
            line += f"  ({'; '.join(row.assessment.reasons)})"
        print(line)


def _print_detail(row: Row, desk: Desk) -> None:
    p, now, tz = row.promise, desk.now(), desk.calendar.tz
    c = p.customer
    print(f"Promise {p.id}: {p.what}")
    print(f"  customer   {c.name}" + "".join(f"  {x}" for x in (c.phone, c.email) if x))
    print(f"  owner      {p.owner}   category {p.category}" + ("   COMPLAINT" if p.complaint else ""))
    print(f"  due        {format_due(p.due, now, tz)}   (originally {format_due(p.original_due, now, tz)})")
    if p.is_open and row.assessment:
        reasons = f" — {'; '.join(row.assessment.reasons)}" if row.assessment.reasons else ""
        print(f"  risk       {row.assessment.level.value}{reasons}")
    else:
        outcome = derive_outcome(p)
        print(f"  status     {p.status.value}, outcome {outcome.value if outcome else '-'}"
              + (f", csat {p.csat}" if p.csat else ""))
    if p.blocked:
        print(f"  blocked    {p.blocked_note}")
    if p.waiting_since is not None:
        until = f", by {format_due(p.waiting_until, now, tz)}" if p.waiting_until else ""
        print(f"  waiting    since {format_due(p.waiting_since, now, tz)}: {p.waiting_note}{until}")
    print("  timeline")
    effective = set(p.effective_indices())
    for index, e in enumerate(p.events):
        undone = "" if index in effective or e.kind is EventKind.UNDONE else "  (undone)"
        print(f"    {format_due(e.at, now, tz):<16} {e.by:<10} {e.kind.value:<12} {event_details(e, now, tz)}{undone}")


def run_add(args: argparse.Namespace, desk: Desk) -> None:
    promise, warnings = desk.add(
        args.customer, args.what, args.due, phone=args.phone, email=args.email,
        owner=args.owner, category=args.category, complaint=args.complaint,
        new_customer=args.new_customer,
    )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print_promise(desk, promise, f"promise {promise.id} added", warnings)
    else:
        print(promise.id)


def run_list(args: argparse.Namespace, desk: Desk) -> None:
    now = desk.now()  # one moment for the risk and the words: a clock that runs on must not say 30m beside 29m
    rows = desk.listing(args.status, args.owner, args.category, now=now)
    if args.json:
        print_json([promise_json(r) for r in rows])
    else:
        _print_rows(rows, desk, now)


def run_show(args: argparse.Namespace, desk: Desk) -> None:
    row = desk.row(args.id)
    if args.json:
        print_json(promise_json(row))
    else:
        _print_detail(row, desk)


def run_contact(args: argparse.Namespace, desk: Desk) -> None:
    confirm(desk.contact(args.id, args.note, args.channel), f"contact logged ({args.channel})", args, desk)


def run_notice(args: argparse.Namespace, desk: Desk) -> None:
    """The filled text alone (for a script to send); with ``--json`` also its subject and the links. Nothing is
    logged: once sent, ``contact --channel sms`` logs it."""
    notice = desk.notice(args.id, args.template, args.due)
    if args.json:
        print_json({"id": parse_id(args.id), "template": notice.template, "subject": notice.subject,
                    "body": notice.body, "email": notice.email, "phone": notice.phone, "mailto": notice.mailto,
                    "sms": notice.sms})
    else:
        print(notice.body)


def run_reschedule(args: argparse.Namespace, desk: Desk) -> None:
    promise, warnings = desk.reschedule(args.id, args.due, args.note)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    now, tz = desk.now(), desk.calendar.tz
    confirm(promise, f"now due {format_due(promise.due, now, tz)} "
             f"(originally {format_due(promise.original_due, now, tz)})", args, desk, warnings)


def run_done(args: argparse.Namespace, desk: Desk) -> None:
    promise = desk.done(args.id, args.csat, args.note)
    outcome = derive_outcome(promise)
    confirm(promise, f"done — {outcome.value if outcome else 'closed'}", args, desk)


def run_cancel(args: argparse.Namespace, desk: Desk) -> None:
    confirm(desk.cancel(args.id, args.reason), "cancelled", args, desk)


def run_reassign(args: argparse.Namespace, desk: Desk) -> None:
    promise = desk.reassign(args.id, args.owner)
    confirm(promise, f"now {promise.owner}'s", args, desk)


def run_flag(args: argparse.Namespace, desk: Desk) -> None:
    if args.clear:
        confirm(desk.unflag(args.id), "no longer blocked", args, desk)
    else:
        confirm(desk.flag(args.id, args.note), "flagged as blocked", args, desk)


def run_wait(args: argparse.Namespace, desk: Desk) -> None:
    promise = desk.wait(args.id, args.note, args.until)
    until = promise.waiting_until
    by = f" by {format_due(until, desk.now(), desk.calendar.tz)}" if until else ""
    confirm(promise, f"waiting on the customer to {promise.waiting_note}{by} (the risk clock is paused)", args, desk)


def run_resume(args: argparse.Namespace, desk: Desk) -> None:
    promise = desk.resume(args.id, args.note)
    confirm(promise, f"resumed: now due {format_due(promise.due, desk.now(), desk.calendar.tz)}", args, desk)


def run_note(args: argparse.Namespace, desk: Desk) -> None:
    confirm(desk.note(args.id, args.text), "note added", args, desk)


def run_undo(args: argparse.Namespace, desk: Desk) -> None:
    preview = desk.undo_preview()
    message = desk.undo(expect=preview)
    if args.json:
        print_json({"message": message, "id": preview.pid, "undone": preview.kind, "at": preview.at.isoformat(),
                     "removed": preview.removes})
    else:
        print(message)


def run_check(args: argparse.Namespace, desk: Desk) -> int:
    health = desk.health()
    if args.json:
        print_json({"ok": not health.problems, "problems": health.problems, "warnings": health.warnings,
                     "location": health.location})
        return EXIT_DATA if health.problems else 0
    for warning in health.warnings:
        print(f"warning: {warning}")
    if health.problems:
        for problem in health.problems:
            print(f"problem: {problem}")
        return EXIT_DATA
    print(f"ok: {health.location} is healthy")
    return 0


def run_complaint(args: argparse.Namespace, desk: Desk) -> None:
    if args.clear:
        confirm(desk.clear_complaint(args.id, args.why), "complaint cleared", args, desk)
    else:
        confirm(desk.complaint(args.id, args.note), "complaint recorded", args, desk)


def run_rate(args: argparse.Namespace, desk: Desk) -> None:
    promise = desk.rate(args.id, args.csat, args.note)
    confirm(promise, f"rated {promise.csat} (the outcome is unchanged)", args, desk)
