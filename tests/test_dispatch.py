from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from switchboard import hookimpl
from switchboard.types import (
    EscalationVote,
    IntentScore,
    QueueTarget,
    RiskLevel,
    RiskSignal,
    Slot,
    Status,
)


class Risky:
    """Flags 'machete' as immediate and 'worried' as elevated."""

    @hookimpl
    def assess_risk(self, message):
        out = []
        if "machete" in message.normalised:
            out.append(RiskSignal(RiskLevel.IMMEDIATE, "violence_weapons", "weapon now", rule_id="t-weapon",
                                  matched_text="machete"))
        if "worried" in message.normalised:
            out.append(RiskSignal(RiskLevel.ELEVATED, "other", "worry", rule_id="t-worry", matched_text="worried"))
        if "end it all" in message.normalised:
            out.append(RiskSignal(RiskLevel.IMMEDIATE, "self_harm", "suicidal", rule_id="t-sh"))
        return out


class Exploding:
    @hookimpl
    def assess_risk(self, message):
        raise RuntimeError("model file vanished")


class Intents:
    @hookimpl
    def categorise_intent(self, message):
        if "noise" in message.normalised:
            return [IntentScore("anti_social_behaviour", 0.9), IntentScore("neighbourhood_concern", 0.3)]
        if "weather" in message.normalised:
            return IntentScore("out_of_scope", 0.95)
        return IntentScore("general_enquiry", 0.2)


class Slots:
    @hookimpl
    def extract_slots(self, message):
        if "ab1 2cd" in message.normalised:
            return [Slot("postcode", "AB1 2CD", "AB1 2CD")]
        return None


# The core's behaviour is tested with the test plugins below; the built-in content plugins
# (rules, models, journeys) are disabled so these tests do not depend on their data.
CONTENT_PLUGINS = {"risk_keywords", "risk_ml", "intent_rules", "intent_ml", "slots", "journeys", "guidance"}


@pytest.fixture
def sb_dispatcher(sb_dispatcher):
    def make(plugins=(), disabled=(), **kw):
        return sb_dispatcher(plugins=plugins, disabled=set(disabled) | CONTENT_PLUGINS, **kw)

    return make


def test_highest_risk_wins_and_reasons_name_plugin_and_rule(sb_dispatcher):
    d = sb_dispatcher(plugins=[("risky", Risky)])
    decision = d.triage("I'm worried, he has a MACHETE")
    assert decision.risk_level is RiskLevel.IMMEDIATE
    assert decision.emergency is True
    assert [s.rule_id for s in decision.signals] == ["t-weapon", "t-worry"]
    assert decision.signals[0].plugin == "risky"
    assert decision.signals[0].matched_text == "machete"
    assert any("t-weapon" in r for r in decision.reasons)


def test_emergency_reply_first_line_is_call_999(sb_dispatcher):
    d = sb_dispatcher(plugins=[("risky", Risky)])
    decision = d.triage("there is a man with a machete outside")
    first = decision.replies[0]
    assert first.kind == "emergency"
    assert first.text.splitlines()[0].startswith("Call 999 now")
    assert "18000" in first.text and "emergencySMS" in first.text
    assert decision.state.emergency is True
    assert "risk_immediate" in decision.handover_reasons


def test_self_harm_adds_samaritans_and_shout(sb_dispatcher):
    d = sb_dispatcher(plugins=[("risky", Risky)])
    texts = " ".join(r.text for r in d.triage("I want to end it all tonight").replies)
    assert "116 123" in texts and "85258" in texts


def test_risk_plugin_failure_sends_chat_to_a_human_and_keeps_message(sb_dispatcher, caplog):
    d = sb_dispatcher(plugins=[("exploding", Exploding), ("intents", Intents)])
    decision = d.triage("loud noise from next door")
    assert decision.risk_level is RiskLevel.HIGH
    failure = [s for s in decision.signals if s.category == "plugin_failure"]
    assert failure and failure[0].plugin == "exploding"
    assert decision.handover is True
    assert decision.queue is not None
    assert "exploding.assess_risk: RuntimeError" in decision.plugin_errors
    assert any("exploding" in rec.getMessage() for rec in caplog.records)
    # the message is not dropped: the visitor is told what happens next
    assert decision.replies and decision.replies[0].kind == "handover"


