"""Command line: argument parsing and printing. Calls the service (``Desk``), never the store.

Exit status: 0 done, 2 bad input (nothing written), 1 a problem with the data dir or its files.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from promisetrack import __version__, gctuning
from promisetrack.commands import EXIT_DATA, EXIT_INPUT
from promisetrack.config import resolve_data_dir
from promisetrack.errors import DataError, PromiseError
from promisetrack.service import open_desk, resolve_db_url

if TYPE_CHECKING:
    from promisetrack.ahead import Ahead
    from promisetrack.service import Desk, FirstRead

Command = Callable[[argparse.Namespace, "Desk"], int | None]
BoardCommand = Callable[[argparse.Namespace, "Desk", "Ahead[FirstRead]"], int]
DesklessCommand = Callable[[argparse.Namespace], int]

# What runs each command: (module, function). Only the module of the command asked for is imported — this table is
# the one place that decides what a command imports (``add``, ``list`` and ``done`` import no Textual, metrics,
# export, dateutil or psycopg: tests/reliability/test_fast_paths.py). ``None`` is the board.
COMMANDS: dict[str | None, tuple[str, str]] = {
    **{name: ("promisetrack.commands.promises", f"run_{name}") for name in (
        "add", "list", "show", "contact", "reschedule", "done", "cancel", "reassign", "flag", "note", "wait",
        "resume", "undo", "check", "complaint", "rate", "notice")},
    **{name: ("promisetrack.commands.figures", f"run_{name}") for name in ("report", "export", "ics")},
    **{name: ("promisetrack.commands.records", f"run_{name}") for name in ("customers", "customer")},
    "kudos": ("promisetrack.commands.kudos", "run_kudos"),
    None: ("promisetrack.commands.board", "run"),
}
# Commands that need no desk: they run before one is opened.
DESKLESS: dict[str, tuple[str, str]] = {
    "serve": ("promisetrack.commands.serve", "run_serve"),
    "db": ("promisetrack.commands.db", "run_db"),
}
DEMO = ("promisetrack.demo", "open_demo"), ("promisetrack.demo", "remove_demo")
LOGIN = ("promisetrack.commands.login", "open_after_login")  # psycopg and the login screen: after a refusal only
AHEAD = ("promisetrack.ahead", "Ahead")  # the board's first read in a child process (pickle): the board only


def load(module: str, name: str) -> Any:
    """``name`` from ``module``, imported now: the lazy edge of the CLI (see ``COMMANDS``)."""
    return getattr(importlib.import_module(module), name)


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
    try:
        parts = urlsplit(value.strip())
        port_ok = parts.port is None or 1 <= parts.port <= 65535
    except ValueError:
        parts, port_ok = None, False
    if (parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok
            or parts.username is not None or parts.query or parts.fragment):
        raise argparse.ArgumentTypeError(f"a public URL looks like http://desk-pc:8000, not {value!r}")
    return value.strip().rstrip("/")


Sub = Any  # argparse's subparsers action (a private class)


def _global_parser() -> tuple[argparse.ArgumentParser, Sub]:
    p = _Parser(prog="promisetrack", description="Keep the front desk's promises. No command opens the board.")
    p.add_argument("--version", action="version", version=f"promisetrack {__version__}")
    p.add_argument("--data", metavar="DIR", help="data dir (default: $PROMISETRACK_DATA, else the user data dir)")
    p.add_argument("--db", metavar="URL", help="a PostgreSQL database instead of the data dir, e.g. "
                   "postgresql://server/promisetrack (default: $PROMISETRACK_DB, else [store] url in settings)")
    p.add_argument("--now", metavar="WHEN", help="start the clock at WHEN (ISO datetime or due phrase); it runs on")
    p.add_argument("--user", metavar="NAME", help="who is at the desk (default: $PROMISETRACK_USER, else login)")
    p.add_argument("--demo", action="store_true", help="use a throwaway copy of the demo data")
    return p, p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)


def _json_flag(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--json``: what the command prints, as JSON with the keys the README lists (stable for scripts)."""
    parser.add_argument("--json", action="store_true", help="print JSON (keys: README, JSON output)")
    return parser


