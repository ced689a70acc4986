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
    _json_flag(add)

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
    _json_flag(contact)

    resched = sub.add_parser("reschedule", help="agree a new due with the customer")
    resched.add_argument("id")
    resched.add_argument("--due", required=True, metavar="PHRASE")
    resched.add_argument("--note", required=True)
    _json_flag(resched)

    done = sub.add_parser("done", help="the promise was kept (or delivered late)")
    done.add_argument("id")
    done.add_argument("--csat", metavar="1-5", help="customer satisfaction, 1 to 5")
    done.add_argument("--note")
    _json_flag(done)

    cancel = sub.add_parser("cancel", help="the promise no longer applies")
    cancel.add_argument("id")
    cancel.add_argument("--reason", required=True)
    _json_flag(cancel)

    reassign = sub.add_parser("reassign", help="give the promise to someone else")
    reassign.add_argument("id")
    reassign.add_argument("--owner", required=True, metavar="NAME")
    _json_flag(reassign)

    flag = sub.add_parser("flag", help="flag as blocked (waiting on someone), or --clear")
    flag.add_argument("id")
    group = flag.add_mutually_exclusive_group(required=True)
    group.add_argument("--note", help="what it is waiting on")
    group.add_argument("--clear", action="store_true")
    _json_flag(flag)

    wait = sub.add_parser("wait", help="waiting on the customer (bring, sign, pay): the risk clock pauses")
    wait.add_argument("id")
    wait.add_argument("--note", required=True, help="what the customer is to do, e.g. 'bring the laptop'")
    wait.add_argument("--until", metavar="PHRASE", help="by when they said they would (e.g. thu 12:00)")
    _json_flag(wait)

    resume = sub.add_parser("resume", help="the customer came back: the due moves on by the business time waited")
    resume.add_argument("id")
    resume.add_argument("--note")
    _json_flag(resume)

    note = sub.add_parser("note", help="add an internal note to a promise")
    note.add_argument("id")
    note.add_argument("--text", required=True)
    _json_flag(note)

    _json_flag(sub.add_parser("undo", help="undo your last change"))
    _json_flag(sub.add_parser("check", help="check the data dir (or the database) and say what is wrong"))

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
    _json_flag(export)

    ics = sub.add_parser("ics", help="write the open promises' dues as an iCalendar file, once or kept current")
    ics.add_argument("--out", metavar="FILE", required=True, help="the .ics file to write (replaced atomically)")
    ics.add_argument("--follow", action="store_true",
                     help="keep running and rewrite FILE whenever a promise changes (Ctrl+C ends it)")
    _json_flag(ics)

    kudos = sub.add_parser("kudos", help="record praise for a staff member")
    kudos.add_argument("name", metavar="NAME", nargs="?")
    kudos.add_argument("--note", metavar="TEXT")
    kudos.add_argument("--from-customer", metavar="NAME", default="", help="the customer who gave it")
    _json_flag(kudos)
    _add_records_commands(sub, kudos)
    return p


