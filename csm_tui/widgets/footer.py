"""Textual's Footer, without its leak.

Each time the keys change (every focus change between the search box and the table, say) the
footer recomposes: it removes its keys and mounts new ones, each bound to the footer's
``compact`` with ``data_bind``. The bindings of the removed keys are never dropped (Textual
8.2, https://github.com/Textualize/textual/issues/6666), so every focus change kept ~40 dead
keys, about 10,000 objects, alive for good: the desk grew, and the garbage collector's full
passes grew with it (at 100,000 cases one took 60-90 ms after a few searches, and a repaint
that met it waited). Textual drops the bindings of closed widgets when the watched value is
updated, so after each recompose :class:`DeskFooter` updates ``compact`` (to what it is).
"""

from __future__ import annotations

from textual.widgets import Footer


class DeskFooter(Footer):
    """A :class:`~textual.widgets.Footer` that lets go of the keys it removed."""

    async def recompose(self) -> None:
        await super().recompose()
        if self.is_attached:
            self.mutate_reactive(Footer.compact)


__all__ = ["DeskFooter"]
