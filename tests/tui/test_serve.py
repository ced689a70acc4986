"""``promisetrack serve``: the board in a browser through textual-serve, bound to this machine by default, behind a
token, an Origin check and a cap on boards (``promisetrack/serving.py``), tried with a real server and WebSocket."""

from __future__ import annotations

import asyncio
import re
import shlex
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from promisetrack import cli
from promisetrack.commands import serve as serve_command
from promisetrack.serving import GuardedServer

BOARD = shlex.join([sys.executable, "-m", "promisetrack", "--demo", "--now", "2026-11-23 10:30", "--user", "Ana"])
UPGRADE = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
           "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


@pytest.fixture
def any_port(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """The listen check passes and notes what it was asked: these tests must not depend on ports 8000 and 8123
    being free on the machine that runs them."""
    asked: list[tuple[str, int]] = []
    monkeypatch.setattr(serve_command, "check_listen", lambda host, port: asked.append((host, port)))
    return asked


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[GuardedServer]:
    """The CLI builds the real server; only its blocking ``serve()`` is replaced, by a note that it was called."""
    made: list[GuardedServer] = []
    monkeypatch.setattr(GuardedServer, "serve", lambda self, debug=False: made.append(self))
    return made


@pytest.fixture
async def desk(free_port: int, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[GuardedServer, TestClient]]:
    """The real server, running the real demo board for each WebSocket, on a free port of 127.0.0.1, at most two
    boards at once; and a client of it (whose cookie jar, unlike aiohttp's default, keeps cookies of an IP address,
    as browsers do)."""
    boards: list[asyncio.subprocess.Process] = []
    start = asyncio.create_subprocess_shell

    async def start_board(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        boards.append(board := await start(*args, **kwargs))
        return board

    monkeypatch.setattr(asyncio, "create_subprocess_shell", start_board)  # how textual-serve starts a board
    server = GuardedServer(BOARD, host="127.0.0.1", port=free_port, max_sessions=2)
    async with TestClient(TestServer(await server.make_app(), host="127.0.0.1", port=free_port)) as client:
        yield server, client
    for board in boards:  # textual-serve neither waits for a board's process nor closes its stdin: done here, so
        async with asyncio.timeout(20):  # no pipe of it outlives this test's event loop
            await board.wait()
        assert board.stdin is not None
        board.stdin.close()
    assert server.sessions == 0


def origin(client: TestClient) -> str:
    return f"http://127.0.0.1:{client.port}"


async def sessions_drop_to(server: GuardedServer, count: int) -> None:
    """A closed board frees its place once its process has quit."""
    async with asyncio.timeout(20):
        while server.sessions > count:
            await asyncio.sleep(0.05)


async def test_the_page_without_the_right_token_is_refused(desk: tuple[GuardedServer, TestClient]) -> None:
    server, client = desk
    for path in ("/", "/?token=", "/?token=guess", f"/?token={server.token[:-1]}", "/?token=%C3%A9",
                 "/static/js/textual.js", "/download/anything"):
        response = await client.get(path)
        assert response.status == 403, path
        assert (await response.text()).count("\n") == 1
        assert "Set-Cookie" not in response.headers
    assert not client.session.cookie_jar.filter_cookies(client.make_url("/"))


async def test_the_page_with_the_token_sets_the_cookie_its_own_requests_then_carry(
    desk: tuple[GuardedServer, TestClient]
) -> None:
    server, client = desk
    page = await client.get(f"/?token={server.token}")
    assert page.status == 200
    cookie = page.cookies[server.cookie]
    assert cookie.value == server.token and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = await page.text()
    assert f'data-session-websocket-url="ws://127.0.0.1:{client.port}/ws"' in html  # no token: the cookie goes
    for static in re.findall(r'(?:href|src)="http://127\.0\.0\.1:\d+(/static/[^"]+)"', html):
        assert (await client.get(static)).status == 200, static  # with the cookie, no ?token
    assert len(re.findall("/static/", html)) >= 3


async def test_a_websocket_without_the_token_is_refused(desk: tuple[GuardedServer, TestClient]) -> None:
    server, client = desk
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", origin=origin(client))
    assert refused.value.status == 403 and server.sessions == 0


@pytest.mark.parametrize("page", ["http://evil.example", "null", "", "http://localhost:{port}",
                                  "https://127.0.0.1:{port}", "http://127.0.0.1:1", "http://127.0.0.1.evil.example"])
async def test_a_websocket_from_a_page_elsewhere_is_refused_even_with_the_token(
    page: str, desk: tuple[GuardedServer, TestClient]
) -> None:
    server, client = desk
    assert (await client.get(f"/?token={server.token}")).status == 200  # the cookie, as a visitor would have it
    headers = {"Origin": page.format(port=client.port)} if page else {}
    response = await client.get(f"/ws?token={server.token}", headers=UPGRADE | headers)
    assert response.status == 403
    assert (await response.text()) == f"promisetrack: a board opens only from a page at {origin(client)}\n"
    assert server.sessions == 0


async def test_the_page_then_its_websocket_runs_the_board(desk: tuple[GuardedServer, TestClient]) -> None:
    """What the browser does: open the printed link, then the page's WebSocket (the cookie carries the token)."""
    server, client = desk
    await client.get(f"/?token={server.token}")
    async with client.ws_connect("/ws?width=120&height=35", origin=origin(client)) as board:  # 101, or it raises
        assert server.sessions == 1
        await board.send_json(["ping", "are you there"])
        shown = ""
        async with asyncio.timeout(30):
            while "Samir Haddad" not in shown or "pong" not in shown:
                message = await board.receive()
                assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
                shown += message.data if isinstance(message.data, str) else message.data.decode("utf-8", "replace")
        assert '["pong", "are you there"]' in shown and "Samir Haddad" in shown  # the demo's repeat breaker
    await sessions_drop_to(server, 0)


async def test_a_websocket_with_the_token_in_its_url_opens_without_the_cookie(
    desk: tuple[GuardedServer, TestClient]
) -> None:
    server, client = desk
    response = await client.get(f"/ws?token={server.token}", headers=UPGRADE | {"Origin": origin(client)})
    assert response.status == 101
    response.close()
    await sessions_drop_to(server, 0)


async def test_boards_beyond_the_cap_are_refused_until_one_closes(desk: tuple[GuardedServer, TestClient]) -> None:
    server, client = desk
    await client.get(f"/?token={server.token}")
    first = await client.ws_connect("/ws", origin=origin(client))
    second = await client.ws_connect("/ws", origin=origin(client))
    assert server.sessions == 2
    third = await client.get("/ws", headers=UPGRADE | {"Origin": origin(client)})
    assert third.status == 503
    assert (await third.text()) == ("promisetrack: 2 boards are open already, the most this server allows "
                                    "(--max-sessions): close one and try again\n")
    await first.close()
    await sessions_drop_to(server, 1)
    async with client.ws_connect("/ws", origin=origin(client)):
        assert server.sessions == 2
    await second.close()
    await sessions_drop_to(server, 0)


async def test_the_banner_prints_the_link_and_who_the_visitors_are(capsys: pytest.CaptureFixture[str]) -> None:
    server = GuardedServer(BOARD, host="127.0.0.1", port=8000, max_sessions=3, visitors="Every visitor acts as ana.")
    await server.on_startup(web.Application())
    assert capsys.readouterr().out == (f"promisetrack: the board in a browser at http://127.0.0.1:8000/?token={server.token}\n"
                                       "  Every visitor acts as ana.\n"
                                       "  At most 3 boards open at once. Press Ctrl+C to stop.\n")


def test_each_server_has_its_own_long_random_token() -> None:
    one, two = (GuardedServer(BOARD, host="127.0.0.1", port=8000) for _ in range(2))
    assert one.token != two.token and len(one.token) >= 32
    assert one.link == f"http://127.0.0.1:8000/?token={one.token}"
    assert GuardedServer(BOARD, host="::1", port=8000).public_url == "http://[::1]:8000"


def test_serve_reruns_promisetrack_with_the_same_options(
    served: list[GuardedServer], any_port: list[tuple[str, int]], tmp_path: Path
) -> None:
    code = cli.main(["--data", str(tmp_path / "desk"), "--now", "2026-11-23 10:30", "--user", "ana", "serve"])
    assert code == 0
    [server] = served
    assert server.host == "127.0.0.1" and server.port == 8000
    assert server.command == (f"{sys.executable} -m promisetrack --data {tmp_path / 'desk'} "
                              "--now '2026-11-23 10:30' --user ana")
    assert server.public_url == "http://127.0.0.1:8000" and server.max_sessions == 8
    assert server.visitors.startswith("Every visitor acts as ana, the serving user: the file store has no logins.")
    assert not (tmp_path / "desk").exists()  # serving opens no desk itself: each browser's board does


def test_serve_demo_on_every_address_with_a_public_url_and_a_cap(
    served: list[GuardedServer], any_port: list[tuple[str, int]]
) -> None:
    assert cli.main(["--demo", "serve", "--host", "0.0.0.0", "--port", "8123",
                     "--public-url", "http://Desk-PC:8123/", "--max-sessions", "3"]) == 0
    assert any_port == [("0.0.0.0", 8123)]
    [server] = served
    assert server.command.endswith("-m promisetrack --demo") and (server.host, server.port) == ("0.0.0.0", 8123)
    assert server.public_url == "http://Desk-PC:8123" and server.origin == ("http", "desk-pc", 8123)
    assert server.link == f"http://Desk-PC:8123/?token={server.token}" and server.max_sessions == 3
    assert server.visitors == "Each visitor gets a throwaway demo desk, as Ana."


@pytest.mark.parametrize("host", ["0.0.0.0", "::", ""])
def test_serve_on_every_address_without_a_public_url_is_one_line(
    host: str, served: list[GuardedServer], any_port: list[tuple[str, int]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", "--host", host, "--port", "8123"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("promisetrack: error: --host ") and err.count("\n") == 1
    assert err.endswith(" listens on every network, and other PCs cannot open a page at that address: "
                        "pass --public-url http://<this-pc's-name-or-address>:8123\n")
    assert served == [] and any_port == []


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--public-url", "desk-pc:8000", "a public URL looks like http://desk-pc:8000, not 'desk-pc:8000'"),
    ("--public-url", "ftp://desk-pc", "a public URL looks like http://desk-pc:8000, not 'ftp://desk-pc'"),
    ("--public-url", "http://desk-pc:99999", "a public URL looks like http://desk-pc:8000, not 'http://desk-pc:99999'"),
    ("--public-url", "http://desk-pc/?a=1", "a public URL looks like http://desk-pc:8000, not 'http://desk-pc/?a=1'"),
    ("--public-url", "http://", "a public URL looks like http://desk-pc:8000, not 'http://'"),
    ("--max-sessions", "0", "a number of boards is a whole number, 1 or more, not '0'"),
    ("--max-sessions", "many", "a number of boards is a whole number, 1 or more, not 'many'"),
])
def test_serve_refuses_a_bad_public_url_or_cap(
    option: str, value: str, says: str, served: list[GuardedServer], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", option, value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"argument {option}: {says}" in err
    assert served == []


def test_serve_without_textual_serve_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], any_port: list[tuple[str, int]]
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    monkeypatch.delitem(sys.modules, "promisetrack.serving")  # imported above, with textual-serve there
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err == "promisetrack: error: serve needs textual-serve: pip install 'promisetrack[serve]'\n"


def test_serve_on_a_free_port_checks_it_and_serves(served: list[GuardedServer], free_port: int) -> None:
    assert cli.main(["serve", "--port", str(free_port)]) == 0
    [server] = served
    assert server.port == free_port and server.public_url == f"http://127.0.0.1:{free_port}"


def test_serve_on_a_port_in_use_is_one_line_without_textual_serve(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # the check comes first: no need of the package
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"promisetrack: error: cannot listen on 127.0.0.1:{port}: ")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_serve_on_an_unknown_host_is_one_line(capsys: pytest.CaptureFixture[str], free_port: int) -> None:
    assert cli.main(["serve", "--host", "no-such-host.invalid", "--port", str(free_port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"promisetrack: error: cannot listen on no-such-host.invalid:{free_port}: ")
    assert err.count("\n") == 1


@pytest.mark.parametrize("port", ["99999", "0", "-1", "65536", "http"])
def test_serve_on_a_port_out_of_range_is_bad_input(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--port", port])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"argument --port: a port is a whole number from 1 to 65535, not '{port}'" in err


@pytest.mark.parametrize("option", ["--data", "--user"])
@pytest.mark.parametrize("value", ["", "   "])
def test_serve_refuses_an_empty_data_or_user(
    option: str, value: str, served: list[GuardedServer], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([option, value, "serve"]) == 2
    assert capsys.readouterr().err.startswith(f"promisetrack: error: {option} is empty: ")
    assert served == []