def _json_flag(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--json``: what the command prints, as JSON with the keys the README lists (stable for scripts)."""
    parser.add_argument("--json", action="store_true", help="print JSON (keys: README, JSON output)")
    return parser


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
    _json_flag(complaint)
    _json_flag(rate)

    customers = sub.add_parser("customers", help="every customer with open, closed and broken promises")
    _json_flag(customers)

    customer = sub.add_parser("customer", help="one customer (notes, every promise); edit it; customer merge A B")
    customer.add_argument("target", metavar="ID|merge", help="a customer id, or merge")
    customer.add_argument("more", nargs="*", metavar="ID", help="with merge: the customer kept, then the duplicate")
    customer.add_argument("--name")
    customer.add_argument("--phone")
    customer.add_argument("--email")
    customer.add_argument("--note", metavar="TEXT", help="add a note to the customer (with who and when)")
    _json_flag(customer)


def _print_json(value: Any) -> None:
    import json  # here, not at the top: add/list/done start faster without it

    print(json.dumps(value, indent=2, ensure_ascii=False))


def _width(text: str) -> int:
    """Terminal cells ``text`` takes, as Rich measures them (a CJK character or an emoji takes two). Printable ASCII
    takes one a character (``clean_text`` keeps control characters out), so only other text pays for importing
    ``rich.cells``: ``list`` on an ASCII desk imports no Rich at all (tests/reliability/test_fast_paths.py)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def _cell(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` cells, with an ellipsis; a wide character is never cut in half."""
    if _width(text) <= width:
        return text
    if text.isascii():
        return text[: width - 1] + "…"
    from rich.cells import set_cell_size

    return set_cell_size(text, width - 1) + "…"  # pads with a space where a wide character would straddle


def _pad(text: str, width: int) -> str:
    """``text`` cut and left-aligned in a column ``width`` cells wide (``f"{x:<10}"`` counts characters, not cells)."""
    cut = _cell(text, width)
    return cut + " " * (width - _width(cut))


def _print_rows(rows: Sequence[Any], desk: Any, now: Any) -> None:
    from promisetrack.dates import describe_due, format_due
    from promisetrack.outcomes import derive_outcome

    if not rows:
        print("no promises")
        return
    tz = desk.calendar.tz
    print(f"{'ID':>5}  {'DUE':<16} {'WHEN':<13} {'RISK':<8} {'OWNER':<10} {'CUSTOMER':<18} WHAT")
    for row in rows:
        p = row.promise
        outcome = None if p.is_open else derive_outcome(p)  # a closed promise: how it ended (kept, broken …)
        when = describe_due(p.due, now) if p.is_open else outcome.value if outcome else p.status.value
        risk = row.risk.value if row.risk else "-"
        line = (
            f"{p.id:>5}  {format_due(p.due, now, tz):<16} {when:<13} {risk:<8} "
            f"{_pad(p.owner, 10)} {_pad(p.customer.name, 18)} {_cell(p.what, 40)}"
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
    if args.json:
        _print_promise(desk, promise, f"promise {promise.id} added", warnings)
    else:
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


def _confirm(promise: Any, what: str, args: argparse.Namespace | None = None, desk: Any = None,
             warnings: Sequence[str] = ()) -> None:
    """``1001 contact logged``; with ``--json``, the promise's JSON and that ``message`` (and ``warnings``)."""
    if args is not None and args.json:
        _print_promise(desk, promise, f"{promise.id} {what}", warnings)
    else:
        print(f"{promise.id} {what}")


def _print_promise(desk: Any, promise: Any, message: str, warnings: Sequence[str] = ()) -> None:
    """A command that changed one promise, for scripts: ``promise_json`` plus ``message`` and ``warnings``, the
    same keys for every such command (README, JSON output)."""
    from promisetrack.service import Row, promise_json

    _print_json({**promise_json(Row(promise, desk.assess(promise))), "message": message, "warnings": list(warnings)})


def _contact(args: argparse.Namespace, desk: Any) -> None:
    _confirm(desk.contact(args.id, args.note, args.channel), f"contact logged ({args.channel})", args, desk)


def _reschedule(args: argparse.Namespace, desk: Any) -> None:
    from promisetrack.dates import format_due

    promise, warnings = desk.reschedule(args.id, args.due, args.note)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    now, tz = desk.now(), desk.calendar.tz
    _confirm(promise, f"now due {format_due(promise.due, now, tz)} "
             f"(originally {format_due(promise.original_due, now, tz)})", args, desk, warnings)


def _done(args: argparse.Namespace, desk: Any) -> None:
    from promisetrack.outcomes import derive_outcome

    promise = desk.done(args.id, args.csat, args.note)
    outcome = derive_outcome(promise)
    _confirm(promise, f"done — {outcome.value if outcome else 'closed'}", args, desk)


def _cancel(args: argparse.Namespace, desk: Any) -> None:
    _confirm(desk.cancel(args.id, args.reason), "cancelled", args, desk)


def _reassign(args: argparse.Namespace, desk: Any) -> None:
    _confirm(desk.reassign(args.id, args.owner), f"now {args.owner}'s", args, desk)


def _flag(args: argparse.Namespace, desk: Any) -> None:
    if args.clear:
        _confirm(desk.unflag(args.id), "no longer blocked", args, desk)
    else:
        _confirm(desk.flag(args.id, args.note), "flagged as blocked", args, desk)


def _wait(args: argparse.Namespace, desk: Any) -> None:
    from promisetrack.dates import format_due

    promise = desk.wait(args.id, args.note, args.until)
    until = promise.waiting_until
    by = f" by {format_due(until, desk.now(), desk.calendar.tz)}" if until else ""
    _confirm(promise, f"waiting on the customer to {promise.waiting_note}{by} (the risk clock is paused)", args, desk)


def _resume(args: argparse.Namespace, desk: Any) -> None:
    from promisetrack.dates import format_due

    promise = desk.resume(args.id, args.note)
    _confirm(promise, f"resumed: now due {format_due(promise.due, desk.now(), desk.calendar.tz)}", args, desk)


def _note(args: argparse.Namespace, desk: Any) -> None:
    _confirm(desk.note(args.id, args.text), "note added", args, desk)


def _undo(args: argparse.Namespace, desk: Any) -> None:
    preview = desk.undo_preview()
    message = desk.undo(expect=preview)
    if args.json:
        _print_json({"message": message, "id": preview.pid, "undone": preview.kind, "at": preview.at.isoformat(),
                     "removed": preview.removes})
    else:
        print(message)


def _check(args: argparse.Namespace, desk: Any) -> int:
    health = desk.health()
    if args.json:
        _print_json({"ok": not health.problems, "problems": health.problems, "warnings": health.warnings,
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
    name_width = min(24, max(_width(name) for name, _ in rows) + 2)
    for name, cells in [("", list(TABLE_HEADINGS)), *rows]:
        text = " ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=False))
        print(f"{_pad(name, name_width)}{text}".rstrip())
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
            print(f"  {_pad(name, 22)}{count:>5}  {number(first):>8} / {number(second)}")


def _report(args: argparse.Namespace, desk: Any) -> None:
    period = desk.period(month=args.month, week=args.week, first=args.first, last=args.last)
    report = desk.period_report(period)
    if args.json:  # recognition: each person's kudos, colleagues' and customers' nominations counted apart
        _print_json({**report.as_json(), "recognition": [r.as_json() for r in desk.recognition(period)]})
    else:
        _print_report(report, desk)


def _export(args: argparse.Namespace, desk: Any) -> None:
    from pathlib import Path

    from promisetrack.export import export_week

    period = desk.period(week=args.week) if args.week else desk.last_week()
    paths = export_week(desk.period_detail(period), Path(args.out).expanduser(), desk.now(), desk.calendar.tz,
                        desk_id=desk.desk_id())
    if args.json:
        _print_json({"week": period.label, "files": [_file_json(path) for path in paths]})
    else:
        for path in paths:
            print(path)


def _file_json(path: Any) -> dict[str, Any]:
    """A file a command wrote, for scripts: where it is and how many bytes it holds."""
    return {"path": str(path), "bytes": path.stat().st_size}


def _ics(args: argparse.Namespace, desk: Any) -> int:
    from pathlib import Path

    from promisetrack.export import follow_calendar, write_open_calendar

    target = Path(args.out).expanduser()
    if not args.follow:
        path, count = write_open_calendar(desk, target)
        if args.json:
            _print_json({**_file_json(path), "events": count})
        else:
            print(f"{path}: {count} open promise{'' if count == 1 else 's'}")
        return 0

    def written(path: Path, count: int) -> None:
        if args.json:
            print(json_line({**_file_json(path), "events": count, "at": desk.now().isoformat()}), flush=True)
        else:
            print(f"{desk.now():%H:%M:%S} {path}: {count} open promise{'' if count == 1 else 's'}", flush=True)

    import contextlib

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C is how a follow ends: the file as last written stays
        follow_calendar(desk, target, on_write=written)
    return 0


def json_line(value: Any) -> str:
    """One JSON document on one line (``ics --follow --json`` prints one per rewrite)."""
    import json

    return json.dumps(value, ensure_ascii=False)


def _kudos(args: argparse.Namespace, desk: Any) -> None:
    if args.list:
        return _kudos_list(args, desk)
    if args.name is None or args.note is None:
        raise PromiseError("kudos needs NAME and --note TEXT (or --list to read them)")
    doc = desk.kudos(args.name, args.note, args.from_customer, new_staff=args.new_staff)
    source = f"from {doc['from_customer']}" if doc["from_customer"] else f"recorded by {doc['by']}"
    count = sum(1 for k in desk.kudos_list() if str(k["person"]).casefold() == doc["person"].casefold())
    if args.json:
        _print_json({**doc, "count": count})
        return
    print(f"kudos for {doc['person']} ({source}): {doc['note']} — {count} in all")


COMMANDS: dict[str, Callable[[argparse.Namespace, Any], int | None]] = {
    "add": _add, "list": _list, "show": _show, "contact": _contact, "reschedule": _reschedule,
    "done": _done, "cancel": _cancel, "reassign": _reassign, "flag": _flag, "note": _note,
    "wait": _wait, "resume": _resume,
    "undo": _undo, "check": _check, "report": _report, "export": _export, "kudos": _kudos,
    "ics": _ics,
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
        print(f"{datetime.fromisoformat(k['at']).astimezone(tz):%Y-%m-%d %H:%M}  {_pad(k['person'], 12)} "
              f"{k['note']}  ({source})")


def _complaint(args: argparse.Namespace, desk: Any) -> None:
    if args.clear:
        _confirm(desk.clear_complaint(args.id, args.why), "complaint cleared", args, desk)
    else:
        _confirm(desk.complaint(args.id, args.note), "complaint recorded", args, desk)


def _rate(args: argparse.Namespace, desk: Any) -> None:
    promise = desk.rate(args.id, args.csat, args.note)
    _confirm(promise, f"rated {promise.csat} (the outcome is unchanged)", args, desk)


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
        print(f"{c.id:>5}  {_pad(c.name, 20)} {_pad(c.phone, 16)} {_pad(c.email, 24)} {s.open:>4} "
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
        from promisetrack.demo import open_demo, remove_demo

        desk = open_demo(args.now, args.user)
        try:
            return _run_on(args, desk)
        finally:  # a throwaway desk: its data dir goes when the board closes (or the command ends)
            remove_demo(desk)
    from promisetrack.config import resolve_data_dir
    from promisetrack.service import open_desk

    data_dir = resolve_data_dir(args.data)
    try:
        desk = open_desk(data_dir, db=args.db, now=args.now, user=args.user)
    except DataError as exc:
        desk = _after_login(args, data_dir, exc)
        if desk is None:
            raise
    return _run_on(args, desk)


def _after_login(args: argparse.Namespace, data_dir: Any, refused: DataError) -> Any:
    """The board on a database that wants a password: its login screen asks (until one works, or the user gives
    up), and the desk opens as that login. None for a command (scripts use ~/.pgpass or $PGPASSWORD) or another
    error."""
    from promisetrack.service import open_desk, resolve_db_url

    url = resolve_db_url(data_dir, args.db)
    if args.command is not None or url is None or type(refused).__name__ != "PasswordNeeded":
        return None  # (the class is only looked up by name here: psycopg is not imported without a database)
    from promisetrack.store.postgres import PasswordNeeded, public_location, url_login, with_login
    from promisetrack.tui.login import ask_login

    why, login = "The database asks who you are: your login and your password.", url_login(url)
    while True:
        given = ask_login(public_location(url), why, login)
        if given is None:
            return None
        login = given[0]
        try:
            return open_desk(data_dir, db=with_login(url, *given), now=args.now, user=args.user)
        except PasswordNeeded:
            why = f"The database refused that login or password ({login}): try again, or escape to quit."


def _run_on(args: argparse.Namespace, desk: Any) -> int:
    """The board (no command) or the command, once settings.toml's warnings are said on stderr (``check`` lists
    them in its own output)."""
    if args.command != "check":
        for warning in desk.settings.warnings:
            print(f"warning: {warning}", file=sys.stderr)
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