def test_decision_is_immutable(sb_dispatcher):
    decision = sb_dispatcher().triage("hello")
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.emergency = True  # type: ignore[misc]


def test_intent_combination_and_clarify(sb_dispatcher):
    d = sb_dispatcher(plugins=[("intents", Intents)])
    result = d.categorise_intent(message=d.make_message("the noise next door"))
    assert result.intent == "anti_social_behaviour" and not result.clarify
    assert [c.intent for c in result.candidates] == ["anti_social_behaviour", "neighbourhood_concern"]
    low = d.triage("something odd")
    assert low.intent.clarify is True
    assert low.replies[0].kind == "clarify"
    option_ids = [o.id for o in low.replies[0].options]
    assert "intent:anti_social_behaviour" in option_ids and "human" in option_ids
    assert low.state.awaiting == "intent_choice"


def test_out_of_scope_is_signposted(sb_dispatcher):
    decision = sb_dispatcher(plugins=[("intents", Intents)]).triage("what's the weather tomorrow")
    assert decision.replies[0].kind == "out_of_scope"
    assert decision.handover is False


def test_slots_first_plugin_wins_and_are_kept_in_state(sb_dispatcher):
    class Other:
        @hookimpl(tryfirst=True)
        def extract_slots(self, message):
            return [Slot("postcode", "ZZ9 9ZZ")]

    d = sb_dispatcher(plugins=[("slots_a", Slots), ("slots_b", Other)])
    decision = d.triage("I live at AB1 2CD")
    assert decision.slots["postcode"].value == "ZZ9 9ZZ"
    assert decision.slots["postcode"].plugin == "slots_b"
    assert decision.state.slots["postcode"] == "ZZ9 9ZZ"


def test_talk_to_a_person_hands_over_to_fallback_queue(sb_dispatcher):
    d = sb_dispatcher(disabled={"queues", "office_hours"})
    decision = d.dispatch(d.make_message("", choice="human"))
    assert decision.handover is True
    assert decision.handover_reasons == ("asked_for_human",)
    assert decision.queue.queue == "contact_centre"
    assert decision.state.status is Status.QUEUED


def test_force_plugin_select_queue_overrides_default(sb_dispatcher):
    class ForceRouting:
        @hookimpl
        def select_queue(self, context):
            return QueueTarget(queue="force_desk", name="Force desk", reason="force rule")

        @hookimpl
        def is_queue_open(self, queue, at):
            return queue == "force_desk"

    d = sb_dispatcher(plugins=[("force", ForceRouting)])
    decision = d.dispatch(d.make_message("", choice="human"))
    assert decision.queue.queue == "force_desk"
    assert decision.queue.open is True
    assert "Force desk" in decision.replies[-1].text


def test_closed_queue_says_when_it_opens(sb_dispatcher):
    opens = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)

    class Closed:
        @hookimpl
        def select_queue(self, context):
            return QueueTarget(queue="night", name="Night desk")

        @hookimpl
        def is_queue_open(self, queue, at):
            return False

        @hookimpl
        def next_opening(self, queue, at):
            return opens

    d = sb_dispatcher(plugins=[("closed", Closed)])
    decision = d.dispatch(d.make_message("", choice="human"))
    assert decision.queue.open is False
    assert decision.queue.opens_at == opens
    assert "Tuesday 1 December at 8:00am" in decision.replies[-1].text


def test_escalation_plugin_failure_counts_as_handover(sb_dispatcher):
    class BadVote:
        @hookimpl
        def decide_escalation(self, context):
            raise ValueError("boom")

    decision = sb_dispatcher(plugins=[("badvote", BadVote)]).triage("hello there")
    assert "plugin_failure" in decision.handover_reasons


def test_later_message_is_risk_checked_after_handover(sb_dispatcher):
    d = sb_dispatcher(plugins=[("risky", Risky)])
    first = d.dispatch(d.make_message("", choice="human"))
    assert first.state.status is Status.QUEUED
    quiet = d.dispatch(d.make_message("still waiting", state=first.state))
    assert quiet.replies == ()  # the bot is silent after a handover
    urgent = d.dispatch(d.make_message("he's back with a machete", state=first.state))
    assert urgent.emergency is True
    assert urgent.replies[0].kind == "emergency"
    assert urgent.state.priority == 3


