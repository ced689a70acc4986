"""``promisetrack serve``: the board in a browser through textual-serve, bound to this machine by default."""

from __future__ import annotations

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
def fake_server(monkeypatch: pytest.MonkeyPatch) -> type[FakeServer]:
    """textual-serve stands in (it is an optional extra, not installed with ``.[test]``)."""
    FakeServer.made = []
    monkeypatch.setitem(sys.modules, "textual_serve", types.ModuleType("textual_serve"))
    monkeypatch.setitem(sys.modules, "textual_serve.server", types.SimpleNamespace(Server=FakeServer))
    return FakeServer


def test_serve_reruns_promisetrack_with_the_same_options(fake_server: type[FakeServer], tmp_path: Path) -> None:
    code = cli.main(["--data", str(tmp_path / "desk"), "--now", "2026-11-23 10:30", "--user", "ana", "serve"])
    assert code == 0
    server = fake_server.made[0]
    assert server.served and server.host == "127.0.0.1" and server.port == 8000
    assert server.command == (f"{sys.executable} -m promisetrack --data {tmp_path / 'desk'} "
                              "--now '2026-11-23 10:30' --user ana")
    assert not (tmp_path / "desk").exists()  # serving opens no desk itself: each browser's board does


def test_serve_demo_on_another_port(fake_server: type[FakeServer]) -> None:
    assert cli.main(["--demo", "serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    server = fake_server.made[0]
    assert server.command.endswith("-m promisetrack --demo") and (server.host, server.port) == ("0.0.0.0", 8123)


def test_serve_without_textual_serve_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    assert cli.main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err == "promisetrack: error: serve needs textual-serve: pip install 'promisetrack[serve]'\n"