def _add(sub: Sub) -> None:
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


def _list(sub: Sub) -> None:
    ls = sub.add_parser("list", help="list promises (default: open, in board order)")
    ls.add_argument("--status", default="open", choices=("open", "at-risk", "overdue", "waiting", "closed", "all"))
    ls.add_argument("--owner", metavar="NAME")
    ls.add_argument("--category", metavar="C")
    ls.add_argument("--json", action="store_true")


def _show(sub: Sub) -> None:
    show = sub.add_parser("show", help="one promise with its timeline")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")


def _contact(sub: Sub) -> None:
    contact = sub.add_parser("contact", help="log a conversation with the customer")
    contact.add_argument("id")
    contact.add_argument("--note", required=True)
    contact.add_argument("--channel", default="phone", choices=("phone", "email", "sms", "in-person"))
    _json_flag(contact)


def _notice(sub: Sub) -> None:
    notice = sub.add_parser("notice", help="a prepared notice filled for a promise, to send (e.g. by an SMS gateway)")
    notice.add_argument("id")
    notice.add_argument("--template", required=True, metavar="NAME", help="a name under [templates] in settings.toml")
    notice.add_argument("--due", metavar="PHRASE", help="the new due to propose ({new_due}), e.g. tue 12:00")
    _json_flag(notice)


def _reschedule(sub: Sub) -> None:
    resched = sub.add_parser("reschedule", help="agree a new due with the customer")
    resched.add_argument("id")
    resched.add_argument("--due", required=True, metavar="PHRASE")
    resched.add_argument("--note", required=True)
    _json_flag(resched)


def _done(sub: Sub) -> None:
    done = sub.add_parser("done", help="the promise was kept (or delivered late)")
    done.add_argument("id")
    done.add_argument("--csat", metavar="1-5", help="customer satisfaction, 1 to 5")
    done.add_argument("--note")
    _json_flag(done)


def _cancel(sub: Sub) -> None:
    cancel = sub.add_parser("cancel", help="the promise no longer applies")
    cancel.add_argument("id")
    cancel.add_argument("--reason", required=True)
    _json_flag(cancel)


def _reassign(sub: Sub) -> None:
    reassign = sub.add_parser("reassign", help="give the promise to someone else")
    reassign.add_argument("id")
    reassign.add_argument("--owner", required=True, metavar="NAME")
    _json_flag(reassign)


def _flag(sub: Sub) -> None:
    flag = sub.add_parser("flag", help="flag as blocked (waiting on someone), or --clear")
    flag.add_argument("id")
    group = flag.add_mutually_exclusive_group(required=True)
    group.add_argument("--note", help="what it is waiting on")
    group.add_argument("--clear", action="store_true")
    _json_flag(flag)


def _wait(sub: Sub) -> None:
    wait = sub.add_parser("wait", help="waiting on the customer (bring, sign, pay): the risk clock pauses")
    wait.add_argument("id")
    wait.add_argument("--note", required=True, help="what the customer is to do, e.g. 'bring the laptop'")
    wait.add_argument("--until", metavar="PHRASE", help="by when they said they would (e.g. thu 12:00)")
    _json_flag(wait)


def _resume(sub: Sub) -> None:
    resume = sub.add_parser("resume", help="the customer came back: the due moves on by the business time waited")
    resume.add_argument("id")
    resume.add_argument("--note")
    _json_flag(resume)


def _note(sub: Sub) -> None:
    note = sub.add_parser("note", help="add an internal note to a promise")
    note.add_argument("id")
    note.add_argument("--text", required=True)
    _json_flag(note)


def _undo(sub: Sub) -> None:
    _json_flag(sub.add_parser("undo", help="undo your last change"))


def _check(sub: Sub) -> None:
    _json_flag(sub.add_parser("check", help="check the data dir (or the database) and say what is wrong"))


def _db(sub: Sub) -> None:
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


