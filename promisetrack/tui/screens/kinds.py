"""What the app needs to know of a screen, without importing it: each screen's module is imported only when the
screen first opens (the board's start imports the board alone), so the app asks by these small base classes, which
the screens inherit, instead of by the screens' own classes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from promisetrack.alerts import AlertKey
from promisetrack.service import Row


class OnARow:
    """A screen whose actions (contact, reschedule, acknowledge …) act on the promise the user is on."""

    @property
    def current_row(self) -> Row | None:
        raise NotImplementedError


class FollowsEveryRead:
    """A screen of one promise that reads it again when the data changes (``full``) or the minute turns."""

    def reload(self, *, full: bool = True) -> None:
        raise NotImplementedError


class ShowsTheBoard:
    """A screen that shows the board's rows in its own way: handed them on every read and tick."""

    def show(self, rows: list[Row], now: datetime) -> None:
        raise NotImplementedError


class ShowsAlerts:
    """The alerts panel: handed the board's rows and when each alert came up, on every read and tick."""

    def show(self, rows: Iterable[Row], raised: Mapping[AlertKey, datetime], now: datetime) -> None:
        raise NotImplementedError


class FollowsFigures:
    """A screen of figures, told when the data changed (it reads them again in its own time)."""

    def data_changed(self) -> None:
        raise NotImplementedError


class BoardKeys:
    """A screen whose keys are the board's: the command palette offers the board's actions there."""


class OwnKeys:
    """A screen whose own keys (those with a tooltip) the command palette offers."""
