"""Disk full, permission denied, read-only data dir: a clear one-line message, exit status 1, and every file of the
data dir exactly as it was (no temp file left behind)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from promisetrack import cli
from promisetrack.store import files as store_module
from tests.reliability.conftest import NOW, assert_clean_error, run_cli, snapshot_files

COMMANDS = {
    "add": ["add", "--customer", "Jo Bloggs", "--what", "Call back", "--due", "fri 5pm", "--phone", "+44 7700 1"],
    "done": ["done", "1001", "--csat", "5"],
    "contact": ["contact", "1002", "--note", "Left a voicemail"],
}


@pytest.fixture
def used(desk_dir: Path) -> Path:
    """A data dir with two promises, a backup for today and a customer file: every kind of file a save touches."""
    for name in ("Maria Lopez", "Tom Becker"):
        result = run_cli(desk_dir, "add", "--customer", name, "--what", "Ring back", "--due", "tomorrow")
        assert result.returncode == 0, result.stderr
    assert list((desk_dir / "backups").iterdir()) and list((desk_dir / "customers").iterdir())
    return desk_dir


def run_in_process(data: Path, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["--data", str(data), "--now", NOW, "--user", "Ana", *args])
    out, err = capsys.readouterr()
    return code, out, err


def failing(call: Callable[..., object], code: int, *, only: Callable[..., bool] = lambda *a: True) -> Callable:
    def fake(*args: object, **kwargs: object) -> object:
        if only(*args):
            raise OSError(code, os.strerror(code))
        return call(*args, **kwargs)

    return fake


@pytest.fixture(params=sorted(COMMANDS))
def command(request: pytest.FixtureRequest) -> list[str]:
    return COMMANDS[request.param]


FAULTS: dict[str, tuple[str, int, str]] = {
    # name: (what fails, errno, words the message must hold)
    "disk full while writing": ("write", errno.ENOSPC, "No space left on device"),
    "disk full at fsync": ("fsync", errno.ENOSPC, "No space left on device"),
    "quota exceeded": ("write", errno.EDQUOT, "quota exceeded"),
    "permission denied creating the temp file": ("mkstemp", errno.EACCES, "Permission denied"),
    "read-only filesystem at rename": ("replace", errno.EROFS, "Read-only file system"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_failing_save_changes_nothing(
    used: Path, command: list[str], fault: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tempfile

    step, code, words = FAULTS[fault]
    before = snapshot_files(used)
    if step == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", failing(tempfile.mkstemp, code))
    else:
        monkeypatch.setattr(os, step, failing(getattr(os, step), code))
    status, out, err = run_in_process(used, command, capsys)
    assert status == 1, (out, err)
    assert err.count("\n") == 1 and err.startswith("promisetrack: data problem: could not save"), err
    assert words.casefold() in err.casefold() and "nothing was changed" in err
    monkeypatch.undo()
    assert snapshot_files(used) == before
    assert not [p for p in used.rglob("*.tmp")]


def test_a_data_file_that_cannot_be_read(used: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Permission denied on the live file (injected, so that it also runs as root)."""
    real_open = open
    live = str(used / "promisetrack.json")

    def guarded(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == live:
            raise PermissionError(errno.EACCES, "Permission denied", live)
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    before = snapshot_files(used)
    monkeypatch.setattr(store_module, "open", guarded, raising=False)
    for args in (["list"], COMMANDS["add"]):
        status, _, err = run_in_process(used, args, capsys)
        assert status == 1 and err == f"promisetrack: data problem: could not read {live}: Permission denied — " \
                                      "nothing was changed\n", err
    monkeypatch.undo()
    assert snapshot_files(used) == before


# --- the real thing: chmod (root ignores file modes, so these skip when they would prove nothing) -------------------


@pytest.fixture
def chmod(used: Path) -> Iterator[Callable[[Path, int], None]]:
    changed: list[tuple[Path, int]] = []

    def set_mode(path: Path, mode: int) -> None:
        changed.append((path, stat.S_IMODE(path.stat().st_mode)))
        path.chmod(mode)

    yield set_mode
    for path, mode in reversed(changed):
        path.chmod(mode)


def _modes_bind(path: Path) -> bool:
    """Does a 0500 folder really refuse this process a new file? (Not for root.)"""
    probe = path / ".probe"
    try:
        probe.touch()
    except PermissionError:
        return True
    probe.unlink()
    return False


def test_a_read_only_data_dir(used: Path, chmod: Callable[[Path, int], None]) -> None:
    before = snapshot_files(used)
    chmod(used, 0o500)
    if not _modes_bind(used):
        pytest.skip("running as root: chmod 0500 does not stop this process writing")
    for args in (COMMANDS["add"], COMMANDS["done"]):
        line = assert_clean_error(run_cli(used, *args), 1)
        assert "Permission denied" in line and "nothing was changed" in line
    assert run_cli(used, "list").returncode == 0, "reading needs no write access"
    assert snapshot_files(used) == before


def test_an_unreadable_data_file(used: Path, chmod: Callable[[Path, int], None]) -> None:
    before = snapshot_files(used)
    chmod(used / "promisetrack.json", 0o000)
    if os.access(used / "promisetrack.json", os.R_OK):
        pytest.skip("running as root: chmod 000 does not stop this process reading")
    for args in (["list"], COMMANDS["add"]):
        line = assert_clean_error(run_cli(used, *args), 1)
        assert "could not read" in line and "Permission denied" in line
    chmod(used / "promisetrack.json", 0o600)
    assert snapshot_files(used) == before


def test_a_save_that_fails_at_the_live_file_leaves_only_a_harmless_customer(
    used: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Customer and archive files are written before the live file. If the live file then fails, the promise is not
    there (the live file is as it was) and a new customer's record may be: nothing refers to it, and the retry
    links to it rather than making a second one."""
    live = str(used / "promisetrack.json")
    before = (used / "promisetrack.json").read_bytes()
    monkeypatch.setattr(os, "replace", failing(os.replace, errno.ENOSPC, only=lambda src, dst: str(dst) == live))
    status, _, err = run_in_process(used, COMMANDS["add"], capsys)
    assert status == 1 and f"could not save {live}: No space left on device" in err
    monkeypatch.undo()
    assert (used / "promisetrack.json").read_bytes() == before
    status, out, _ = run_in_process(used, COMMANDS["add"], capsys)
    assert status == 0 and out == "1003\n"
    customers = run_cli(used, "show", "1003", "--json")
    assert '"customer_id": 3' in customers.stdout  # the customer made by the failed save, not a fourth one
