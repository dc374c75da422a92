"""Built-in plugin: intent_ml, a trained text classifier over the intent taxonomy.

Answers ``categorise_intent`` with one :class:`~switchboard.types.IntentScore` per intent the
model knows (probabilities summing to 1, including ``out_of_scope``); the core keeps the highest
confidence per intent across plugins and asks the visitor to choose below
``thresholds.intent_confidence``. ``source`` is the model version.

Loading, verification, hot swap and health work exactly as in ``risk_ml`` (same registry, kind
``intent``); a missing model makes this plugin abstain and report ``degraded``. Its scores carry
the plugin name ``intent_ml`` already (so the core need not copy each one to stamp it).

Options (``[plugins.intent_ml]``): ``model`` (pin one model folder) and ``reload_interval``
(seconds between checks of the registry's ``CURRENT``; default 1).
"""

from __future__ import annotations

from typing import Any, Sequence

from switchboard import hookimpl
from switchboard.plugins.risk_ml.artefact import LoadedModel
from switchboard.plugins.risk_ml.plugin import ModelPlugin
from switchboard.types import IntentScore, Message


class IntentMLPlugin(ModelPlugin):
    """Registered as ``intent_ml`` through the ``switchboard`` entry-point group."""

    name = "intent_ml"
    kind = "intent"

    @staticmethod
    def score_batch(model: LoadedModel, texts: Sequence[str]) -> list[tuple[IntentScore, ...]]:
        return scores_for(model, texts)

    @hookimpl(trylast=True)
    def categorise_intent(self, message: Message) -> list[IntentScore] | None:
        model = self.holder.get()
        if model is None or not message.normalised:
            return None
        found, answer = self.batch.lookup(model, message.normalised)
        if found:
            return list(answer)
        return _scores(model, model.fast.predict_proba_one(message.normalised, prepared=True))


def scores_for(model: LoadedModel, texts: Sequence[str]) -> list[tuple[IntentScore, ...]]:
    """The intent scores of many normalised texts, scored in one vectorised pass."""
    import numpy as np

    proba = model.fast.predict_batch(texts, prepared=True)[0]
    # most likely first; a stable sort keeps ties in class order, as sorted() does
    order = np.argsort(-proba, axis=1, kind="stable")
    ranked = np.take_along_axis(proba, order, axis=1)
    classes = model.fast.classes
    version = model.version
    plugin = IntentMLPlugin.name
    return [
        tuple([IntentScore(classes[j], p, version, plugin) for j, p in zip(o, row)])
        for o, row in zip(order.tolist(), ranked.tolist())
    ]


def _scores(model: LoadedModel, proba: Any) -> list[IntentScore]:
    return [
        IntentScore(intent=c, confidence=float(p), source=model.version, plugin=IntentMLPlugin.name)
        for c, p in sorted(zip(model.fast.classes, proba), key=lambda cp: -cp[1])
    ]
