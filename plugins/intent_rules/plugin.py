"""Built-in plugin: intent_rules (skeleton; filled in by its issue)."""

from __future__ import annotations


class IntentRulesPlugin:
    """Registered as ``intent_rules`` through the ``switchboard`` entry-point group."""
