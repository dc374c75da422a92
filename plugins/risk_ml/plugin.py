"""Built-in plugin: risk_ml (skeleton; filled in by its issue)."""

from __future__ import annotations


class RiskMLPlugin:
    """Registered as ``risk_ml`` through the ``switchboard`` entry-point group."""
