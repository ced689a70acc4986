"""``promisetrack serve``'s web server: textual-serve's ``Server`` behind a token, an Origin check and a session cap.

textual-serve 1.1 has none of the three (ARCHITECTURE §9): anyone who can reach the port gets a board, and any web
page open on this PC may open the WebSocket that drives one. Here every request needs the token — from the printed
link's ``?token=``, or from the cookie that the first good page load sets, which the page's own requests (static
files, the WebSocket at ``/ws``, downloads) carry — and a WebSocket must also come from the served origin and find a
free session. Imported by the CLI only for ``serve``: textual-serve is an optional extra.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

log = logging.getLogger("promisetrack.serve")

DEFAULT_PORTS = {"http": 80, "https": 443}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def origin_of(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an http(s) URL or an Origin header, default ports filled in; None for anything
    else (``null``, a missing host, a port that is not a number)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, parts.hostname.lower(), port


def served_url(host: str, port: int) -> str:
    """The URL of ``host:port`` itself, for when no ``--public-url`` is given (an IPv6 address in brackets)."""
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass
    return f"http://{host}" if port == 80 else f"http://{host}:{port}"


class GuardedServer(Server):
    """textual-serve's server, whose every request is checked by ``_guard`` before textual-serve's handlers run."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        public_url: str | None = None,
        max_sessions: int = 8,
        token: str | None = None,
        visitors: str = "",
        title: str = "promisetrack",
    ) -> None:
        public_url = (public_url or served_url(host, port)).rstrip("/")  # textual-serve appends "/ws" to it
        super().__init__(command, host=host, port=port, title=title, public_url=public_url)
        origin = origin_of(public_url)
        if origin is None:
            raise ValueError(f"not an http(s) URL: {public_url!r}")
        self.origin = origin
        self.token = token or secrets.token_urlsafe(24)
        self.max_sessions = max_sessions
        self.sessions = 0
        self.visitors = visitors
        self.cookie = f"promisetrack-token-{origin[2]}"  # cookies ignore ports: two servers on one host keep apart

    @property
    def link(self) -> str:
        """The URL to open: the page, with the token."""
        return f"{self.public_url}/?token={self.token}"

    async def make_app(self) -> web.Application:
        """textual-serve's aiohttp app (the page at ``/``, the WebSocket at ``/ws``, ``/static``, ``/download``)
        with ``_guard`` in front of every route."""
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        return app

    async def _make_app(self) -> web.Application:  # what textual-serve's serve() runs
        return await self.make_app()

    async def on_startup(self, app: web.Application) -> None:
        """The banner, instead of textual-serve's (which names the URL without its token)."""
        lines = [f"promisetrack: the board in a browser at {self.link}"]
        if self.visitors:
            lines.append(f"  {self.visitors}")
        lines.append(f"  At most {self.max_sessions} boards open at once. Press Ctrl+C to stop.")
        print("\n".join(lines), flush=True)

    def _token_ok(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented.encode(), self.token.encode())

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        from_link = request.query.get("token")
        if not self._token_ok(from_link if from_link is not None else request.cookies.get(self.cookie)):
            raise web.HTTPForbidden(text="promisetrack: open the link that 'promisetrack serve' printed: "
                                         "it carries the token\n")
        if request.match_info.route.name == "websocket":
            return await self._board(request, handler)
        response = await handler(request)
        if not response.prepared:
            response.headers["Referrer-Policy"] = "no-referrer"  # the page's URL holds the token
            if from_link is not None:
                response.set_cookie(self.cookie, self.token, path="/", httponly=True, samesite="Strict",
                                    secure=self.origin[0] == "https")
        return response

    async def _board(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The WebSocket that runs one board: from the served origin only, and while a session is free."""
        origin = request.headers.get("Origin", "")
        if origin_of(origin) != self.origin:
            log.warning("refused a board to a page from %r (not %s)", origin, self.public_url)
            raise web.HTTPForbidden(text=f"promisetrack: a board opens only from a page at {self.public_url}\n")
        if self.sessions >= self.max_sessions:
            log.warning("refused a board: %d open already", self.sessions)
            raise web.HTTPServiceUnavailable(text=f"promisetrack: {self.sessions} boards are open already, the most "
                                                  "this server allows (--max-sessions): close one and try again\n")
        self.sessions += 1
        try:
            return await handler(request)
        finally:
            self.sessions -= 1
