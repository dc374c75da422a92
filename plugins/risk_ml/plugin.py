"""Built-in plugin: risk_ml, a trained text classifier over the risk levels.

It complements the keyword rules (paraphrases, unseen wording); the core takes the highest level
across plugins, so either can raise the level and neither can lower the other's.

The promoted model comes from the registry (``settings.models_dir``, see
:mod:`switchboard.plugins.risk_ml.artefact`) and is verified against its model card before it
is loaded. A missing, tampered or mismatched model is logged loudly, this plugin abstains
(keyword-only risk detection) and ``report_health`` says ``degraded``; with
``[models] require = true`` start-up fails instead.

Levels come from the thresholds in the model card, on cumulative probabilities:
``immediate`` if p(immediate) >= thresholds.immediate, else ``high`` if p(high or above) >=
thresholds.high, else ``elevated`` if p(elevated or above) >= thresholds.elevated, else no signal.
The category is the model's category head's top answer (or ``other`` without one).

Options (``[plugins.risk_ml]``):

* ``model``: path of one model folder to serve instead of following the registry's ``CURRENT``
  (used by the safety gate and ``switchboard evaluate``; relative to the config file).
* ``reload_interval``: seconds between cheap checks of ``CURRENT`` for a newly promoted model
  (default 1; 0 checks on every message).
"""

from __future__ import annotations

import logging
from typing import Any, Mapping, Sequence

from switchboard import hookimpl
from switchboard.types import HealthReport, Message, RiskLevel, RiskSignal

from .artefact import LoadedModel
from .holder import BatchAnswers, ModelHolder

log = logging.getLogger("switchboard.plugins.risk_ml")

OPTIONS: dict[str, tuple[type | tuple[type, ...], Any]] = {
    "model": (str, ""),
    "reload_interval": ((int, float), 1.0),
}

_LEVEL_ORDER = ("immediate", "high", "elevated")


def validate_options(plugin: str, options: Mapping[str, Any]) -> list[str]:
    """Problems in ``[plugins.<plugin>]`` (shared by risk_ml and intent_ml)."""
    problems = []
    for key, value in options.items():
        if key not in OPTIONS:
            problems.append(f"plugins.{plugin}.{key}: unknown option (known: {', '.join(sorted(OPTIONS))})")
            continue
        types, _default = OPTIONS[key]
        if isinstance(value, bool) or not isinstance(value, types):
            problems.append(f"plugins.{plugin}.{key}: expected {'a string' if types is str else 'a number'}")
        elif key == "reload_interval" and value < 0:
            problems.append(f"plugins.{plugin}.reload_interval: must be 0 or more")
    return problems


def configure_holder(holder: ModelHolder, plugin: str, settings: Any) -> None:
    """Point ``holder`` at the deployment's registry (or pinned model) and load it."""
    opts = settings.plugin_options(plugin)
    pinned = opts.get("model") or ""
    holder.configure(
        settings.models_dir,
        pinned=settings.resolve_path(pinned) if pinned else None,
        reload_interval=float(opts.get("reload_interval", 1.0)),
    )
    if settings.get("models.require", False):
        holder.require()


class ModelPlugin:
    """What a model-serving plugin shares (risk_ml and intent_ml): options, loading through a
    :class:`ModelHolder` (verification, hot swap), batch answers, health and the version record.

    Subclasses set ``name`` (the plugin name), ``kind`` (the registry kind) and ``score_batch``
    (answers for many normalised texts in one vectorised pass).
    """

    name = ""
    kind = ""
    score_batch: Any = None

    def __init__(self) -> None:
        self.holder = ModelHolder(self.kind, self.name)
        self.batch = BatchAnswers()

    @hookimpl(trylast=True)
    def validate_config(self, settings: Any) -> list[str]:
        return validate_options(self.name, settings.plugin_options(self.name))

    @hookimpl(trylast=True)
    def configure(self, settings: Any, contributions: Any) -> None:
        configure_holder(self.holder, self.name, settings)

    @hookimpl(trylast=True)
    def prepare_batch(self, messages: Sequence[Message]) -> None:
        """Score every text of a batch in one pass (answers kept for the per-message hook)."""
        self.batch.prepare(self.holder.get(), messages, type(self).score_batch)

    @hookimpl(trylast=True)
    def report_health(self) -> HealthReport:
        return self.holder.health()

    @hookimpl(trylast=True)
    def model_versions(self) -> dict[str, str] | None:
        version = self.holder.version
        return {self.kind: version} if version else None


