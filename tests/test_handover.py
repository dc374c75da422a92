from __future__ import annotations

import pytest

from switchboard import handover
from switchboard.handover import TransitionError
from switchboard.types import ConversationState, Status


def test_full_path_bot_to_closed():
    s = ConversationState()
    t = handover.queue(s, "safeguarding", "risk_high", priority=2)
    assert t.state.status is Status.QUEUED and t.state.queue == "safeguarding" and t.state.priority == 2
    assert t.event == "handover_queued"
    assert t.state.queued_at
    t = handover.claim(t.state, "op1")
    assert t.state.status is Status.WITH_OPERATOR and t.state.operator == "op1"
    t = handover.transfer(t.state, "contact_centre", at="2026-11-27T10:00:00+00:00")
    assert (t.state.status, t.state.queue, t.event) == (Status.QUEUED, "contact_centre", "transferred")
    assert t.state.operator is None and t.state.queued_at == "2026-11-27T10:00:00+00:00"
    t = handover.requeue(handover.claim(t.state, "op2").state)
    assert t.state.status is Status.QUEUED and t.state.operator is None
    assert t.state.queued_at == "2026-11-27T10:00:00+00:00"  # keeps its place in the queue
    t = handover.close(handover.claim(t.state, "op2").state, "advice_given")
    assert t.state.status is Status.CLOSED and t.state.outcome == "advice_given"


def test_priority_never_drops_and_reasons_accumulate():
    s = ConversationState(priority=3, handover_reasons=("risk_immediate",))
    t = handover.queue(s, "contact_centre", "asked_for_human", priority=1)
    assert t.state.priority == 3
    assert t.state.handover_reasons == ("risk_immediate", "asked_for_human")


@pytest.mark.parametrize(
    "action, status",
    [
        ("claim", Status.BOT), ("claim", Status.WITH_OPERATOR), ("claim", Status.CLOSED),
        ("requeue", Status.QUEUED), ("queue", Status.QUEUED), ("close", Status.CLOSED),
        ("visitor_left", Status.CLOSED), ("transfer", Status.BOT),
    ],
)
def test_disallowed_transitions(action, status):
    s = ConversationState(status=status, queue="q")
    fn = getattr(handover, action)
    args = {"queue": ("x", "r"), "transfer": ("other",), "close": ("done",), "claim": ("op",)}.get(action, ())
    with pytest.raises(TransitionError) as err:
        fn(s, *args)
    assert err.value.code == "invalid_transition"
    assert status.value in str(err.value)


def test_transfer_to_same_queue_is_refused():
    with pytest.raises(TransitionError):
        handover.transfer(ConversationState(status=Status.QUEUED, queue="q"), "q")


def test_visitor_left_closes():
    t = handover.visitor_left(ConversationState(status=Status.QUEUED))
    assert t.state.status is Status.CLOSED and t.state.outcome == "visitor_left" and t.event == "visitor_left"


def test_wait_stops_counting_at_the_claim():
    from datetime import datetime, timezone

    from switchboard.card import waited_seconds

    s = ConversationState(status=Status.QUEUED, queue="q", queued_at="2026-11-27T10:00:00+00:00")
    later = datetime(2026, 11, 27, 10, 5, tzinfo=timezone.utc)
    assert waited_seconds(s, later) == 300
    claimed = handover.claim(s, "op").state.replace(claimed_at="2026-11-27T10:02:00+00:00")
    assert waited_seconds(claimed, datetime(2026, 11, 27, 11, 0, tzinfo=timezone.utc)) == 120
    assert handover.requeue(claimed).state.claimed_at is None
