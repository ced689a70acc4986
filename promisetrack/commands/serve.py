"""``serve``: the board in a browser, each visitor's board a ``promisetrack`` process behind a token.

textual-serve is an optional extra: ``run_serve`` imports ``promisetrack.serving`` last, after every check of the
arguments, and says what to install when it is missing.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import shlex
import socket
import sys
from typing import Any

from promisetrack.commands import EXIT_INPUT
from promisetrack.config import resolve_data_dir
from promisetrack.demo import DEMO_USER
from promisetrack.errors import PromiseError
from promisetrack.service import resolve_user


def run_serve(args: argparse.Namespace) -> int:
    """The board in a browser: each visitor gets ``promisetrack`` run with the same global options, behind the
    printed link's token, from the served origin only, at most ``--max-sessions`` at once (``serving.py``).

    What each visitor's board would refuse (``--data ""``, ``--user ""``), a wildcard ``--host`` without
    ``--public-url`` and an address that cannot be listened on are refused here, before textual-serve is imported:
    it would fail later, in each browser or with a traceback.
    """
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
    try:
        return not host.strip() or ipaddress.ip_address(host.strip()).is_unspecified
    except ValueError:
        return False


def check_listen(host: str, port: int) -> None:
    """Raise PromiseError unless ``host:port`` can be listened on now (a port in use, an address not on this machine,
    an unknown host name). Binds as asyncio's server will — every address the host resolves to, SO_REUSEADDR on
    POSIX, IPv6 sockets v6-only, an address family the machine lacks passed over while another binds — and lets go.
    """
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
