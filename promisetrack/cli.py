"""Command line: argument parsing and printing. Calls the service (``Desk``), never the store.

Exit status: 0 done, 2 bad input (nothing written), 1 a problem with the data dir or its files.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from promisetrack import __version__
from promisetrack.errors import DataError, PromiseError

EXIT_INPUT, EXIT_DATA = 2, 1


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _port(value: str) -> int:
    """``--port``: a TCP port; anything else is one line and exit 2 here, not a traceback from the server later."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 1 to 65535, not {value!r}")
    return port


def _sessions(value: str) -> int:
    """``--max-sessions``: how many boards may be open at once, 1 or more."""
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"a number of boards is a whole number, 1 or more, not {value!r}")
    return count


def _public_url(value: str) -> str:
    """``--public-url``: ``http(s)://host[:port][/path]``, as the other PCs' browsers reach this one."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value.strip())
        port_ok = parts.port is None or 1 <= parts.port <= 65535
    except ValueError:
        parts, port_ok = None, False
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok
            or parts.username is not None or parts.query or parts.fragment):
        raise argparse.ArgumentTypeError(f"a public URL looks like http://desk-pc:8000, not {value!r}")
    return value.strip().rstrip("/")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="promisetrack", description="Keep the front desk's promises. No command opens the board.")
    p.add_argument("--version", action="version", version=f"promisetrack {__version__}")
    p.add_argument("--data", metavar="DIR", help="data dir (default: $PROMISETRACK_DATA, else the user data dir)")
    p.add_argument("--db", metavar="URL", help="a PostgreSQL database instead of the data dir, e.g. "
                   "postgresql://server/promisetrack (default: $PROMISETRACK_DB, else [store] url in settings)")
    p.add_argument("--now", metavar="WHEN", help="start the clock at WHEN (ISO datetime or due phrase); it runs on")
    p.add_argument("--user", metavar="NAME", help="who is at the desk (default: $PROMISETRACK_USER, else login)")
    p.add_argument("--demo", action="store_true", help="use a throwaway copy of the demo data")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    add = sub.add_parser("add", help="make a promise; prints its id")
    add.add_argument("--customer", required=True, metavar="NAME")
    add.add_argument("--what", required=True, metavar="TEXT")
    add.add_argument("--due", required=True, metavar="PHRASE", help="e.g. tomorrow 10am, fri 5pm, eod, +2bd")
    add.add_argument("--phone", default="")
    add.add_argument("--email", default="")
    add.add_argument("--owner", metavar="NAME", help="who keeps it (default: --user)")
    add.add_argument("--category", metavar="C")
    add.add_argument("--complaint", action="store_true", help="the customer came with a complaint")
    add.add_argument("--new-customer", action="store_true",
                     help="a new customer even if one of that name is known (a name alone is matched otherwise)")

    ls = sub.add_parser("list", help="list promises (default: open, in board order)")
    ls.add_argument("--status", default="open", choices=("open", "at-risk", "overdue", "waiting", "closed", "all"))
    ls.add_argument("--owner", metavar="NAME")
    ls.add_argument("--category", metavar="C")
    ls.add_argument("--json", action="store_true")

    show = sub.add_parser("show", help="one promise with its timeline")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")

    contact = sub.add_parser("contact", help="log a conversation with the customer")
    contact.add_argument("id")
    contact.add_argument("--note", required=True)
    contact.add_argument("--channel", default="phone", choices=("phone", "email", "sms", "in-person"))

    resched = sub.add_parser("reschedule", help="agree a new due with the customer")
    resched.add_argument("id")
    resched.add_argument("--due", required=True, metavar="PHRASE")
    resched.add_argument("--note", required=True)

    done = sub.add_parser("done", help="the promise was kept (or delivered late)")
    done.add_argument("id")
    done.add_argument("--csat", metavar="1-5", help="customer satisfaction, 1 to 5")
    done.add_argument("--note")

    cancel = sub.add_parser("cancel", help="the promise no longer applies")
    cancel.add_argument("id")
    cancel.add_argument("--reason", required=True)

    reassign = sub.add_parser("reassign", help="give the promise to someone else")
    reassign.add_argument("id")
    reassign.add_argument("--owner", required=True, metavar="NAME")

    flag = sub.add_parser("flag", help="flag as blocked (waiting on someone), or --clear")
    flag.add_argument("id")
    group = flag.add_mutually_exclusive_group(required=True)
    group.add_argument("--note", help="what it is waiting on")
    group.add_argument("--clear", action="store_true")

    wait = sub.add_parser("wait", help="waiting on the customer (bring, sign, pay): the risk clock pauses")
    wait.add_argument("id")
    wait.add_argument("--note", required=True, help="what the customer is to do, e.g. 'bring the laptop'")
    wait.add_argument("--until", metavar="PHRASE", help="by when they said they would (e.g. thu 12:00)")

    resume = sub.add_parser("resume", help="the customer came back: the due moves on by the business time waited")
    resume.add_argument("id")
    resume.add_argument("--note")

    note = sub.add_parser("note", help="add an internal note to a promise")
    note.add_argument("id")
    note.add_argument("--text", required=True)

    sub.add_parser("undo", help="undo your last change")
    sub.add_parser("check", help="check the data dir (or the database) and say what is wrong")

    db = sub.add_parser("db", help="set up the PostgreSQL database of a desk on several PCs (see --db)")
    db_sub = db.add_subparsers(dest="db_command", metavar="DB_COMMAND", parser_class=_Parser, required=True)
    db_sub.add_parser("init", help="create or upgrade the database's tables (run as the database's owner)")
    staff = db_sub.add_parser("add-staff", help="a login for a staff member; prints a one-time password")
    staff.add_argument("name", metavar="NAME", help="as shown in the events, e.g. 'Ana Lopez'")
    staff.add_argument("--login", metavar="LOGIN", help="the PostgreSQL login (default: from NAME, e.g. ana_lopez)")
    staff.add_argument("--shop", default="main", help="the shop whose promises they see (default: main)")
    staff.add_argument("--supervisor", action="store_true", help="sees and changes every shop's promises")
    staff.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    imp = db_sub.add_parser("import", help="copy a data dir's desk into the database (twice changes nothing)")
    imp.add_argument("--data", dest="source", required=True, metavar="DIR", help="the data dir to copy")
    imp.add_argument("--shop", default="main", help="the shop its promises belong to (default: main)")

    serve = sub.add_parser("serve", help="serve the board in a browser (needs the 'serve' extra: textual-serve)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine)")
    serve.add_argument("--port", type=_port, default=8000, help="port, 1 to 65535 (default: 8000)")
    serve.add_argument("--public-url", type=_public_url, metavar="URL",
                       help="the address other PCs open, e.g. http://desk-pc:8000 (needed with --host 0.0.0.0)")
    serve.add_argument("--max-sessions", type=_sessions, default=8, metavar="N",
                       help="boards open at once, at most (default: 8)")

    report = sub.add_parser("report", help="figures of a month, ISO week or date range (default: this month)")
    report.add_argument("--month", metavar="YYYY-MM")
    report.add_argument("--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W48")
    report.add_argument("--from", dest="first", metavar="DATE", help="first day, e.g. 2026-11-01")
    report.add_argument("--to", dest="last", metavar="DATE", help="last day, included (default: today)")
    report.add_argument("--json", action="store_true")

    export = sub.add_parser("export", help="write a week's CSV, XLSX, Markdown summary and .ics of open promises")
    export.add_argument("--week", metavar="YYYY-Www", help="ISO week (default: the week just ended)")
    export.add_argument("--out", metavar="DIR", default=".", help="folder to write into (default: the current one)")

    kudos = sub.add_parser("kudos", help="record praise for a staff member")
    kudos.add_argument("name", metavar="NAME", nargs="?")
    kudos.add_argument("--note", metavar="TEXT")
    kudos.add_argument("--from-customer", metavar="NAME", default="", help="the customer who gave it")
    _add_records_commands(sub, kudos)
    return p


def _option(parser: argparse.ArgumentParser, *flags: str, **kw: Any) -> None:
    """Add an option unless the parser has it already (``--json`` on ``kudos`` comes from two branches of work)."""
    if not any(flag in parser._option_string_actions for flag in flags):
        parser.add_argument(*flags, **kw)


def _add_records_commands(sub: Any, kudos: argparse.ArgumentParser) -> None:
    """Customers as records, late complaints and scores, readable kudos (issue 12)."""
    kudos.add_argument("--new-staff", action="store_true", help="praise someone not on the staff list")
    kudos.add_argument("--list", action="store_true", help="list the kudos instead of recording one")
    kudos.add_argument("--person", metavar="NAME", help="with --list: only this person's")
    kudos.add_argument("--month", metavar="YYYY-MM", help="with --list: only this month's")
    _option(kudos, "--json", action="store_true")

    complaint = sub.add_parser("complaint", help="the customer complained (open or closed promise), or --clear")
    complaint.add_argument("id")
    group = complaint.add_mutually_exclusive_group(required=True)
    group.add_argument("--note", metavar="TEXT", help="what the customer complained about")
    group.add_argument("--clear", action="store_true", help="take the complaint off (an event records it)")
    complaint.add_argument("--why", metavar="TEXT", help="with --clear: why")

    rate = sub.add_parser("rate", help="record or correct the csat of a done promise (a late survey answer)")
    rate.add_argument("id")
    rate.add_argument("--csat", required=True, metavar="1-5")
    rate.add_argument("--note", metavar="TEXT")

    customers = sub.add_parser("customers", help="every customer with open, closed and broken promises")
    customers.add_argument("--json", action="store_true")

    customer = sub.add_parser("customer", help="one customer (notes, every promise); edit it; customer merge A B")
    customer.add_argument("target", metavar="ID|merge", help="a customer id, or merge")
    customer.add_argument("more", nargs="*", metavar="ID", help="with merge: the customer kept, then the duplicate")
    customer.add_argument("--name")
    customer.add_argument("--phone")
    customer.add_argument("--email")
    customer.add_argument("--note", metavar="TEXT", help="add a note to the customer (with who and when)")
    customer.add_argument("--json", action="store_true")


def _print_json(value: Any) -> None:
    import json  # here, not at the top: add/list/done start faster without it

    print(json.dumps(value, indent=2, ensure_ascii=False))


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_rows(rows: Sequence[Any], desk: Any, now: Any) -> None:
    from promisetrack.dates import describe_due, format_due

    if not rows:
        print("no promises")
        return
    tz = desk.calendar.tz
    print(f"{'ID':>5}  {'DUE':<16} {'WHEN':<12} {'RISK':<8} {'OWNER':<10} {'CUSTOMER':<18} WHAT")
    for row in rows:
        p = row.promise
        when = describe_due(p.due, now) if p.is_open else p.status.value
        risk = row.risk.value if row.risk else "-"
        line = (
            f"{p.id:>5}  {format_due(p.due, now, tz):<16} {when:<12} {risk:<8} "
            f"{_cell(p.owner, 10):<10} {_cell(p.customer.name, 18):<18} {_cell(p.what, 40)}"
        )
        if row.assessment and row.assessment.reasons:
            line += f"  ({'; '.join(row.assessment.reasons)})"
        print(line)


def _print_detail(row: Any, desk: Any) -> None:
    from promisetrack.dates import format_due
    from promisetrack.model import EventKind
    from promisetrack.outcomes import derive_outcome
    from promisetrack.timeline import event_details

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


def _add(args: argparse.Namespace, desk: Any) -> None:
    promise, warnings = desk.add(
        args.customer, args.what, args.due, phone=args.phone, email=args.email,
        owner=args.owner, category=args.category, complaint=args.complaint,
        new_customer=args.new_customer,
    )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(promise.id)


def _list(args: argparse.Namespace, desk: Any) -> None:
    from promisetrack.service import promise_json

    now = desk.now()  # one moment for the risk and the words: a clock that runs on must not say 30m beside 29m
    rows = desk.listing(args.status, args.owner, args.category, now=now)
    if args.json:
        _print_json([promise_json(r) for r in rows])
    else:
        _print_rows(rows, desk, now)


def _show(args: argparse.Namespace, desk: Any) -> None:
    from promisetrack.service import promise_json

    row = desk.row(args.id)
    if args.json:
        _print_json(promise_json(row))
    else:
        _print_detail(row, desk)


def _confirm(promise: Any, what: str) -> None:
    print(f"{promise.id} {what}")


def _contact(args: argparse.Namespace, desk: Any) -> None:
    _confirm(desk.contact(args.id, args.note, args.channel), f"contact logged ({args.channel})")


def _reschedule(args: argparse.Namespace, desk: Any) -> None:
    from promisetrack.dates import format_due

    promise, warnings = desk.reschedule(args.id, args.due, args.note)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    now, tz = desk.now(), desk.calendar.tz
    _confirm(promise, f"now due {format_due(promise.due, now, tz)} "
             f"(originally {format_due(promise.original_due, now, tz)})")


def _done(args: argparse.Namespace, desk: Any) -> None:
    from promisetrack.outcomes import derive_outcome

    promise = desk.done(args.id, args.csat, args.note)
    outcome = derive_outcome(promise)
    _confirm(promise, f"done — {outcome.value if outcome else 'closed'}")


def _cancel(args: argparse.Namespace, desk: Any) -> None:
    _confirm(desk.cancel(args.id, args.reason), "cancelled")


def _reassign(args: argparse.Namespace, desk: Any) -> None:
    _confirm(desk.reassign(args.id, args.owner), f"now {args.owner}'s")


def _flag(args: argparse.Namespace, desk: Any) -> None:
    if args.clear:
        _confirm(desk.unflag(args.id), "no longer blocked")
    else:
        _confirm(desk.flag(args.id, args.note), "flagged as blocked")


def _wait(args: argparse.Namespace, desk: Any) -> None:
    from promisetrack.dates import format_due

    promise = desk.wait(args.id, args.note, args.until)
    until = promise.waiting_until
    by = f" by {format_due(until, desk.now(), desk.calendar.tz)}" if until else ""
    _confirm(promise, f"waiting on the customer to {promise.waiting_note}{by} (the risk clock is paused)")


def _resume(args: argparse.Namespace, desk: Any) -> None:
    from promisetrack.dates import format_due

    promise = desk.resume(args.id, args.note)
    _confirm(promise, f"resumed: now due {format_due(promise.due, desk.now(), desk.calendar.tz)}")


def _note(args: argparse.Namespace, desk: Any) -> None:
    _confirm(desk.note(args.id, args.text), "note added")


def _undo(args: argparse.Namespace, desk: Any) -> None:
    print(desk.undo())


def _check(args: argparse.Namespace, desk: Any) -> int:
    health = desk.health()
    for warning in health.warnings:
        print(f"warning: {warning}")
    if health.problems:
        for problem in health.problems:
            print(f"problem: {problem}")
        return EXIT_DATA
    print(f"ok: {health.location} is healthy")
    return 0


def _print_report(report: Any, desk: Any) -> None:
    from promisetrack.metrics import TABLE_HEADINGS, table_cells

    period, tz = report.period, desk.calendar.tz
    print(f"Report {period.label}: {period.start:%a %d %b %Y} – {period.last_day:%a %d %b %Y} ({tz}), "
          "promises by the day they closed")
    rows = [("overall", table_cells(report.overall))]
    for title, groups in (("by owner", report.by_owner), ("by category", report.by_category)):
        rows.append((title, []))
        rows += [(f"  {name}", table_cells(figures)) for name, figures in groups.items()]
    widths = [max(len(h), *(len(cells[i]) for _, cells in rows if cells)) for i, h in enumerate(TABLE_HEADINGS)]
    name_width = min(24, max(len(name) for name, _ in rows) + 2)
    for name, cells in [("", list(TABLE_HEADINGS)), *rows]:
        text = " ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=False))
        print(f"{_cell(name, name_width):<{name_width}}{text}".rstrip())
    _print_waits_and_acks(report)
    print("on-time = (kept + reneg) / closed; orig = kept / closed; proact = (reneg + late) / (reneg + late + broken);")
    print("cancelled (canc) promises are in no rate; lead h = lead time p50/p80 in business hours;")
    print("overdue and at-risk count the promises open at the period's end (or now, if it has not ended).")


def _print_waits_and_acks(report: Any) -> None:
    """Waiting on the customer per category, and time to acknowledge an alert per owner (business time)."""
    _print_pairs("waiting on the customer, by category: promises that waited, business hours in all / median",
                 [(name, f.waited_count, f.waited_total_hours, f.waited_median_hours)
                  for name, f in report.by_category.items() if f.waited_count])
    _print_pairs("time to acknowledge an alert, by owner: alerts, business minutes median / p80",
                 [(name, f.ack_count, f.ack_p50_minutes, f.ack_p80_minutes)
                  for name, f in report.by_owner.items() if f.ack_count])


def _print_pairs(title: str, rows: list[tuple[str, int, float | None, float | None]]) -> None:
    """A titled list of ``name  count  a / b`` lines (nothing when there are no rows)."""

    def number(value: float | None) -> str:
        return "—" if value is None else f"{value:.1f}"

    if rows:
        print(title)
        for name, count, first, second in rows:
            print(f"  {_cell(name, 22):<22}{count:>5}  {number(first):>8} / {number(second)}")


def _report(args: argparse.Namespace, desk: Any) -> None:
    period = desk.period(month=args.month, week=args.week, first=args.first, last=args.last)
    report = desk.period_report(period)
    if args.json:
        _print_json(report.as_json())
    else:
        _print_report(report, desk)


def _export(args: argparse.Namespace, desk: Any) -> None:
    from pathlib import Path

    from promisetrack.export import export_week

    period = desk.period(week=args.week) if args.week else desk.last_week()
    for path in export_week(desk.period_detail(period), Path(args.out).expanduser(), desk.now(), desk.calendar.tz):
        print(path)


def _kudos(args: argparse.Namespace, desk: Any) -> None:
    if args.list:
        return _kudos_list(args, desk)
    if args.name is None or args.note is None:
        raise PromiseError("kudos needs NAME and --note TEXT (or --list to read them)")
    doc = desk.kudos(args.name, args.note, args.from_customer, new_staff=args.new_staff)
    source = f"from {doc['from_customer']}" if doc["from_customer"] else f"recorded by {doc['by']}"
    count = sum(1 for k in desk.kudos_list() if str(k["person"]).casefold() == doc["person"].casefold())
    print(f"kudos for {doc['person']} ({source}): {doc['note']} — {count} in all")


COMMANDS: dict[str, Callable[[argparse.Namespace, Any], int | None]] = {
    "add": _add, "list": _list, "show": _show, "contact": _contact, "reschedule": _reschedule,
    "done": _done, "cancel": _cancel, "reassign": _reassign, "flag": _flag, "note": _note,
    "wait": _wait, "resume": _resume,
    "undo": _undo, "check": _check, "report": _report, "export": _export, "kudos": _kudos,
}


def _kudos_list(args: argparse.Namespace, desk: Any) -> None:
    found = desk.kudos_list(args.person, args.month)
    if getattr(args, "json", False):
        _print_json([{"person": k["person"], "note": k["note"], "from_customer": k.get("from_customer", ""),
                      "by": k.get("by", ""), "at": k["at"]} for k in found])
        return
    if not found:
        print("no kudos")
    tz = desk.calendar.tz
    from datetime import datetime

    for k in found:
        source = f"from customer {k['from_customer']}" if k.get("from_customer") else f"from {k.get('by', '')}"
        print(f"{datetime.fromisoformat(k['at']).astimezone(tz):%Y-%m-%d %H:%M}  {_cell(k['person'], 12):<12} "
              f"{k['note']}  ({source})")


def _complaint(args: argparse.Namespace, desk: Any) -> None:
    if args.clear:
        _confirm(desk.clear_complaint(args.id, args.why), "complaint cleared")
    else:
        _confirm(desk.complaint(args.id, args.note), "complaint recorded")


def _rate(args: argparse.Namespace, desk: Any) -> None:
    promise = desk.rate(args.id, args.csat, args.note)
    _confirm(promise, f"rated {promise.csat} (the outcome is unchanged)")


def _customers(args: argparse.Namespace, desk: Any) -> None:
    summaries = desk.customer_summaries()
    if args.json:
        _print_json([s.as_json() for s in summaries])
        return
    if not summaries:
        print("no customers")
        return
    tz = desk.calendar.tz
    print(f"{'ID':>5}  {'NAME':<20} {'PHONE':<16} {'EMAIL':<24} {'OPEN':>4} {'CLOSED':>6} {'BROKEN':>6}  LAST CONTACT")
    for s in summaries:
        c = s.customer
        last = f"{s.last_contact.astimezone(tz):%Y-%m-%d %H:%M}" if s.last_contact else "-"
        print(f"{c.id:>5}  {_cell(c.name, 20):<20} {_cell(c.phone, 16):<16} {_cell(c.email, 24):<24} {s.open:>4} "
              f"{s.closed:>6} {s.broken:>6}  {last}")


def _customer(args: argparse.Namespace, desk: Any) -> None:
    if args.target == "merge":
        if len(args.more) != 2:
            raise PromiseError("customer merge takes two ids: the customer kept, then the duplicate")
        kept, moved = desk.merge_customers(*args.more)
        print(f"customer {args.more[1]} merged into {kept.id} {kept.name}: {len(moved)} promises moved"
              + (f" ({', '.join(map(str, moved))})" if moved else ""))
        return
    if args.more:
        raise PromiseError(f"customer takes one id, not {len(args.more) + 1} (to merge: customer merge A B)")
    if any(v is not None for v in (args.name, args.phone, args.email, args.note)):
        desk.edit_customer(args.target, name=args.name, phone=args.phone, email=args.email, note=args.note)
    summary, promises = desk.customer(args.target)
    if args.json:
        from promisetrack.service import Row, promise_json

        _print_json({**summary.as_json(), "promises": [promise_json(Row(p, desk.assess(p))) for p in promises]})
    else:
        _print_customer(summary, promises, desk)


def _print_customer(summary: Any, promises: Sequence[Any], desk: Any) -> None:
    from promisetrack.dates import format_due
    from promisetrack.outcomes import derive_outcome

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
        print(f"    {p.id:>5}  {_cell(status, 24):<24} {format_due(p.closed_at or p.due, now, tz):<16} {p.what}")


COMMANDS.update({"complaint": _complaint, "rate": _rate, "customers": _customers, "customer": _customer})


def _serve(args: argparse.Namespace) -> int:
    """The board in a browser: each visitor gets ``promisetrack`` run with the same global options, behind the
    printed link's token, from the served origin only, at most ``--max-sessions`` at once (``serving.py``).

    What each visitor's board would refuse (``--data ""``, ``--user ""``), a wildcard ``--host`` without
    ``--public-url`` and an address that cannot be listened on are refused here, before textual-serve is imported:
    it would fail later, in each browser or with a traceback.
    """
    import shlex

    from promisetrack.config import resolve_data_dir
    from promisetrack.service import resolve_user

    command = [sys.executable, "-m", "promisetrack"]
    if args.data is not None:
        command += ["--data", str(resolve_data_dir(args.data).resolve())]
    if args.now:
        command += ["--now", args.now]
    if args.user is not None:
        command += ["--user", resolve_user(args.user)]
    if args.public_url is None and _listens_everywhere(args.host):
        raise PromiseError(f"--host {args.host or repr('')} listens on every network, and other PCs cannot open a "
                           f"page at that address: pass --public-url http://<this-pc's-name-or-address>:{args.port}")
    check_listen(args.host, args.port)
    try:
        from promisetrack.serving import GuardedServer
    except ImportError:
        print("promisetrack: error: serve needs textual-serve: pip install 'promisetrack[serve]'", file=sys.stderr)
        return EXIT_INPUT
    if args.demo:
        from promisetrack.demo import DEMO_USER

        command.append("--demo")
        who = DEMO_USER if args.user is None else resolve_user(args.user)
        visitors = f"Each visitor gets a throwaway demo desk, as {who}."
    else:
        visitors = (f"Every visitor acts as {resolve_user(args.user)}, the serving user: the file store has no logins. "
                    "Share the link only with the desk.")
    server = GuardedServer(shlex.join(command), host=args.host, port=args.port, public_url=args.public_url,
                           max_sessions=args.max_sessions, visitors=visitors)
    server.serve()
    return 0


def _listens_everywhere(host: str) -> bool:
    """``0.0.0.0``, ``::`` or an empty host: every address of the machine, none of which the page could name."""
    import ipaddress

    try:
        return not host.strip() or ipaddress.ip_address(host.strip()).is_unspecified
    except ValueError:
        return False


def check_listen(host: str, port: int) -> None:
    """Raise PromiseError unless ``host:port`` can be listened on now (a port in use, an address not on this machine,
    an unknown host name). Binds as asyncio's server will — every address the host resolves to, SO_REUSEADDR on
    POSIX, IPv6 sockets v6-only, an address family the machine lacks passed over while another binds — and lets go.
    """
    import socket

    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise PromiseError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    errors = [error for address in addresses if (error := _bind_error(address)) is not None]
    fatal = [e for e in errors if e.errno != errno.EADDRNOTAVAIL] or (errors if len(errors) == len(addresses) else [])
    if fatal:
        raise PromiseError(f"cannot listen on {host}:{port}: {fatal[0].strerror or fatal[0]}")


def _bind_error(address: tuple[Any, ...]) -> OSError | None:
    """Why a socket cannot be bound to one of ``getaddrinfo``'s addresses; None if it can."""
    import socket

    family, kind, proto, _, where = address
    try:
        with socket.socket(family, kind, proto) as probe:
            if os.name == "posix":
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            probe.bind(where)
    except OSError as exc:
        return exc
    return None


