from __future__ import annotations

import importlib.metadata

import pytest

from switchboard import hookimpl
from switchboard.errors import PluginError
from switchboard.plugin_manager import ENTRY_POINT_GROUP, make_plugin_manager, plugin_infos
from switchboard.types import RiskLevel, RiskSignal

BUILTINS = {
    "risk_keywords", "risk_ml", "intent_rules", "intent_ml", "slots", "escalation",
    "journeys", "guidance", "office_hours", "queues",
}


def test_builtins_load_through_the_entry_point_group():
    names = {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert BUILTINS <= names
    pm = make_plugin_manager()
    infos = {p.name: p for p in plugin_infos(pm)}
    assert BUILTINS <= set(infos)
    esc = infos["escalation"]
    assert esc.distribution == "switchboard"
    assert esc.version
    assert "decide_escalation" in esc.hooks
    assert esc.source.startswith("switchboard.plugins.escalation")


def test_each_manager_gets_fresh_plugin_instances():
    a = make_plugin_manager().get_plugin("escalation")
    b = make_plugin_manager().get_plugin("escalation")
    assert a is not None and b is not None and a is not b


class ThirdParty:
    @hookimpl
    def assess_risk(self, message):
        return RiskSignal(RiskLevel.ELEVATED, "other", "third party", rule_id="tp-1")


def test_third_party_plugin_registers_beside_builtins():
    pm = make_plugin_manager(extra_plugins=[("force_x", ThirdParty)])
    infos = {p.name: p for p in plugin_infos(pm)}
    assert infos["force_x"].hooks == ("assess_risk",)
    assert infos["force_x"].source == "registered"


def test_disable_by_name_blocks_plugin():
    pm = make_plugin_manager(disabled={"escalation", "force_x"}, extra_plugins=[("force_x", ThirdParty)])
    names = {p.name for p in plugin_infos(pm)}
    assert "escalation" not in names and "force_x" not in names
    assert "queues" in names


def test_disabling_an_unknown_plugin_is_an_error():
    with pytest.raises(PluginError) as err:
        make_plugin_manager(disabled={"risk_keyword"})
    assert err.value.plugin == "risk_keyword"


def test_plugin_that_raises_at_load_is_a_plugin_error():
    class Broken:
        def __init__(self):
            raise RuntimeError("no rules file")

    with pytest.raises(PluginError) as err:
        make_plugin_manager(extra_plugins=[("broken", Broken)])
    assert err.value.plugin == "broken"
    assert "no rules file" in str(err.value)


def test_misspelt_hook_is_caught_by_check_pending():
    class Typo:
        @hookimpl
        def asess_risk(self, message):
            return None

    with pytest.raises(PluginError) as err:
        make_plugin_manager(extra_plugins=[("typo", Typo)])
    assert err.value.plugin == "typo"
    assert "asess_risk" in str(err.value)
