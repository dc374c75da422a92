"""The plugin contract: one documented spec per hook.

Grammar (read the names as sentences):

* per-message, collect-all hooks (``assess_risk``, ``categorise_intent``, ``extract_slots``,
  ``decide_escalation``, ``find_guidance``) return a value or ``None`` to abstain; every plugin is
  asked and the core combines the answers;
* decisions that need one answer are ``firstresult=True`` (``select_queue``, ``is_queue_open``,
  ``next_opening``): the first non-``None`` answer wins, so a force plugin overrides the built-in
  ``trylast`` defaults simply by answering;
* ``register_…`` hooks contribute data files at start-up;
* observers are ``after_…`` / ``on_…``: their return value is ignored.

The core calls every hook with keyword arguments only, so a later version may add arguments
without breaking plugins (a hookimpl may accept fewer arguments than the spec offers).

Failure policy (what happens when an implementation raises; see ``switchboard.dispatch``):

* ``assess_risk``: the exception becomes a ``high`` risk signal of category ``plugin_failure``
  naming the plugin, so the chat goes to a human. The message is never dropped.
* ``categorise_intent``, ``extract_slots``, ``find_guidance``: that plugin's answer is treated as
  an abstention; the error is logged with the plugin name and reported to ``on_plugin_error``.
* ``decide_escalation``: treated as a vote to hand over (reason ``plugin_failure``).
* ``select_queue``: the configured fallback queue is used; ``is_queue_open`` raising counts as
  closed; ``next_opening`` raising counts as unknown.
* ``prepare_batch``: logged and ignored; every message is then answered on its own.
* ``configure``, ``validate_config``, ``register_…``: start-up fails with a one-line error naming
  the plugin, unless the plugin handles the problem itself and reports ``degraded`` health.
* observers: logged and ignored.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .config import Settings
    from .types import (
        Decision,
        EscalationContext,
        EscalationVote,
        Event,
        GuidancePassage,
        HealthReport,
        IntentScore,
        Message,
        QueueTarget,
        RiskSignal,
        RoutingContext,
        Slot,
    )

hookspec = pluggy.HookspecMarker("switchboard")


# --- start-up ---------------------------------------------------------------------------------


@hookspec
def configure(settings: Settings, contributions: Mapping[str, list[Path]]) -> None:
    """Prepare the plugin for a deployment: read its options, load rules, models or documents.

    :param settings: the validated deployment settings; a plugin's own options are
        ``settings.plugin_options("<plugin name>")``.
    :param contributions: what every plugin answered to the ``register_…`` hooks, gathered
        before ``configure`` runs: ``{"risk_rules": [...], "intent_rules": [...],
        "journeys": [...]}`` (lists of paths; force
        plugins' paths last, so they override built-in files with the same ids).
    :returns: ignored.

    Called once per plugin manager, after ``validate_config``. Collect-all. Raising stops
    start-up with a :class:`~switchboard.errors.PluginError`; a plugin that can still work in a
    reduced way (for example without its model) should catch the problem, log it loudly and
    report ``degraded`` from :func:`report_health` instead.

    versionadded: 0.1
    """


@hookspec
def validate_config(settings: Settings) -> list[str] | None:
    """Check the parts of the configuration this plugin owns.

    :param settings: the parsed settings (``settings.raw`` is the merged TOML + environment).
    :returns: a list of problems, each ``"<key>: <what is wrong>"`` naming the dotted key, or
        ``None`` / ``[]`` when everything is fine.

    Collect-all: every plugin's problems are reported together as one start-up error naming the
    config file.

    versionadded: 0.1
    """


@hookspec
def report_health() -> HealthReport | list[HealthReport] | None:
    """Report this plugin's health for ``/readyz``.

    :returns: one or more :class:`~switchboard.types.HealthReport` (``ok``, ``degraded`` or
        ``down``), or ``None`` when there is nothing to say.

    Collect-all. A ``degraded`` report makes the service report ``degraded`` (still serving).

    versionadded: 0.1
    """


@hookspec
def model_versions() -> dict[str, str] | None:
    """Name the versions of the models this plugin is serving right now.

    :returns: mapping of model kind (``"risk"``, ``"intent"``) to version, or ``None``.

    Collect-all. Every decision records these so it can be traced to the model that made it.

    versionadded: 0.1
    """


@hookspec
def register_intents() -> list[str] | None:
    """Add intent ids to the taxonomy (a force-specific route, say).

    :returns: a list of intent ids, or ``None``. Labels shown to visitors come from the config
        texts (``texts.<lang>.intents.<id>``).

    Collect-all; the core unions the answers with the default taxonomy.

    versionadded: 0.1
    """


@hookspec
def register_journeys() -> list[Path] | None:
    """Contribute journey definition files (TOML) or folders of them.

    :returns: paths, or ``None``. The core loads and validates every file at start-up; a later
        file for the same journey id replaces an earlier one, so a force plugin can override a
        default journey (force plugins are called before the ``trylast`` built-ins).

    Collect-all.

    versionadded: 0.1
    """


@hookspec
def register_risk_rules() -> list[Path] | None:
    """Contribute keyword-rule files (TOML) or folders of them to the keyword risk plugin.

    :returns: paths, or ``None``.

    Collect-all.

    versionadded: 0.1
    """


@hookspec
def register_intent_rules() -> list[Path] | None:
    """Contribute intent-rule files (TOML) or folders of them to the intent rules plugin.

    :returns: paths, or ``None``. A force rule with the same id as a built-in one replaces it.

    Collect-all.

    versionadded: 0.1
    """


# --- per message -------------------------------------------------------------------------------


@hookspec
def prepare_batch(messages: Sequence[Message]) -> None:
    """Get ready for many messages that are about to be dispatched one by one (batch triage).

    :param messages: the messages, in the order they will be dispatched (each one is later
        passed to the per-message hooks as it is here).
    :returns: ignored. An empty sequence means the batch is over: drop what was kept.

    Collect-all, and optional: ``switchboard triage`` calls it before each chunk of rows so a
    plugin can do its expensive work for all of them at once (the model plugins score every
    text in one vectorised pass and keep the answers for ``assess_risk`` and
    ``categorise_intent``). It must never change an answer: a message that was not prepared, or
    was prepared with a model that has since been swapped, is answered exactly as usual; the
    live chat never calls it. Raising is logged and ignored (each message is then handled on
    its own).

    versionadded: 0.1
    """


@hookspec
def assess_risk(message: Message) -> RiskSignal | list[RiskSignal] | None:
    """Look for risk in one visitor message.

    :param message: the message with its conversation context (``message.state``,
        ``message.history``, ``message.is_first``).
    :returns: zero or more :class:`~switchboard.types.RiskSignal`; ``None`` or ``[]`` means this
        plugin sees no risk.

    Collect-all. The core takes the highest level across all plugins ("either can raise the
    level", nothing can lower another plugin's level). An implementation that raises becomes a
    ``high`` signal of category ``plugin_failure``: the chat goes to a human.

    versionadded: 0.1
    """


@hookspec
def categorise_intent(message: Message) -> IntentScore | list[IntentScore] | None:
    """Say which non-emergency route the message needs.

    :param message: the visitor message.
    :returns: one or more :class:`~switchboard.types.IntentScore` (confidence 0..1), or
        ``None`` to abstain. The pseudo-intent ``out_of_scope`` means "not a police matter".

    Collect-all. The core keeps the highest confidence per intent across plugins; below the
    configured ``thresholds.intent_confidence`` the visitor is asked to choose a category.

    versionadded: 0.1
    """


@hookspec
def extract_slots(message: Message) -> list[Slot] | None:
    """Pull structured details out of free text (postcode, phone, email, date/time, vehicle
    registration, crime reference number, ...).

    :param message: the visitor message.
    :returns: a list of :class:`~switchboard.types.Slot`, or ``None``.

    Collect-all. For each slot name the answer of the first plugin in call order wins
    (force plugins before the ``trylast`` built-ins).

    versionadded: 0.1
    """


@hookspec
def decide_escalation(context: EscalationContext) -> EscalationVote | list[EscalationVote] | None:
    """Vote on whether this conversation should go to a human now.

    :param context: the message, the state after risk and intent were applied, the risk signals
        and extracted slots.
    :returns: one or more :class:`~switchboard.types.EscalationVote` (one per reason), or
        ``None`` to abstain. A vote with
        ``handover=False`` does not veto other plugins' handover votes.

    Collect-all: any plugin voting ``handover=True`` hands the chat over; the reasons of every
    such vote are recorded. Raising counts as a handover vote (reason ``plugin_failure``).

    versionadded: 0.1
    """


@hookspec(firstresult=True)
def select_queue(context: RoutingContext) -> QueueTarget | None:
    """Choose the operator queue for a handover.

    :param context: intent, risk level and categories, language, time, priority, and queues to
        exclude.
    :returns: a :class:`~switchboard.types.QueueTarget`, or ``None`` to let the next plugin
        decide.

    firstresult. The built-in queues plugin answers ``trylast`` from the routing rules in config,
    so a force plugin that answers wins. If every plugin abstains or one raises, the core uses
    ``routing.fallback_queue``.

    versionadded: 0.1
    """


@hookspec(firstresult=True)
def is_queue_open(queue: str, at: datetime) -> bool | None:
    """Is ``queue`` staffed at the aware datetime ``at``?

    :param queue: the queue id (as in ``[queues.<id>]``).
    :param at: an aware datetime (any zone; schedules are in the force's time zone).
    :returns: ``True`` / ``False``, or ``None`` when this plugin has no schedule for the queue.

    firstresult. ``None`` from every plugin means the queue has no schedule and counts as open.
    Raising counts as closed.

    versionadded: 0.1
    """


@hookspec(firstresult=True)
def next_opening(queue: str, at: datetime) -> datetime | None:
    """When does ``queue`` next open at or after ``at`` (aware datetimes)?

    :param queue: the queue id.
    :param at: an aware datetime to search from.
    :returns: the aware datetime of the next opening (``at`` itself if open now), or ``None``
        when unknown.

    firstresult.

    versionadded: 0.1
    """


@hookspec
def find_guidance(
    query: str, language: str, intent: str | None, limit: int
) -> list[GuidancePassage] | None:
    """Find approved force guidance that answers ``query``.

    :param query: the visitor's words.
    :param language: ``"en"`` or ``"cy"``.
    :param intent: the current intent, if known (a plugin may boost documents tagged with it).
    :param limit: the most passages wanted.
    :returns: passages with scores (only documents approved and within their review date), or
        ``None``.

    Collect-all; the core merges by score and answers only above
    ``thresholds.guidance_confidence``, otherwise it says it does not know and offers a person.

    versionadded: 0.1
    """


# --- observers ---------------------------------------------------------------------------------


@hookspec
def after_decision(decision: Decision, message: Message) -> None:
    """Observe every decision after it is made (and before it is stored).

    :param decision: the immutable :class:`~switchboard.types.Decision`.
    :param message: the visitor message it decided.
    :returns: ignored. Raising is logged and ignored.

    versionadded: 0.1
    """


@hookspec
def on_event(event: Event) -> None:
    """Observe every structured event (conversation started, message, risk, handover, claim,
    close, ...). The same events are stored for reports.

    :param event: the :class:`~switchboard.types.Event` (type, force, time, conversation,
        data, schema_version).
    :returns: ignored. Raising is logged and ignored.

    versionadded: 0.1
    """


@hookspec
def on_plugin_error(plugin: str, hook: str, error: BaseException) -> None:
    """Observe a plugin failure that the failure policy absorbed.

    :param plugin: the registered name of the plugin that raised.
    :param hook: the hook it raised in.
    :param error: the exception.
    :returns: ignored.

    versionadded: 0.1
    """


def spec_names() -> list[str]:
    """All hook names defined here (used by meta-tests and ``switchboard plugins``)."""
    return sorted(
        name
        for name, obj in globals().items()
        if callable(obj) and hasattr(obj, "switchboard_spec")
    )