def test_observers_and_failing_observer(sb_dispatcher):
    seen = []

    class Watcher:
        @hookimpl
        def after_decision(self, decision, message):
            seen.append((decision.turn, message.text))

        @hookimpl
        def on_event(self, event):
            seen.append(event.type)

        @hookimpl
        def on_plugin_error(self, plugin, hook, error):
            seen.append((plugin, hook, type(error).__name__))

    class BadObserver:
        @hookimpl
        def after_decision(self, decision, message):
            raise RuntimeError("observer down")

    d = sb_dispatcher(plugins=[("watcher", Watcher), ("bad", BadObserver)])
    decision = d.triage("hi")
    d.after_decision(decision=decision, message=d.make_message("hi"))
    from switchboard.types import Event

    d.emit(Event(type="test", force="demo", at=datetime.now(timezone.utc)))
    assert (1, "hi") in seen
    assert "test" in seen
    assert ("bad", "after_decision", "RuntimeError") in seen


def test_escalation_votes_are_recorded(sb_dispatcher):
    class Vote:
        @hookimpl
        def decide_escalation(self, context):
            if "complicated" in context.message.normalised:
                return EscalationVote(True, "complex", "force rule", priority=1)
            return None

    decision = sb_dispatcher(plugins=[("vote", Vote)]).triage("it's complicated")
    assert decision.handover and "complex" in decision.handover_reasons


def test_startup_hooks_validate_and_configure(sb_dispatcher):
    from switchboard.errors import ConfigError, PluginError

    class Validating:
        @hookimpl
        def validate_config(self, settings):
            return ["plugins.validating.level: must be set"]

    with pytest.raises(ConfigError, match="plugins.validating.level"):
        sb_dispatcher(plugins=[("validating", Validating)])

    class FailsToConfigure:
        @hookimpl
        def configure(self, settings):
            raise FileNotFoundError("rules.toml")

    with pytest.raises(PluginError) as err:
        sb_dispatcher(plugins=[("fails", FailsToConfigure)])
    assert err.value.plugin == "fails"


def test_health_and_model_versions(sb_dispatcher):
    from switchboard.types import HealthReport

    class Model:
        @hookimpl
        def report_health(self):
            return HealthReport("risk_model", "degraded", "keyword-only")

        @hookimpl
        def model_versions(self):
            return {"risk": "risk-test-1"}

    d = sb_dispatcher(plugins=[("model", Model)])
    assert HealthReport("risk_model", "degraded", "keyword-only") in d.health()
    assert d.triage("hello").model_versions["risk"] == "risk-test-1"


def test_registered_intents_extend_taxonomy(sb_dispatcher):
    class NewIntent:
        @hookimpl
        def register_intents(self):
            return ["firearms_licensing"]

    d = sb_dispatcher(plugins=[("fl", NewIntent)])
    assert d.intents[-1] == "firearms_licensing"
    assert "anti_social_behaviour" in d.intents


def test_register_hooks_feed_contributions_force_last(sb_dispatcher, tmp_path):
    from pathlib import Path

    seen = {}

    class ForceFiles:
        @hookimpl
        def register_risk_rules(self):
            return [tmp_path / "force_rules.toml"]

        @hookimpl
        def register_journeys(self):
            return [tmp_path / "journeys"]

        @hookimpl
        def register_intent_rules(self):
            return [tmp_path / "intent_rules.toml"]

        @hookimpl
        def configure(self, settings, contributions):
            seen.update(contributions)

    (tmp_path / "journeys").mkdir()
    d = sb_dispatcher(plugins=[("force", ForceFiles)])
    assert d.contributions["risk_rules"][-1] == tmp_path / "force_rules.toml"
    assert d.contributions["journeys"][-1] == tmp_path / "journeys"
    assert d.contributions["intent_rules"][-1] == tmp_path / "intent_rules.toml"
    assert seen["risk_rules"][-1] == Path(tmp_path / "force_rules.toml")