def _db(args: argparse.Namespace) -> int:
    """``db init | add-staff | import``: the database, not a desk (no settings, no clock, no user needed)."""
    from pathlib import Path

    from promisetrack import service
    from promisetrack.config import resolve_data_dir

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


def run(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "db":
        return _db(args)
    if args.demo:
        from promisetrack.demo import open_demo

        desk = open_demo(args.now, args.user)
    else:
        from promisetrack.config import resolve_data_dir
        from promisetrack.service import open_desk

        desk = open_desk(resolve_data_dir(args.data), db=args.db, now=args.now, user=args.user)
    if args.command is None:
        from promisetrack.tui.app import run_board

        return run_board(desk, role_play=args.demo)
    return _without_cycle_collection(COMMANDS[args.command], args, desk)


def _without_cycle_collection(command: Callable[[argparse.Namespace, Any], int | None], args: argparse.Namespace,
                              desk: Any) -> int:
    """Run a command with Python's cycle collector paused. A command is a short-lived process that builds a few
    hundred thousand objects from the data files, none in a cycle: the collector would walk them all again and
    again (half of what five years of history add to `add` and `list`, measured) and never free one. Reference
    counting frees them. The board, which lives for hours, keeps the collector on."""
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        return command(args, desk) or 0
    finally:
        if collecting:
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(argv)
    except PromiseError as exc:
        print(f"promisetrack: error: {exc.message}", file=sys.stderr)
        return EXIT_INPUT
    except DataError as exc:
        print(f"promisetrack: data problem: {exc.message}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
