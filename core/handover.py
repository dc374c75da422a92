"""The handover state machine: bot → queued → with_operator → closed.

Pure functions over :class:`~switchboard.types.ConversationState`: each transition checks that it
is allowed from the current status and returns the new state plus the event type to record. The
conversation service applies them under the conversation's lock and stores the result; the
console and the API never change ``status`` any other way.

Transitions:

========================  ===============================  ==========================
action                    from                             to
========================  ===============================  ==========================
``queue``                 bot                              queued
``claim``                 queued                           with_operator
``transfer``              queued, with_operator            queued (another queue)
``requeue``               with_operator                    queued (operator timed out
                                                           or released the chat)
``close``                 bot, queued, with_operator       closed (with an outcome code)
``visitor_left``          bot, queued, with_operator       closed (outcome visitor_left)
========================  ===============================  ==========================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import SwitchboardError
from .types import ConversationState, Status

_ALLOWED: dict[str, tuple[Status, ...]] = {
    "queue": (Status.BOT,),
    "claim": (Status.QUEUED,),
    "transfer": (Status.QUEUED, Status.WITH_OPERATOR),
    "requeue": (Status.WITH_OPERATOR,),
    "close": (Status.BOT, Status.QUEUED, Status.WITH_OPERATOR),
    "visitor_left": (Status.BOT, Status.QUEUED, Status.WITH_OPERATOR),
}


class TransitionError(SwitchboardError):
    """A handover action that the conversation's current status does not allow."""

    code = "invalid_transition"

    def __init__(self, action: str, status: Status) -> None:
        self.action = action
        self.status = status
        allowed = ", ".join(s.value for s in _ALLOWED.get(action, ()))
        super().__init__(f"cannot {action} a conversation that is {status.value} (allowed from: {allowed or 'nowhere'})")


@dataclass(frozen=True)
class Transition:
    """The result of an action: the new state and the event type to record."""

    state: ConversationState
    event: str


def _check(action: str, state: ConversationState) -> None:
    if state.status not in _ALLOWED[action]:
        raise TransitionError(action, state.status)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def queue(state: ConversationState, queue_id: str, reason: str, priority: int = 0, at: str | None = None) -> Transition:
    _check("queue", state)
    reasons = state.handover_reasons if reason in state.handover_reasons else state.handover_reasons + (reason,)
    return Transition(
        state.replace(status=Status.QUEUED, handover=True, queue=queue_id, handover_reasons=reasons,
                      priority=max(priority, state.priority), queued_at=at or _now(), operator=None),
        "handover_queued",
    )


def claim(state: ConversationState, operator: str) -> Transition:
    _check("claim", state)
    return Transition(state.replace(status=Status.WITH_OPERATOR, operator=operator, claimed_at=_now()),
                      "operator_claimed")


def transfer(state: ConversationState, queue_id: str, at: str | None = None) -> Transition:
    _check("transfer", state)
    if queue_id == state.queue:
        raise TransitionError("transfer", state.status)
    return Transition(state.replace(status=Status.QUEUED, queue=queue_id, operator=None, queued_at=at or _now(),
                                    claimed_at=None),
                      "transferred")


def requeue(state: ConversationState, at: str | None = None) -> Transition:
    _check("requeue", state)
    # the chat keeps its place: queued_at is unchanged unless given
    return Transition(state.replace(status=Status.QUEUED, operator=None, queued_at=at or state.queued_at or _now(),
                                    claimed_at=None),
                      "requeued")


def close(state: ConversationState, outcome: str) -> Transition:
    _check("close", state)
    return Transition(state.replace(status=Status.CLOSED, outcome=outcome), "closed")


def visitor_left(state: ConversationState) -> Transition:
    _check("visitor_left", state)
    return Transition(state.replace(status=Status.CLOSED, outcome="visitor_left"), "visitor_left")
