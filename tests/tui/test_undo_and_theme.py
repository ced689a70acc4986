"""``u`` on the board says what it will undo and asks once when the change is older than 10 minutes; the theme chosen
in the command palette is kept in settings.toml and used next time."""

from __future__ import annotations

from datetime import timedelta

from promisetrack.clock import FixedClock
from promisetrack.config import load_settings
from promisetrack.service import Desk
from promisetrack.tui.app import PromiseTrackApp
from promisetrack.tui.screens.confirm import ConfirmUndo
from tests.tui.conftest import SIZE, settle


async def test_u_undoes_a_recent_change_at_once(app: PromiseTrackApp, seeded: Desk, clock: FixedClock) -> None:
    clock.advance(timedelta(minutes=5))  # 1005 was added 5 minutes ago
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmUndo)
        assert "undid adding promise 1005 (removed)" in [n.message for n in app._notifications]
        assert 1005 not in {r.promise.id for r in seeded.board()}


async def test_u_asks_once_before_undoing_an_older_change(app: PromiseTrackApp, seeded: Desk,
                                                          clock: FixedClock) -> None:
    clock.advance(timedelta(hours=2, minutes=5))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmUndo)
        assert app.screen.question == "Undo adding promise 1005 (removed), made today 10:30 (2h 5m ago)?"
        await pilot.press("n")  # keep it: nothing undone
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmUndo) and 1005 in {r.promise.id for r in seeded.board()}
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert 1005 not in {r.promise.id for r in seeded.board()}


async def test_the_theme_chosen_is_kept_and_used_next_time(seeded: Desk) -> None:
    app = PromiseTrackApp(seeded)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "nord"  # what the palette's "Change theme" does
        await settle(pilot)
    assert seeded.settings.path is not None
    assert load_settings(seeded.settings.path.parent).theme == "nord"
    again = PromiseTrackApp(seeded)
    async with again.run_test(size=SIZE):
        assert again.theme == "nord"