def _serve(sub: Sub) -> None:
    serve = sub.add_parser("serve", help="serve the board in a browser (needs the 'serve' extra: textual-serve)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine)")
    serve.add_argument("--port", type=_port, default=8000, help="port, 1 to 65535 (default: 8000)")
    serve.add_argument("--public-url", type=_public_url, metavar="URL",
                       help="the address other PCs open, e.g. http://desk-pc:8000 (needed with --host 0.0.0.0)")
    serve.add_argument("--max-sessions", type=_sessions, default=8, metavar="N",
                       help="boards open at once, at most (default: 8)")


def _report(sub: Sub) -> None:
    report = sub.add_parser("report", help="figures of a month, ISO week or date range (default: this month)")
    report.add_argument("--month", metavar="YYYY-MM")
    report.add_argument("--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W48")
    report.add_argument("--from", dest="first", metavar="DATE", help="first day, e.g. 2026-11-01")
    report.add_argument("--to", dest="last", metavar="DATE", help="last day, included (default: today)")
    report.add_argument("--shop", metavar="SHOP", help="one shop of a chain on a database (default: every shop seen)")
    report.add_argument("--json", action="store_true")


def _export(sub: Sub) -> None:
    export = sub.add_parser("export", help="write a week's CSV, XLSX, Markdown summary and .ics of open promises")
    export.add_argument("--week", metavar="YYYY-Www", help="ISO week (default: the week just ended)")
    export.add_argument("--out", metavar="DIR", default=".", help="folder to write into (default: the current one)")
    _json_flag(export)


def _ics(sub: Sub) -> None:
    ics = sub.add_parser("ics", help="write the open promises' dues as an iCalendar file, once or kept current")
    ics.add_argument("--out", metavar="FILE", required=True, help="the .ics file to write (replaced atomically)")
    ics.add_argument("--follow", action="store_true",
                     help="keep running and rewrite FILE whenever a promise changes (Ctrl+C ends it)")
    _json_flag(ics)


def _kudos(sub: Sub) -> None:
    kudos = sub.add_parser("kudos", help="record praise for a staff member")
    kudos.add_argument("name", metavar="NAME", nargs="?")
    kudos.add_argument("--note", metavar="TEXT")
    kudos.add_argument("--from-customer", metavar="NAME", default="", help="the customer who gave it")
    kudos.add_argument("--new-staff", action="store_true", help="praise someone not on the staff list")
    kudos.add_argument("--list", action="store_true", help="list the kudos instead of recording one")
    kudos.add_argument("--person", metavar="NAME", help="with --list: only this person's")
    kudos.add_argument("--month", metavar="YYYY-MM", help="with --list: only this month's")
    _json_flag(kudos)


def _complaint(sub: Sub) -> None:
    complaint = sub.add_parser("complaint", help="the customer complained (open or closed promise), or --clear")
    complaint.add_argument("id")
    group = complaint.add_mutually_exclusive_group(required=True)
    group.add_argument("--note", metavar="TEXT", help="what the customer complained about")
    group.add_argument("--clear", action="store_true", help="take the complaint off (an event records it)")
    complaint.add_argument("--why", metavar="TEXT", help="with --clear: why")
    _json_flag(complaint)


def _rate(sub: Sub) -> None:
    rate = sub.add_parser("rate", help="record or correct the csat of a done promise (a late survey answer)")
    rate.add_argument("id")
    rate.add_argument("--csat", required=True, metavar="1-5")
    rate.add_argument("--note", metavar="TEXT")
    _json_flag(rate)


def _customers(sub: Sub) -> None:
    _json_flag(sub.add_parser("customers", help="every customer with open, closed and broken promises"))


def _customer(sub: Sub) -> None:
    customer = sub.add_parser("customer", help="one customer (notes, every promise); edit it; customer merge A B")
    customer.add_argument("target", metavar="ID|merge", help="a customer id, or merge")
    customer.add_argument("more", nargs="*", metavar="ID", help="with merge: the customer kept, then the duplicate")
    customer.add_argument("--name")
    customer.add_argument("--phone")
    customer.add_argument("--email")
    customer.add_argument("--note", metavar="TEXT", help="add a note to the customer (with who and when)")
    _json_flag(customer)