class RiskMLPlugin(ModelPlugin):
    """Registered as ``risk_ml`` through the ``switchboard`` entry-point group."""

    name = "risk_ml"
    kind = "risk"

    @staticmethod
    def score_batch(model: LoadedModel, texts: Sequence[str]) -> list[RiskSignal | None]:
        return signals_for(model, texts)

    @hookimpl(trylast=True)
    def assess_risk(self, message: Message) -> RiskSignal | None:
        model = self.holder.get()
        if model is None or not message.normalised:
            return None
        found, answer = self.batch.lookup(model, message.normalised)
        return answer if found else signal_for(model, message.normalised)


def risk_level_for(model: LoadedModel, proba: Any) -> tuple[RiskLevel, float]:
    """The level the card's thresholds give to one probability row, and its cumulative score."""
    p = dict(zip(model.fast.classes, (float(x) for x in proba)))
    thresholds = model.thresholds
    cumulative = 0.0
    for level in _LEVEL_ORDER:
        cumulative += p.get(level, 0.0)
        if level in p and cumulative >= float(thresholds.get(level, 0.5)):
            return RiskLevel(level), cumulative
    return RiskLevel.NONE, 1.0 - cumulative


def signal_for(model: LoadedModel, normalised: str) -> RiskSignal | None:
    """Score one normalised message; ``None`` below every threshold."""
    return _signal(model, model.fast.predict_all_one(normalised, prepared=True))


def signals_for(model: LoadedModel, texts: Sequence[str]) -> list[RiskSignal | None]:
    """:func:`signal_for` of many normalised texts, scored in one vectorised pass."""
    heads = model.fast.predict_batch(texts, prepared=True)
    levels, scores = risk_levels_for(model, heads[0])
    categories = model.fast.head_classes(1) if len(heads) > 1 else None
    top = heads[1].argmax(axis=1) if len(heads) > 1 else None
    p_imm = _p_immediate(model, heads[0]).tolist()  # Python floats, as float() of each element gives
    tops = top.tolist() if top is not None else None
    out: list[RiskSignal | None] = []
    for i, (level, score) in enumerate(zip(levels, scores.tolist())):
        category = "other" if tops is None or level is RiskLevel.NONE else categories[tops[i]]
        out.append(_make_signal(model, level, score, category, p_imm[i]))
    return out


def risk_levels_for(model: LoadedModel, proba: Any) -> tuple[list[RiskLevel], Any]:
    """:func:`risk_level_for` of every row of a probability matrix at once (the same float
    additions in the same order, so the same levels and scores)."""
    import numpy as np

    classes = model.fast.classes
    n = len(proba)
    cumulative = np.zeros(n)
    score = np.zeros(n)
    decided = np.zeros(n, dtype=bool)
    levels: list[RiskLevel] = [RiskLevel.NONE] * n
    for level in _LEVEL_ORDER:
        if level not in classes:
            continue  # adds 0.0 and can never be chosen
        cumulative = cumulative + proba[:, classes.index(level)]
        hit = ~decided & (cumulative >= float(model.thresholds.get(level, 0.5)))
        score[hit] = cumulative[hit]
        decided |= hit
        chosen = RiskLevel(level)
        for i in np.flatnonzero(hit):
            levels[i] = chosen
    score[~decided] = 1.0 - cumulative[~decided]
    return levels, score


def _signal(model: LoadedModel, heads: Sequence[Any]) -> RiskSignal | None:
    level, score = risk_level_for(model, heads[0])
    category = "other"
    if len(heads) > 1 and level is not RiskLevel.NONE:
        cats = model.fast.head_classes(1)
        category = cats[int(heads[1].argmax())]
    return _make_signal(model, level, score, category, float(_p_immediate(model, heads[0])))


def _p_immediate(model: LoadedModel, proba: Any) -> Any:
    """p(immediate) of one probability row, or of each row of a matrix (0 if the model has no
    such class)."""
    import numpy as np

    proba = np.asarray(proba)
    classes = model.fast.classes
    if "immediate" not in classes:
        return np.zeros(len(proba)) if proba.ndim == 2 else 0.0
    return proba[..., classes.index("immediate")]


def _make_signal(model: LoadedModel, level: RiskLevel, score: float, category: str, p_immediate: float) -> RiskSignal:
    """The model's signal. At level ``none`` it only carries ``p_immediate`` for the core's
    corroboration of keyword signals (the core drops it afterwards)."""
    if level is RiskLevel.NONE:
        return RiskSignal(level=level, category="none", reason="risk model: no risk found",
                          model_version=model.version, score=round(score, 4),
                          p_immediate=round(float(p_immediate), 4))
    return RiskSignal(
        level=level,
        category=category,
        reason=f"risk model: p({level.value} or above) = {score:.2f}",
        model_version=model.version,
        score=round(score, 4),
        p_immediate=round(float(p_immediate), 4),
    )

