"""The training sandbox shows what the board can do: promises waiting on the customer, a repeat breaker, overdue
and at-risk ones — played through the real service, the same at every start relative to its clock."""

from __future__ import annotations

import shutil

from promisetrack.demo import open_demo
from promisetrack.model import Risk
from promisetrack.risk import REPEAT_BREAKER


def test_the_demo_shows_every_band_and_a_repeat_breaker() -> None:
    desk = open_demo("2026-11-23T10:30", None)
    try:
        rows = desk.board()
        levels = {r.risk for r in rows}
        assert levels == {Risk.OVERDUE, Risk.AT_RISK, Risk.WAITING, Risk.OK}
        breaker = [r for r in rows if r.promise.customer.name == "Samir Haddad"]
        assert len(breaker) == 1 and REPEAT_BREAKER in breaker[0].assessment.reasons  # type: ignore[union-attr]
        assert all(r.promise.waiting_note for r in rows if r.risk is Risk.WAITING)
        assert desk.user == "Ana"
    finally:
        shutil.rmtree(desk.store.location, ignore_errors=True)