# Each command's arguments, in the order ``--help`` lists them. A command line that names one builds that one only
# (``parser_for``): the writing commands and the board do not pay for building every other command's.
SUBPARSERS: dict[str, Callable[[Sub], None]] = {
    "add": _add, "list": _list, "show": _show, "contact": _contact, "notice": _notice, "reschedule": _reschedule,
    "done": _done, "cancel": _cancel, "reassign": _reassign, "flag": _flag, "wait": _wait, "resume": _resume,
    "note": _note, "undo": _undo, "check": _check, "db": _db, "serve": _serve, "report": _report,
    "export": _export, "ics": _ics, "kudos": _kudos, "complaint": _complaint, "rate": _rate,
    "customers": _customers, "customer": _customer,
}  # fmt: skip

def _with_commands(p: argparse.ArgumentParser, sub: Sub, names: Iterable[str]) -> argparse.ArgumentParser:
    for name in names:
        SUBPARSERS[name](sub)
    return p


def build_parser(command: str | None = None, *, every: bool = True) -> argparse.ArgumentParser:
    """The parser of every command; with ``every=False``, of ``command`` only (None: the board's, no command)."""
    p, sub = _global_parser()
    return _with_commands(p, sub, SUBPARSERS if every else [command] if command in SUBPARSERS else [])


def _takes_value(token: str, p: argparse.ArgumentParser) -> bool:
    """Is ``token`` one of ``p``'s long options whose value is the next word? argparse takes any unambiguous start
    of a long option (``--u`` for ``--user``)."""
    if not token.startswith("--") or "=" in token or len(token) < 3:
        return False
    matches = [action for action in p._actions for option in action.option_strings if option.startswith(token)]
    return len(matches) == 1 and matches[0].nargs != 0  # a flag (--demo, --help) takes none


def parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser for this command line: of the command it names (or of none, for the board), or of every command
    when it asks for help or names none that exists (argparse then lists them)."""
    p, sub = _global_parser()
    command: str | None = None
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in ("-h", "--help"):
            return _with_commands(p, sub, SUBPARSERS)
        elif _takes_value(token, p):
            skip = True
        elif not token.startswith("-"):
            command = token
            break
    if command is not None and command not in SUBPARSERS:
        return _with_commands(p, sub, SUBPARSERS)
    return _with_commands(p, sub, [command] if command else [])


def run(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser_for(argv).parse_args(argv)
    if args.command in DESKLESS:
        deskless: DesklessCommand = load(*DESKLESS[args.command])
        return deskless(args)
    if args.demo:
        open_demo, remove_demo = load(*DEMO[0]), load(*DEMO[1])
        desk = open_demo(args.now, args.user)
        try:
            return _run_on(args, desk)
        finally:  # a throwaway desk: its data dir goes when the board closes (or the command ends)
            remove_demo(desk)
    data_dir = resolve_data_dir(args.data)
    try:
        desk = open_desk(data_dir, db=args.db, now=args.now, user=args.user)
    except DataError as exc:
        # The board on a database that wants a password asks for one; a command does not (scripts use ~/.pgpass
        # or $PGPASSWORD), and no other error is a question of logins.
        if args.command is not None or resolve_db_url(data_dir, args.db) is None:
            raise
        desk = load(*LOGIN)(args, data_dir, exc)
        if desk is None:
            raise
    return _run_on(args, desk)


def _terminal_lines(default: int = 50) -> int:
    """How many rows make a screenful of the board (at most the terminal's lines)."""
    try:
        return os.get_terminal_size(1).lines or default
    except (OSError, ValueError):
        return default


def _run_on(args: argparse.Namespace, desk: Desk) -> int:
    """The board (no command) or the command, once settings.toml's warnings are said on stderr (``check`` lists
    them in its own output)."""
    if args.command != "check":
        for warning in desk.settings.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if args.command is None:  # the board: its first read starts on another core while Textual is being imported
        read = partial(desk.first_read, _terminal_lines())
        first: Ahead[FirstRead] = load(*AHEAD)(read, fork=desk.readable_after_fork)
        board: BoardCommand = load(*COMMANDS[None])
        return board(args, desk, first)
    command: Command = load(*COMMANDS[args.command])
    with gctuning.paused():  # a short-lived process: see gctuning
        return command(args, desk) or 0


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
