"""The one family of errors the service raises; the CLI and the TUI turn them into messages."""

from __future__ import annotations


class PromiseError(Exception):
    """Bad input from the user (CLI exit 2): the message is shown as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DataError(Exception):
    """A problem with the data dir or its files (CLI exit 1): corrupt, locked, unwritable."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StoreLockedError(DataError):
    """Another process held the data file's lock too long."""
