"""``promisetrack serve``: the board in a browser through textual-serve, bound to this machine by default."""

from __future__ import annotations

import socket
import sys
import types
from pathlib import Path
from typing import ClassVar

import pytest

from promisetrack import cli


class FakeServer:
    made: ClassVar[list[FakeServer]] = []

    def __init__(self, command: str, host: str, port: int, title: str) -> None:
        self.command, self.host, self.port, self.title = command, host, port, title
        self.served = False
        FakeServer.made.append(self)

    def serve(self) -> None:
        self.served = True


@pytest.fixture
def any_port(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """The listen check passes and notes what it was asked: these tests must not depend on ports 8000 and 8123
    being free on the machine that runs them."""
    asked: list[tuple[str, int]] = []
    monkeypatch.setattr(cli, "check_listen", lambda host, port: asked.append((host, port)))
    return asked


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> type[FakeServer]:
    """textual-serve stands in (it is an optional extra, not installed with ``.[test]``)."""
    FakeServer.made = []
    monkeypatch.setitem(sys.modules, "textual_serve", types.ModuleType("textual_serve"))
    monkeypatch.setitem(sys.modules, "textual_serve.server", types.SimpleNamespace(Server=FakeServer))
    return FakeServer


def test_serve_reruns_promisetrack_with_the_same_options(
    fake_server: type[FakeServer], any_port: list[tuple[str, int]], tmp_path: Path
) -> None:
    code = cli.main(["--data", str(tmp_path / "desk"), "--now", "2026-11-23 10:30", "--user", "ana", "serve"])
    assert code == 0
    server = fake_server.made[0]
    assert server.served and server.host == "127.0.0.1" and server.port == 8000
    assert server.command == (f"{sys.executable} -m promisetrack --data {tmp_path / 'desk'} "
                              "--now '2026-11-23 10:30' --user ana")
    assert not (tmp_path / "desk").exists()  # serving opens no desk itself: each browser's board does


def test_serve_demo_on_another_port(fake_server: type[FakeServer], any_port: list[tuple[str, int]]) -> None:
    assert cli.main(["--demo", "serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    assert any_port == [("0.0.0.0", 8123)]
    server = fake_server.made[0]
    assert server.command.endswith("-m promisetrack --demo") and (server.host, server.port) == ("0.0.0.0", 8123)


def test_serve_without_textual_serve_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], any_port: list[tuple[str, int]]
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err == "promisetrack: error: serve needs textual-serve: pip install 'promisetrack[serve]'\n"


def test_serve_on_a_free_port_checks_it_and_serves(fake_server: type[FakeServer], free_port: int) -> None:
    assert cli.main(["serve", "--port", str(free_port)]) == 0
    assert fake_server.made[0].served and fake_server.made[0].port == free_port


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
    option: str, value: str, fake_server: type[FakeServer], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([option, value, "serve"]) == 2
    assert capsys.readouterr().err.startswith(f"promisetrack: error: {option} is empty: ")
    assert fake_server.made == []