def test_find_guidance_merges_by_score_and_contains_failures(sb_dispatcher):
    from switchboard.types import GuidancePassage

    def passage(doc, score):
        return GuidancePassage(doc, doc.title(), "text", "https://example.police.uk/" + doc, "Contact Mgmt", "2027-01-01", score)

    class DocsA:
        @hookimpl
        def find_guidance(self, query, language, intent, limit):
            return [passage("noise", 0.4), passage("bins", 0.1)]

    class DocsB:
        @hookimpl
        def find_guidance(self, query, language, intent, limit):
            return [passage("asb", 0.7)]

    class DocsBroken:
        @hookimpl
        def find_guidance(self, query, language, intent, limit):
            raise OSError("index missing")

    d = sb_dispatcher(plugins=[("a", DocsA), ("b", DocsB), ("broken", DocsBroken)])
    errors: list[str] = []
    found = d.find_guidance(query="noise", language="en", intent=None, limit=2, errors=errors)
    assert [p.doc_id for p in found] == ["asb", "noise"]
    assert found[0].plugin == "b"
    assert errors == ["broken.find_guidance: OSError"]


def test_welsh_greeting_choice_and_detection(sb_dispatcher):
    d = sb_dispatcher()
    greeting = d.greeting("en")[0]
    assert ("lang:cy", "Cymraeg") in [(o.id, o.label) for o in greeting.options]
    chose = d.dispatch(d.make_message("", choice="lang:cy"))
    assert chose.state.language == "cy"
    assert chose.replies[-1].text.startswith("Helo")
    assert ("lang:en", "English") in [(o.id, o.label) for o in chose.replies[-1].options]
    wrote = d.triage("Helo, mae sŵn uchel gan fy nghymdogion bob nos")
    assert wrote.language == "cy" and wrote.state.language == "cy"
    assert all("Sorry" not in r.text for r in wrote.replies)


def test_risky_message_still_records_intent_for_routing(sb_dispatcher):
    d = sb_dispatcher(plugins=[("risky", Risky), ("intents", Intents)])
    decision = d.triage("the noise next door, now he's got a machete")
    assert decision.emergency is True
    assert decision.intent.intent == "anti_social_behaviour"
    assert decision.state.intent == "anti_social_behaviour"
    assert decision.state.journey is None  # no journey: the chat goes to a person


# -- keyword emergencies are corroborated by the model (a lower floor when the message says now) --
class Model:
    """A stand-in risk model: p(immediate) is the number after 'p=' in the message."""

    @hookimpl
    def assess_risk(self, message):
        p = float(message.normalised.split("p=")[1].split()[0])
        level = RiskLevel.IMMEDIATE if p >= 0.5 else RiskLevel.NONE
        return RiskSignal(level, "other" if p >= 0.5 else "none", "model", model_version="m1", score=p,
                          p_immediate=p)


class Timed:
    """A keyword rule that reports the time context named in the message ('ctx=now' etc.)."""

    @hookimpl
    def assess_risk(self, message):
        ctx = message.normalised.split("ctx=")[1].split()[0] if "ctx=" in message.normalised else ""
        return RiskSignal(RiskLevel.IMMEDIATE, "violence_weapons", "gun mentioned", rule_id="t-gun",
                          matched_text="gun", context=ctx)


