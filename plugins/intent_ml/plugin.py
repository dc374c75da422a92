"""Built-in plugin: intent_ml (skeleton; filled in by its issue)."""

from __future__ import annotations


class IntentMLPlugin:
    """Registered as ``intent_ml`` through the ``switchboard`` entry-point group."""
