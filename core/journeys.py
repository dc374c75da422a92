"""Branching conversation journeys (declarative TOML files), loaded, validated and run.

CONTRACT used by :mod:`switchboard.dispatch` (keep these names and signatures):

* ``JourneyBook.load(paths, settings, intents) -> JourneyBook``: load every journey file found in
  ``paths`` (files or folders), validate, raise :class:`~switchboard.errors.DataError` naming the
  file and step of the first problem.
* ``book.for_intent(intent) -> Journey | None`` and ``book.get(journey_id)``.
* ``book.start(journey_id, *, state, message, slots, guidance) -> StepResult``: begin a journey
  for a conversation; skip steps whose slot is already known (from ``state.slots`` / ``slots``).
* ``book.advance(*, state, message, slots, guidance) -> StepResult``: take the visitor's answer
  to the current step (``state.step``), validate it, branch, move on.
* ``guidance(query, language, intent) -> list[GuidancePassage]`` is a callable given by the core
  that returns only approved passages above the confidence threshold.

This first version is a minimal skeleton; the journeys issue replaces it with the full engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .types import ConversationState, GuidancePassage, Message, Reply, Slot

GuidanceFinder = Callable[[str, str, "str | None"], list[GuidancePassage]]


@dataclass(frozen=True)
class Journey:
    id: str
    intent: str
    path: Path | None = None
    steps: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepResult:
    """What one journey step did.

    :ivar replies: bot messages to send.
    :ivar state: the conversation state after the step (journey, step, slots, awaiting, outcome,
        reference).
    :ivar progressed: the journey moved forward (a step was answered or the journey ended).
    :ivar understood: the visitor's answer was usable (False triggers a re-prompt and counts
        towards the "misunderstood" escalation threshold).
    :ivar handover: a reason code when the journey ends in a handover, else ``None``.
    """

    replies: tuple[Reply, ...]
    state: ConversationState
    progressed: bool = True
    understood: bool = True
    handover: str | None = None


class JourneyBook:
    def __init__(self, journeys: Mapping[str, Journey]) -> None:
        self._journeys = dict(journeys)

    @classmethod
    def load(cls, paths: Iterable[Path | str], settings: Any, intents: Iterable[str]) -> JourneyBook:
        return cls({})

    def get(self, journey_id: str) -> Journey | None:
        return self._journeys.get(journey_id)

    def for_intent(self, intent: str) -> Journey | None:
        for journey in self._journeys.values():
            if journey.intent == intent:
                return journey
        return None

    def __len__(self) -> int:
        return len(self._journeys)

    def start(
        self, journey_id: str, *, state: ConversationState, message: Message,
        slots: Mapping[str, Slot], guidance: GuidanceFinder,
    ) -> StepResult:
        return StepResult(replies=(), state=state.replace(outcome="handover"), handover="no_journey")

    def advance(
        self, *, state: ConversationState, message: Message, slots: Mapping[str, Slot], guidance: GuidanceFinder,
    ) -> StepResult:
        return StepResult(replies=(), state=state.replace(outcome="handover"), handover="no_journey")
