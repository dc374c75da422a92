"""Built-in plugin: slots (skeleton; filled in by its issue)."""

from __future__ import annotations


class SlotsPlugin:
    """Registered as ``slots`` through the ``switchboard`` entry-point group."""
