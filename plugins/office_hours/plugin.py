"""Built-in plugin: office_hours (skeleton; filled in by its issue)."""

from __future__ import annotations


class OfficeHoursPlugin:
    """Registered as ``office_hours`` through the ``switchboard`` entry-point group."""
