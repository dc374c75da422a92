"""The risk_ml and intent_ml plugins: levels from the card, degraded health, hot swap."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from switchboard.errors import ModelLoadError, PluginError
from switchboard.plugins.intent_ml.plugin import IntentMLPlugin
from switchboard.plugins.risk_ml.artefact import MODEL_FILE, load_model
from switchboard.plugins.risk_ml.plugin import RiskMLPlugin, risk_level_for
from switchboard.training.registry import GateResult, promote, write_current
from switchboard.training.testing import tiny_registry
from switchboard.text import normalise
from switchboard.types import Message, RiskLevel


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    return tiny_registry(tmp_path_factory.getbasetemp() / "sb-tiny")


def _registry_copy(tiny, tmp_path: Path) -> Path:
    models = tmp_path / "models"
    shutil.copytree(tiny.models_dir, models)
    return models


def _configured(plugin, sb_settings, models: Path, **opts):
    options = {"reload_interval": 0, **opts}
    settings = sb_settings(overrides={"models": {"dir": str(models)}, "plugins": {plugin.name: options}})
    assert plugin.validate_config(settings) == []
    plugin.configure(settings=settings, contributions={})
    return plugin


def test_assess_risk_uses_card_thresholds_and_names_version_and_category(tiny, sb_settings, sb_dispatcher, tmp_path):
    models = _registry_copy(tiny, tmp_path)
    plugin = _configured(RiskMLPlugin(), sb_settings, models)
    model = load_model(tiny.risk_v1, "risk")
    d = sb_dispatcher(settings=sb_settings(overrides={"models": {"dir": str(models)}}))
    for text in ("there's a man outside with a knife right now", "my bike was stolen from the shed last week"):
        message = d.make_message(text)
        proba = model.pipeline.predict_proba([text])[0]
        expected, _score = risk_level_for(model, proba)
        signal = plugin.assess_risk(message=message)
        # every answer carries the model's p(immediate), even at level none (for corroboration)
        assert signal is not None and signal.p_immediate == round(float(proba[list(model.fast.classes).index("immediate")]), 4)
        if expected is RiskLevel.NONE:
            assert signal.level is RiskLevel.NONE and signal.category == "none"
        else:
            assert signal is not None and signal.level is expected
            assert signal.model_version == tiny.risk_v1.name
            assert signal.category in model.fast.head_classes(1)
    knife = plugin.assess_risk(message=d.make_message("there's a man outside with a knife right now"))
    assert knife is not None and knife.level is RiskLevel.IMMEDIATE and knife.category == "violence_weapons"
    assert plugin.model_versions() == {"risk": tiny.risk_v1.name}
    assert plugin.report_health().status == "ok"


def test_decisions_record_the_model_versions(tiny, sb_settings, sb_dispatcher):
    settings = sb_settings(overrides={"models": {"dir": str(tiny.models_dir)}})
    decision = sb_dispatcher(settings=settings).triage("loud music from next door every weekend")
    assert decision.model_versions["risk"] == tiny.risk_v1.name
    assert decision.model_versions["intent"] == tiny.intent_v1.name


def test_intent_plugin_scores_every_intent_including_out_of_scope(tiny, sb_settings, sb_dispatcher):
    plugin = _configured(IntentMLPlugin(), sb_settings, tiny.models_dir)
    d = sb_dispatcher(settings=sb_settings(overrides={"models": {"dir": str(tiny.models_dir)}}))
    scores = plugin.categorise_intent(message=d.make_message("i lost my wallet in town yesterday"))
    assert {s.intent for s in scores} == set(load_model(tiny.intent_v1).fast.classes)
    assert "out_of_scope" in {s.intent for s in scores}
    assert abs(sum(s.confidence for s in scores) - 1.0) < 1e-9
    assert scores[0].intent == "lost_found_property" and scores[0].source == tiny.intent_v1.name


def test_tampered_model_degrades_loudly_and_risk_falls_back_to_keywords(tiny, sb_settings, tmp_path, caplog):
    models = _registry_copy(tiny, tmp_path)
    artefact = models / "risk" / tiny.risk_v1.name / MODEL_FILE
    data = bytearray(artefact.read_bytes())
    data[100] ^= 0xFF
    artefact.write_bytes(bytes(data))
    with caplog.at_level("ERROR", logger="switchboard.models"):
        plugin = _configured(RiskMLPlugin(), sb_settings, models)
    assert any("NOT LOADED" in r.getMessage() and "sha256" in r.getMessage() for r in caplog.records)
    health = plugin.report_health()
    assert health.component == "risk_ml" and health.status == "degraded"
    assert "sha256" in health.detail and str(artefact) in health.detail
    text = "there's a man outside with a knife right now"
    assert plugin.assess_risk(message=Message(text=text, normalised=normalise(text))) is None
    assert plugin.model_versions() is None


def test_missing_model_is_degraded_and_require_turns_it_into_a_startup_error(sb_settings, sb_dispatcher, tmp_path):
    plugin = _configured(IntentMLPlugin(), sb_settings, tmp_path / "empty")
    assert plugin.report_health().status == "degraded"
    assert "no intent model is promoted" in plugin.report_health().detail
    strict = sb_settings(overrides={"models": {"dir": str(tmp_path / "empty"), "require": True}})
    with pytest.raises((ModelLoadError, PluginError)) as err:
        sb_dispatcher(settings=strict)
    assert "CURRENT" in str(err.value)


def test_unknown_option_is_reported_with_its_key(sb_settings):
    settings = sb_settings(overrides={"plugins": {"risk_ml": {"reload_intervl": 1, "model": 3}}})
    problems = RiskMLPlugin().validate_config(settings)
    assert any(p.startswith("plugins.risk_ml.reload_intervl: unknown option") for p in problems)
    assert "plugins.risk_ml.model: expected a string" in problems


def test_hot_swap_while_messages_are_being_triaged(tiny, sb_settings, sb_dispatcher, tmp_path):
    models = _registry_copy(tiny, tmp_path)
    settings = sb_settings(overrides={"models": {"dir": str(models)},
                                      "plugins": {"risk_ml": {"reload_interval": 0}}})
    d = sb_dispatcher(settings=settings)
    seen: list[str | None] = []
    failures: list[str] = []
    stop = threading.Event()

    def serve() -> None:
        texts = ["there's a man outside with a knife right now", "i lost my wallet in town yesterday"]
        i = 0
        while not stop.is_set():
            try:
                decision = d.triage(texts[i % 2])
            except Exception as exc:  # noqa: BLE001 - the assertion below reports it
                failures.append(repr(exc))
                return
            if decision.plugin_errors:
                failures.extend(decision.plugin_errors)
            seen.append(decision.model_versions.get("risk"))
            i += 1

    worker = threading.Thread(target=serve)
    worker.start()
    try:
        _wait(lambda: len(seen) >= 5)
        promote(models, str(tiny.risk_v2), lambda k, f: GateResult(True, {}), kind="risk")
        _wait(lambda: seen and seen[-1] == tiny.risk_v2.name)
        count = len(seen)
        _wait(lambda: len(seen) >= count + 5)
    finally:
        stop.set()
        worker.join(timeout=30)
    assert failures == []
    assert seen[0] == tiny.risk_v1.name and seen[-1] == tiny.risk_v2.name
    switched = seen.index(tiny.risk_v2.name)
    assert all(v == tiny.risk_v2.name for v in seen[switched:])  # no flapping back


def test_a_broken_new_version_keeps_the_old_one_serving(tiny, sb_settings, tmp_path):
    models = _registry_copy(tiny, tmp_path)
    plugin = _configured(RiskMLPlugin(), sb_settings, models)
    write_current(models, "risk", "risk-does-not-exist")
    plugin.holder.refresh()
    assert plugin.holder.version == tiny.risk_v1.name
    health = plugin.report_health()
    assert health.status == "degraded" and "risk-does-not-exist" in health.detail


def _wait(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.01)
