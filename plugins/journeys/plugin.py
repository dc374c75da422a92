"""Built-in plugin: the default conversation journeys for the nine intents (English and Welsh).

It contributes its ``data/`` folder through ``register_journeys``; the core loads and validates
every file with :class:`switchboard.journeys.JourneyBook`. It is ``trylast``, so a force plugin's
journey with the same id (or for the same intent) replaces the default.

It also owns the ``[journeys]`` section of the force configuration:

* ``disabled``: journey ids not to load (their intents then go straight to a person);
* ``skip_words``: what a visitor may type to skip an optional question (replaces the default
  English and Welsh list in :mod:`switchboard.validators`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from switchboard import hookimpl

DATA_DIR = Path(__file__).resolve().parent / "data"

_KEYS = {"disabled": list, "skip_words": list}


class JourneysPlugin:
    """Registered as ``journeys`` through the ``switchboard`` entry-point group."""

    @hookimpl(trylast=True)
    def register_journeys(self) -> list[Path]:
        return [DATA_DIR]

    @hookimpl
    def validate_config(self, settings: Any) -> list[str]:
        problems = []
        for key, value in settings.section("journeys").items():
            if key not in _KEYS:
                problems.append(f"journeys.{key}: unknown key (use {', '.join(sorted(_KEYS))})")
                continue
            if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
                problems.append(f"journeys.{key}: must be a list of non-empty strings")
        return problems
