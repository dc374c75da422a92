"""Built-in plugin: guidance (skeleton; filled in by its issue)."""

from __future__ import annotations


class GuidancePlugin:
    """Registered as ``guidance`` through the ``switchboard`` entry-point group."""
