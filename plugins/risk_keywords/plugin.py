"""Built-in plugin: risk_keywords (skeleton; filled in by its issue)."""

from __future__ import annotations


class RiskKeywordsPlugin:
    """Registered as ``risk_keywords`` through the ``switchboard`` entry-point group."""
