"""Built-in plugin: which operator queue a handover goes to.

Routing rules, queues and their schedules are configuration (``[[routing.rules]]``,
``[queues.<id>]``, ``[schedules.<name>]``; see :mod:`switchboard.plugins.queues.routing`).
``select_queue`` answers ``trylast``, so a force plugin that answers overrides it. Opening hours
are read through the office-hours schedule objects, never by calling another plugin.
"""

from __future__ import annotations

import logging
from typing import Any

from switchboard import hookimpl
from switchboard.types import HealthReport, QueueTarget, RoutingContext

from .routing import Router, build_router, describe_queues, validate_routing

log = logging.getLogger("switchboard.plugins.queues")

__all__ = ["QueuesPlugin", "describe_queues"]


class QueuesPlugin:
    """Registered as ``queues`` through the ``switchboard`` entry-point group."""

    def __init__(self) -> None:
        self.router: Router | None = None

    @hookimpl
    def validate_config(self, settings: Any) -> list[str]:
        problems = validate_routing(settings)
        for key in settings.plugin_options("queues"):
            problems.append(f"plugins.queues.{key}: unknown key (this plugin has no options)")
        return problems

    @hookimpl
    def configure(self, settings: Any) -> None:
        self.router = build_router(settings)
        log.info("routing: %d queues, %d rules", len(self.router.queues), len(self.router.rules))

    @hookimpl(trylast=True)
    def select_queue(self, context: RoutingContext) -> QueueTarget | None:
        if self.router is None or not self.router.queues:
            return None
        return self.router.select(context)

    @hookimpl
    def report_health(self) -> HealthReport:
        if self.router is None:
            return HealthReport("queues", "degraded", "not configured")
        return HealthReport("queues", "ok", f"{len(self.router.queues)} queues, {len(self.router.rules)} rules")
