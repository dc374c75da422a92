"""The contract value types: ordering of risk levels, and the fast ``__init__`` / copy they use on
the hot path behave exactly like the ones ``dataclasses`` generates."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from switchboard import types as t
from switchboard.types import ConversationState, IntentScore, RiskLevel, replace_fields

FAST = [
    t.Option, t.Citation, t.Reply, t.Slot, t.ConversationState, t.Message, t.RiskSignal, t.IntentScore,
    t.IntentResult, t.EscalationContext, t.EscalationVote, t.RoutingContext, t.QueueTarget,
    t.GuidancePassage, t.HealthReport, t.Event, t.Decision,
]


def _reference(cls: type) -> type:
    """The same fields as ``cls``, with the ``__init__`` that ``dataclasses`` generates."""
    fields = []
    for f in dataclasses.fields(cls):
        spec = dataclasses.field(default=f.default, default_factory=f.default_factory)
        fields.append((f.name, f.type, spec))
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True)


def _values(cls: type) -> list[object]:
    return [object() for _ in dataclasses.fields(cls)]


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.__name__)
def test_fast_init_has_the_generated_signature(cls):
    mine, generated = inspect.signature(cls), inspect.signature(_reference(cls))
    assert list(mine.parameters) == list(generated.parameters)
    for name, param in mine.parameters.items():
        other = generated.parameters[name]
        assert param.kind == other.kind
        assert repr(param.default) == repr(other.default)  # factories show as <factory>


@pytest.mark.parametrize("cls", FAST, ids=lambda c: c.__name__)
def test_fast_init_stores_what_the_generated_one_stores(cls):
    ref = _reference(cls)
    values = _values(cls)
    assert cls(*values).__dict__ == ref(*values).__dict__
    names = [f.name for f in dataclasses.fields(cls)]
    assert cls(**dict(zip(names, values))).__dict__ == ref(**dict(zip(names, values))).__dict__
    required = [f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    minimal = {name: object() for name in required}
    built, expected = cls(**minimal), ref(**minimal)
    assert built.__dict__ == expected.__dict__
    for f in dataclasses.fields(cls):  # default factories give a fresh object each time
        if f.default_factory is not dataclasses.MISSING:
            assert getattr(built, f.name) is not getattr(cls(**minimal), f.name)
    if required:
        with pytest.raises(TypeError):
            cls()
    with pytest.raises(TypeError):
        cls(*values, object())
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(built, dataclasses.fields(cls)[0].name, 1)


def test_fast_init_keeps_equality_hash_and_repr():
    a, b = IntentScore("crime_report", 0.5, "v1"), IntentScore("crime_report", 0.5, "v1")
    assert a == b and hash(a) == hash(b)
    assert repr(a) == "IntentScore(intent='crime_report', confidence=0.5, source='v1', plugin='')"
    assert ConversationState().slots == {} and ConversationState() == ConversationState()


def test_replace_fields_equals_dataclasses_replace_and_rejects_unknown_fields():
    state = ConversationState(slots={"a": "1"})
    assert replace_fields(state, turn=3, intent="x") == dataclasses.replace(state, turn=3, intent="x")
    assert state.replace(awaiting="journey_step").awaiting == "journey_step"
    assert state.turn == 0  # the original is untouched
    with pytest.raises(TypeError):
        replace_fields(state, no_such_field=1)


def test_risk_levels_are_ordered_and_compare_only_with_risk_levels():
    order = [RiskLevel.NONE, RiskLevel.ELEVATED, RiskLevel.HIGH, RiskLevel.IMMEDIATE]
    assert sorted(reversed(order)) == order
    assert [lvl.rank for lvl in order] == [0, 1, 2, 3]
    assert max(order) is RiskLevel.IMMEDIATE and min(order) is RiskLevel.NONE
    assert RiskLevel.HIGH >= RiskLevel.HIGH and RiskLevel.HIGH <= RiskLevel.HIGH
    assert RiskLevel.ELEVATED > RiskLevel.NONE and not RiskLevel.ELEVATED < RiskLevel.NONE
    assert RiskLevel("high") is RiskLevel.HIGH and RiskLevel.HIGH == "high"
    with pytest.raises(TypeError):
        RiskLevel.HIGH < 2  # noqa: B015
