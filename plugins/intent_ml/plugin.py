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

from typing import Any, Sequence

from switchboard import hookimpl
from switchboard.plugins.risk_ml.artefact import LoadedModel
from switchboard.plugins.risk_ml.holder import BatchAnswers, ModelHolder
from switchboard.plugins.risk_ml.plugin import configure_holder, validate_options
from switchboard.types import HealthReport, IntentScore, Message


class IntentMLPlugin:
    """Registered as ``intent_ml`` through the ``switchboard`` entry-point group."""

    name = "intent_ml"

    def __init__(self) -> None:
        self.holder = ModelHolder("intent", self.name)
        self.batch = BatchAnswers()

    @hookimpl(trylast=True)
    def validate_config(self, settings: Any) -> list[str]:
        return validate_options(self.name, settings.plugin_options(self.name))

    @hookimpl(trylast=True)
    def configure(self, settings: Any, contributions: Any) -> None:
        configure_holder(self.holder, self.name, settings)

    @hookimpl(trylast=True)
    def prepare_batch(self, messages: Sequence[Message]) -> None:
        """Score every text of a batch in one pass (answers kept for :meth:`categorise_intent`)."""
        self.batch.prepare(self.holder.get(), messages, scores_for)

    @hookimpl(trylast=True)
    def categorise_intent(self, message: Message) -> list[IntentScore] | None:
        model = self.holder.get()
        if model is None or not message.normalised:
            return None
        found, answer = self.batch.lookup(model, message.normalised)
        if found:
            return list(answer)
        return _scores(model, model.fast.predict_proba_one(message.normalised, prepared=True))

    @hookimpl(trylast=True)
    def report_health(self) -> HealthReport:
        return self.holder.health()

    @hookimpl(trylast=True)
    def model_versions(self) -> dict[str, str] | None:
        version = self.holder.version
        return {"intent": version} if version else None


def scores_for(model: LoadedModel, texts: Sequence[str]) -> list[tuple[IntentScore, ...]]:
    """The intent scores of many normalised texts, scored in one vectorised pass."""
    import numpy as np

    proba = model.fast.predict_batch(texts, prepared=True)[0]
    # most likely first; a stable sort keeps ties in class order, as sorted() does
    order = np.argsort(-proba, axis=1, kind="stable")
    classes = model.fast.classes
    version = model.version
    return [
        tuple(IntentScore(intent=classes[j], confidence=p, source=version) for j, p in zip(o.tolist(), row[o].tolist()))
        for o, row in zip(order, proba)
    ]


def _scores(model: LoadedModel, proba: Any) -> list[IntentScore]:
    return [
        IntentScore(intent=c, confidence=float(p), source=model.version)
        for c, p in sorted(zip(model.fast.classes, proba), key=lambda cp: -cp[1])
    ]
