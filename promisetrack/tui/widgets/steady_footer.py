"""The board's footer: Textual's ``Footer``, rebuilt only when the keys it shows change.

Textual's footer throws its keys away and composes them again on every "bindings updated" signal of its screen, and
a screen sends several while it starts (focus set, screen resumed, first idle) with the same keys each time: each
rebuild composes every key again and delays the board's first frame for nothing (see the README, "Staying fast").
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    _asked: Hashable = None  # the keys of the last rebuild asked for (None: none yet)

    def _keys(self, screen: Screen[object]) -> Hashable:
        """What ``Footer.compose`` draws from: the active bindings it would show, enabled or not, with tooltips."""
        return tuple(
            (binding.key, self.app.get_key_display(binding), binding.description, binding.action, binding.group,
             binding.show, enabled, tooltip)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen and screen.app.app_focus:
            keys = self._keys(screen)
            if keys == self._asked:
                return
            self._asked = keys
        super().bindings_changed(screen)
