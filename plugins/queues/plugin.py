"""Built-in plugin: queues (skeleton; filled in by its issue)."""

from __future__ import annotations


class QueuesPlugin:
    """Registered as ``queues`` through the ``switchboard`` entry-point group."""
