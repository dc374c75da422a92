"""Built-in plugin: office hours per queue (``[schedules.<name>]``, named by ``[queues.<id>] schedule``).

Answers the firstresult hooks ``is_queue_open`` and ``next_opening`` ``trylast``, so a force
plugin that answers wins; a queue with no schedule gets ``None`` (the core counts it as open).
The schedule logic lives in :mod:`switchboard.plugins.office_hours.schedule` so the queues
plugin can ask schedules directly.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Mapping

from switchboard import hookimpl
from switchboard.types import HealthReport

from .schedule import Schedule, load_schedules, validate_schedules

log = logging.getLogger("switchboard.plugins.office_hours")


class OfficeHoursPlugin:
    """Registered as ``office_hours`` through the ``switchboard`` entry-point group."""

    def __init__(self) -> None:
        self.schedules: dict[str, Schedule] = {}
        self.queue_schedule: dict[str, str] = {}

    @hookimpl
    def validate_config(self, settings: Any) -> list[str]:
        problems = validate_schedules(settings)
        for key in settings.plugin_options("office_hours"):
            problems.append(f"plugins.office_hours.{key}: unknown key (this plugin has no options)")
        return problems

    @hookimpl
    def configure(self, settings: Any) -> None:
        self.schedules = load_schedules(settings)
        self.queue_schedule = {}
        for queue, table in settings.section("queues").items():
            if isinstance(table, Mapping) and isinstance(table.get("schedule"), str):
                self.queue_schedule[queue] = table["schedule"]
        log.info("loaded %d schedules for %d queues", len(self.schedules), len(self.queue_schedule))

    def schedule_for(self, queue: str) -> Schedule | None:
        """The schedule of ``queue``, or ``None`` when it has none."""
        name = self.queue_schedule.get(queue)
        return self.schedules.get(name) if name else None

    @hookimpl(trylast=True)
    def is_queue_open(self, queue: str, at: datetime) -> bool | None:
        schedule = self.schedule_for(queue)
        return None if schedule is None else schedule.is_open(at)

    @hookimpl(trylast=True)
    def next_opening(self, queue: str, at: datetime) -> datetime | None:
        schedule = self.schedule_for(queue)
        return None if schedule is None else schedule.next_opening(at)

    @hookimpl
    def report_health(self) -> HealthReport:
        return HealthReport("office_hours", "ok", f"{len(self.schedules)} schedules")
