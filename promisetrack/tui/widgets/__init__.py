"""Widgets of the board: the promise table, the risk badge and the summary bar."""
