"""Queues and routing rules: demo routing at every hour, overflow, out-of-hours, validation."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from switchboard import hookimpl
from switchboard.errors import ConfigError
from switchboard.plugins.queues.plugin import QueuesPlugin, describe_queues
from switchboard.plugins.queues.routing import build_router, validate_routing
from switchboard.types import QueueTarget, RiskLevel, RiskSignal, RoutingContext

LONDON = ZoneInfo("Europe/London")
TUE_10 = datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)
TUE_23 = datetime(2026, 11, 24, 23, 0, tzinfo=LONDON)
SAT_10 = datetime(2026, 11, 28, 10, 0, tzinfo=LONDON)
SUN_03 = datetime(2026, 11, 29, 3, 0, tzinfo=LONDON)
BOXING_SUB = datetime(2026, 12, 28, 11, 0, tzinfo=LONDON)  # substitute bank holiday, a Monday


def ctx(at=TUE_10, intent=None, level=RiskLevel.NONE, categories=(), language="en", exclude=(), priority=0):
    return RoutingContext(
        force="demo", intent=intent, risk_level=level, risk_categories=tuple(categories),
        language=language, at=at, priority=priority, exclude=tuple(exclude),
    )


@pytest.fixture
def router(sb_settings):
    return build_router(sb_settings())


def test_demo_config_is_valid(sb_settings):
    assert validate_routing(sb_settings()) == []


@pytest.mark.parametrize("hour", range(24))
def test_no_rule_goes_to_24_7_contact_centre_at_every_hour(router, hour):
    for day in (24, 28, 29):  # Tuesday, Saturday, Sunday
        target = router.select(ctx(at=datetime(2026, 11, day, hour, 15, tzinfo=LONDON)))
        assert target.queue == "contact_centre"
        assert target.open is True
        assert target.reason == "fallback"


def test_domestic_abuse_on_tuesday_morning_goes_to_safeguarding(router):
    t = router.select(ctx(level=RiskLevel.HIGH, categories=["domestic_abuse"]))
    assert t.queue == "safeguarding"
    assert t.open and t.priority == 2 and t.fallback_from is None
    assert t.name == "our safeguarding team"
    assert t.reason == "rule safeguarding"


def test_safeguarding_overflows_to_contact_centre_at_night(router):
    t = router.select(ctx(at=TUE_23, level=RiskLevel.HIGH, categories=["stalking_harassment"]))
    assert t.queue == "contact_centre"
    assert t.open is True
    assert t.fallback_from == "safeguarding"
    assert t.priority == 2
    assert "safeguarding closed" in t.reason


def test_excluded_queue_follows_overflow(router):
    t = router.select(ctx(level=RiskLevel.HIGH, categories=["child_safeguarding"], exclude=["safeguarding"]))
    assert t.queue == "contact_centre"
    assert t.fallback_from == "safeguarding"
    assert "excluded" in t.reason


def test_hate_crime_weekdays_only_and_closed_on_bank_holiday(router):
    assert router.select(ctx(categories=["hate_crime"], level=RiskLevel.HIGH)).queue == "hate_crime"
    sat = router.select(ctx(at=SAT_10, categories=["hate_crime"], level=RiskLevel.HIGH))
    assert (sat.queue, sat.fallback_from) == ("contact_centre", "hate_crime")
    bh = router.select(ctx(at=BOXING_SUB, categories=["hate_crime"], level=RiskLevel.HIGH))
    assert bh.queue == "contact_centre"


def test_fraud_open_in_office_hours_and_callback_out_of_hours(router):
    day = router.select(ctx(intent="fraud_scam"))
    assert (day.queue, day.open, day.out_of_hours, day.priority) == ("fraud", True, None, 1)
    night = router.select(ctx(at=TUE_23, intent="fraud_scam"))
    assert night.queue == "fraud" and night.open is False
    assert night.out_of_hours == "callback"
    assert night.opens_at == datetime(2026, 11, 25, 9, 0, tzinfo=LONDON)


def test_financial_abuse_category_goes_to_fraud(router):
    assert router.select(ctx(categories=["financial_abuse"], level=RiskLevel.ELEVATED)).queue == "fraud"


def test_high_risk_never_waits_for_a_closed_queue(router):
    # High risk with a category no specialist rule names goes to the 24/7 contact centre.
    t = router.select(ctx(at=TUE_23, intent="fraud_scam", level=RiskLevel.HIGH, categories=["violence_weapons"]))
    assert t.queue == "contact_centre" and t.open


def test_roads_signposts_out_of_hours(router):
    assert router.select(ctx(at=SAT_10, intent="road_traffic")).queue == "roads"
    t = router.select(ctx(at=SUN_03, intent="road_traffic"))
    assert (t.queue, t.open, t.out_of_hours) == ("roads", False, "signpost")
    assert t.opens_at == datetime(2026, 11, 29, 7, 0, tzinfo=LONDON)


def test_welsh_goes_to_welsh_desk_and_overflows_noting_language(router):
    t = router.select(ctx(language="cy"))
    assert t.queue == "welsh_desk" and t.name == "ein tîm Cymraeg"
    sunday = router.select(ctx(at=SAT_10.replace(day=29), language="cy"))
    assert sunday.queue == "contact_centre"
    assert sunday.fallback_from == "welsh_desk"
    assert "visitor language cy" in sunday.reason
    assert sunday.name == "ein canolfan gyswllt"


def test_safeguarding_beats_welsh_desk(router):
    assert router.select(ctx(language="cy", level=RiskLevel.HIGH, categories=["domestic_abuse"])).queue == "safeguarding"


def test_context_priority_is_kept_when_higher(router):
    assert router.select(ctx(intent="road_traffic", priority=3)).priority == 3


def test_describe_queues_for_console(sb_settings):
    queues = {q["id"]: q for q in describe_queues(sb_settings())}
    assert set(queues) == {"contact_centre", "safeguarding", "hate_crime", "fraud", "welsh_desk", "roads"}
    assert queues["contact_centre"]["schedule"] == "always"
    assert queues["contact_centre"]["capacity"] == 3
    assert queues["safeguarding"]["capacity"] == 1
    assert queues["hate_crime"]["hours"].startswith("mon 09:00-17:00")
    assert "bank holidays" in queues["hate_crime"]["hours"]
    assert queues["fraud"]["name"] == "our fraud desk"


# -- through the dispatcher --------------------------------------------------------------------------


class DomesticAbuse:
    @hookimpl
    def assess_risk(self, message):
        if "hit me" in message.normalised:
            return RiskSignal(RiskLevel.HIGH, "domestic_abuse", "test", rule_id="t-da")
        return None


def test_dispatch_domestic_abuse_tuesday_10am_goes_to_safeguarding(sb_dispatcher):
    d = sb_dispatcher(plugins=[("t", DomesticAbuse)])
    decision = d.dispatch(d.make_message("my partner hit me last night", received_at=TUE_10))
    assert decision.handover
    assert decision.queue.queue == "safeguarding"
    assert decision.queue.open
    assert decision.state.queue == "safeguarding"


@pytest.mark.parametrize("hour", [0, 3, 8, 12, 17, 21, 23])
def test_dispatch_human_choice_goes_to_contact_centre_any_hour(sb_dispatcher, hour):
    d = sb_dispatcher()
    at = datetime(2026, 11, 29, hour, 0, tzinfo=LONDON)  # a Sunday
    decision = d.dispatch(d.make_message("", choice="human", received_at=at))
    assert decision.handover
    assert decision.queue.queue == "contact_centre"
    assert decision.queue.open


def test_force_plugin_select_queue_overrides_builtin(sb_dispatcher):
    class Force:
        @hookimpl
        def select_queue(self, context):
            return QueueTarget(queue="roads", name="roads")

    d = sb_dispatcher(plugins=[("force", Force)])
    assert d.select_queue(context=ctx()).queue == "roads"


def test_unconfigured_plugin_abstains():
    assert QueuesPlugin().select_queue(context=ctx()) is None


# -- validation --------------------------------------------------------------------------------------


def problems(sb_settings, **overrides):
    return validate_routing(sb_settings(overrides=overrides))


def test_rule_naming_unknown_queue(sb_settings):
    rules = [{"id": "x", "intents": ["fraud_scam"], "queue": "frawd"}]
    found = problems(sb_settings, routing={"rules": rules})
    assert any(p.startswith("routing.rules[0] (x).queue: unknown queue 'frawd'") and "fraud" in p for p in found)


def test_unknown_keys_in_queue_rule_and_routing(sb_settings):
    found = problems(
        sb_settings,
        queues={"fraud": {"colour": "blue"}},
        routing={"rules": [{"id": "y", "queue": "fraud", "intent": ["fraud_scam"]}], "fallbak_queue": "x"},
    )
    assert any(p.startswith("queues.fraud.colour: unknown key") for p in found)
    assert any(p.startswith("routing.rules[0] (y).intent: unknown key") and "intents" in p for p in found)
    assert any(p.startswith("routing.fallbak_queue: unknown key") for p in found)


def test_queue_naming_unknown_schedule_or_overflow(sb_settings):
    found = problems(sb_settings, queues={"roads": {"schedule": "roads_hourz", "overflow": "nowhere"}})
    assert any(p.startswith("queues.roads.schedule: unknown schedule 'roads_hourz'") for p in found)
    assert any(p.startswith("queues.roads.overflow: unknown queue 'nowhere'") for p in found)


def test_overflow_cycle(sb_settings):
    found = problems(
        sb_settings,
        queues={"fraud": {"overflow": "roads"}, "roads": {"overflow": "welsh_desk"}, "welsh_desk": {"overflow": "fraud"}},
    )
    cycles = [p for p in found if "overflow cycle" in p]
    assert len(cycles) == 1
    assert cycles[0].startswith("queues.")
    assert "fraud" in cycles[0] and "roads" in cycles[0] and "welsh_desk" in cycles[0]


def test_bad_values(sb_settings):
    found = problems(
        sb_settings,
        queues={"fraud": {"out_of_hours": "pray", "capacity_per_operator": 0}},
        routing={"rules": [{"queue": "fraud", "min_risk_level": "severe", "languages": ["fr"]}], "fallback_queue": "nope"},
    )
    joined = "\n".join(found)
    assert "queues.fraud.out_of_hours: expected one of" in joined
    assert "queues.fraud.capacity_per_operator: must be at least 1" in joined
    assert "routing.rules[0].min_risk_level: unknown level 'severe'" in joined
    assert "routing.rules[0].languages: 'fr'" in joined
    assert "routing.fallback_queue: unknown queue 'nope'" in joined


def test_invalid_config_stops_start_up_naming_key(sb_settings, sb_dispatcher):
    settings = sb_settings(overrides={"queues": {"safeguarding": {"overflow": "contact_center"}}})
    with pytest.raises(ConfigError) as err:
        sb_dispatcher(settings=settings)
    assert "queues.safeguarding.overflow" in str(err.value)
    assert "did you mean 'contact_centre'" in str(err.value)


def test_a_full_queue_overflows(sb_settings):
    import dataclasses

    from switchboard.plugins.queues.routing import build_router

    settings = sb_settings(overrides={"queues": {"safeguarding": {"max_waiting": 3}}})
    r = build_router(settings)
    base = ctx(categories=("domestic_abuse",), level=RiskLevel.HIGH)
    assert r.select(dataclasses.replace(base, waiting={"safeguarding": 2})).queue == "safeguarding"
    full = r.select(dataclasses.replace(base, waiting={"safeguarding": 3}))
    assert full.queue == "contact_centre" and full.fallback_from == "safeguarding"
    assert "safeguarding full" in full.reason
    # the fallback queue always takes the chat, however many are waiting
    assert r.select(dataclasses.replace(ctx(), waiting={"contact_centre": 999})).queue == "contact_centre"


def test_max_waiting_is_validated(sb_settings):
    from switchboard.plugins.queues.routing import validate_routing

    problems = validate_routing(sb_settings(overrides={"queues": {"fraud": {"max_waiting": 0}}}))
    assert any(p.startswith("queues.fraud.max_waiting") for p in problems)
