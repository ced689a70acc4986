"""Live boards on the database: a change on one desk appears on an open board through NOTIFY (no polling), and a
lost connection shows "offline — reconnecting", refuses to save while keeping what was typed, and reloads in full
once the server takes connections again."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from textual.pilot import Pilot
from textual.widgets import Input, Static

from promisetrack.clock import FixedClock
from promisetrack.service import Desk, open_desk
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.screens.forms import ContactForm
from tests.store.conftest import PgServer
from tests.tui.conftest import SIZE, board_ids, type_text


async def until(pilot: Pilot, condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Let the app run until ``condition`` holds: the board hears the server in a worker thread, in real time."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the board did not catch up in time"
        await pilot.pause(0.05)


def database(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


async def test_a_change_on_another_desk_appears_through_notify(pg_db: str, data_dir, clock: FixedClock) -> None:
    desk = open_desk(data_dir, db=pg_db, user="ana", clock=clock)
    desk.add("Maria Lopez", "Call back", "fri")
    app = PromiseTrackApp(desk, watch_every=0.2)
    other = open_desk(data_dir, db=pg_db, user="ben", clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        assert app.watch_timer is None  # a database tells: nothing polls it
        assert board_ids(app) == [1001]
        started = time.monotonic()
        other.add("Chen Wei", "Ring to confirm the slot", "+2h")
        await until(pilot, lambda: 1002 in board_ids(app))
        assert time.monotonic() - started < 1.0 + 0.5  # NOTIFY, then one read: well within a second or so
    for d in (desk, other):
        d.store.close()  # type: ignore[attr-defined]


async def test_a_lost_server_shows_offline_keeps_typed_text_and_reloads_in_full(
    pg: PgServer, pg_db: str, data_dir, clock: FixedClock
) -> None:
    name = database(pg_db)
    desk = open_desk(data_dir, db=pg_db, user="ana", clock=clock)
    desk.add("Maria Lopez", "Call back", "fri")
    writer: Desk = open_desk(data_dir, db=pg_db, user="ben", clock=clock)
    writer.board()  # connected before the server stops taking connections
    app = PromiseTrackApp(desk, watch_every=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ContactForm)
        await type_text(pilot, "told her Friday")
        with pg.admin() as admin:  # the server goes away for this desk: its connections are cut, no new ones
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND query ILIKE 'LISTEN%%'", (name,))
        banner = app.board.query_one("#offline", Static)
        await until(pilot, lambda: banner.display)
        assert "offline — reconnecting" in str(banner.render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ContactForm)  # not saved, not closed
        assert app.screen.query_one("#note", Input).value == "told her Friday"
        assert "offline — not saved" in str(app.screen.query_one("#form-error", Static).render())
        writer.add("Chen Wei", "Ring to confirm the slot", "+2h")  # made while the board could not hear
        with pg.admin() as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await until(pilot, lambda: not banner.display and 1002 in board_ids(app))  # back, and read in full
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not isinstance(app.screen, ContactForm))
        assert desk.get(1001).events[-1].data["note"] == "told her Friday"  # nothing typed was lost
    for d in (desk, writer):
        d.store.close()  # type: ignore[attr-defined]


