"""Widgets of the board and its screens: the promise table, the risk badge, the summary bar, the figures tables
and the weekly trend (sparkline) panel of the stats screen."""
