"""Built-in plugin: journeys (skeleton; filled in by its issue)."""

from __future__ import annotations


class JourneysPlugin:
    """Registered as ``journeys`` through the ``switchboard`` entry-point group."""
