"""Built-in plugin: intent_ml, a trained text classifier over the intent taxonomy.

Answers ``categorise_intent`` with one :class:`~switchboard.types.IntentScore` per intent the
model knows (probabilities summing to 1, including ``out_of_scope``); the core keeps the highest
confidence per intent across plugins and asks the visitor to choose below
``thresholds.intent_confidence``. ``source`` is the model version.

Loading, verification, hot swap and health work exactly as in ``risk_ml`` (same registry, kind
``intent``); a missing model makes this plugin abstain and report ``degraded``.

Options (``[plugins.intent_ml]``): ``model`` (pin one model folder) and ``reload_interval``
(seconds between checks of the registry's ``CURRENT``; default 1).
"""

from __future__ import annotations

from typing import Any

from switchboard import hookimpl
from switchboard.plugins.risk_ml.holder import ModelHolder
from switchboard.plugins.risk_ml.plugin import configure_holder, validate_options
from switchboard.types import HealthReport, IntentScore, Message


class IntentMLPlugin:
    """Registered as ``intent_ml`` through the ``switchboard`` entry-point group."""

    name = "intent_ml"

    def __init__(self) -> None:
        self.holder = ModelHolder("intent", self.name)

    @hookimpl(trylast=True)
    def validate_config(self, settings: Any) -> list[str]:
        return validate_options(self.name, settings.plugin_options(self.name))

    @hookimpl(trylast=True)
    def configure(self, settings: Any, contributions: Any) -> None:
        configure_holder(self.holder, self.name, settings)

    @hookimpl(trylast=True)
    def categorise_intent(self, message: Message) -> list[IntentScore] | None:
        model = self.holder.get()
        if model is None or not message.normalised:
            return None
        proba = model.fast.predict_proba_one(message.normalised, prepared=True)
        return [
            IntentScore(intent=c, confidence=float(p), source=model.version)
            for c, p in sorted(zip(model.fast.classes, proba), key=lambda cp: -cp[1])
        ]

    @hookimpl(trylast=True)
    def report_health(self) -> HealthReport:
        return self.holder.health()

    @hookimpl(trylast=True)
    def model_versions(self) -> dict[str, str] | None:
        version = self.holder.version
        return {"intent": version} if version else None