@pytest.mark.parametrize(
    "text, plugins, overrides, expected",
    [
        # no time cue, the model is sure it is not an emergency: a person checks, no 999
        ("gun p=0.01", ("timed", "model"), {}, RiskLevel.HIGH),
        # the model gives it a fair chance: the keyword rule stands
        ("gun p=0.2", ("timed", "model"), {}, RiskLevel.IMMEDIATE),
        # a now cue in the message: the rule stands unless the model is nearly sure (below the
        # lower now floor, 0.02 by default)
        ("gun ctx=now p=0.03", ("timed", "model"), {}, RiskLevel.IMMEDIATE),
        ("gun ctx=now p=0.01", ("timed", "model"), {}, RiskLevel.HIGH),
        ("gun ctx=now p=0.01", ("timed", "model"), {"thresholds": {"keyword_corroboration_now": 0.0}},
         RiskLevel.IMMEDIATE),
        # each floor applies to its own kind of signal
        ("gun ctx=now p=0.03", ("timed", "model"), {"thresholds": {"keyword_corroboration": 0.5}}, RiskLevel.IMMEDIATE),
        ("gun p=0.03", ("timed", "model"), {"thresholds": {"keyword_corroboration_now": 0.5}}, RiskLevel.HIGH),
        # no model answer (missing or degraded): keywords alone decide
        ("gun", ("timed",), {}, RiskLevel.IMMEDIATE),
        # the check can be turned off by configuration
        ("gun p=0.01", ("timed", "model"), {"thresholds": {"keyword_corroboration": 0.0}}, RiskLevel.IMMEDIATE),
    ],
)
def test_keyword_emergency_needs_the_model_not_to_disagree(sb_dispatcher, sb_settings, text, plugins, overrides,
                                                                 expected):
    impls = {"timed": Timed, "model": Model}
    d = sb_dispatcher(plugins=[(p, impls[p]) for p in plugins], settings=sb_settings(overrides=overrides))
    decision = d.triage(text)
    assert decision.risk_level is expected
    assert decision.emergency is (expected is RiskLevel.IMMEDIATE)
    assert decision.handover  # high or immediate: a person sees the chat either way
    # the model's level-none answer is only used for corroboration, never shown as a signal
    assert all(s.level is not RiskLevel.NONE for s in decision.signals)
    gun = next(s for s in decision.signals if s.rule_id == "t-gun")
    assert (gun.context == "uncorroborated") is (expected is RiskLevel.HIGH)
    if expected is RiskLevel.HIGH:
        assert ("nearly sure it is not an emergency" if "ctx=now" in text else "risk model disagrees") in gun.reason
        assert "a person checks" in gun.reason


def test_first_answer_hooks_skip_abstaining_plugins_and_survive_raising_ones(sb_dispatcher):
    class Abstains:
        @hookimpl(tryfirst=True)
        def select_queue(self, context):
            return None

        @hookimpl(tryfirst=True)
        def is_queue_open(self, queue, at):
            return None

    abstaining = sb_dispatcher(plugins=[("abstains", Abstains)])
    plain = sb_dispatcher()
    for d in (abstaining, plain):
        decision = d.dispatch(d.make_message("", choice="human"))
        assert decision.queue.queue == "contact_centre" and decision.queue.plugin == "queues"

    class Raises:
        @hookimpl(tryfirst=True)
        def select_queue(self, context):
            raise RuntimeError("routing table unreachable")

    d = sb_dispatcher(plugins=[("raises", Raises)])
    decision = d.dispatch(d.make_message("", choice="human"))
    assert decision.queue.queue == "contact_centre" and decision.queue.reason == "fallback"


def test_traced_manager_decides_exactly_as_an_untraced_one(sb_dispatcher, caplog):
    import logging

    from switchboard.plugin_manager import enable_tracing

    plain = sb_dispatcher()
    traced = sb_dispatcher()
    enable_tracing(traced.pm)
    at = datetime(2026, 11, 27, 11, 0, tzinfo=timezone.utc)
    with caplog.at_level(logging.DEBUG, logger="switchboard.trace"):
        a = traced.dispatch(traced.make_message("", choice="human", received_at=at))
    b = plain.dispatch(plain.make_message("", choice="human", received_at=at))
    assert a == b
    assert any("call select_queue" in r.getMessage() for r in caplog.records)


def test_risk_signals_come_highest_level_first_and_set_the_decision_level(sb_dispatcher):
    class Low:
        @hookimpl(tryfirst=True)
        def assess_risk(self, message):
            return RiskSignal(RiskLevel.ELEVATED, "other", "first answer, lowest level", rule_id="t-low")

    d = sb_dispatcher(plugins=[("low", Low), ("risky", Risky)])
    decision = d.triage("I'm worried, he has a machete")
    levels = [s.level for s in decision.signals]
    assert levels == sorted(levels, reverse=True) and levels[0] is RiskLevel.IMMEDIATE
    assert decision.risk_level is RiskLevel.IMMEDIATE is decision.state.risk_level
