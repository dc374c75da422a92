"""The dispatch core: a typed facade over the hooks and the one code path for a visitor turn.

Nobody else touches ``pm.hook``. :meth:`Dispatcher.dispatch` takes one visitor message (with its
conversation state) and returns an immutable :class:`~switchboard.types.Decision`: risk level and
signals with reasons, emergency, handover and why, intent, queue target, the bot's replies and
the conversation's next state. It does no I/O: the conversation service stores and emits.

The live chat and the batch ``switchboard triage`` both call :meth:`Dispatcher.dispatch`, so a
first message is decided the same way in both.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from .config import Settings
from .errors import PluginError
from .journeys import JourneyBook, StepResult
from .language import detect_language
from .plugin_manager import SwitchboardPluginManager
from .text import clean, normalise
from .types import (
    DEFAULT_INTENTS,
    OUT_OF_SCOPE,
    ConversationState,
    Decision,
    EscalationContext,
    EscalationVote,
    Event,
    GuidancePassage,
    HealthReport,
    IntentResult,
    IntentScore,
    Message,
    Option,
    QueueTarget,
    Reply,
    RiskLevel,
    RiskSignal,
    RoutingContext,
    Slot,
    Status,
    plain_fields,
    replace_fields,
)
from .types import _PLAIN as _PLAIN_FIELDS  # plain_fields' answers, read directly on the hot path

log = logging.getLogger("switchboard.dispatch")

#: Quick-reply ids the core understands in every state.
CHOICE_HUMAN = "human"
CHOICE_RESTART = "restart"
CHOICE_LANG_PREFIX = "lang:"
CHOICE_INTENT_PREFIX = "intent:"

_PER_MESSAGE_HOOKS = ("assess_risk", "categorise_intent", "extract_slots", "decide_escalation", "find_guidance")
#: Also asked for every decision, so collected once like the per-message hooks.
_PER_DECISION_HOOKS = ("model_versions",)
#: Decisions asked during a handover: ``firstresult`` hooks, called through :meth:`_first`.
_FIRST_RESULT_HOOKS = ("select_queue", "is_queue_open", "next_opening")


@dataclass(frozen=True)
class _Impl:
    plugin: str
    function: Callable[..., Any]
    argnames: tuple[str, ...]


def _corroborated(signal: RiskSignal, p_immediate: float, floor: float) -> RiskSignal:
    """``signal`` as it stands, or, for a keyword emergency whose best model ``p_immediate`` is below
    its ``floor``, the same signal handled as ``high``."""
    if signal.level is not RiskLevel.IMMEDIATE or not signal.rule_id or p_immediate >= floor:
        return signal
    why = ("the message says the danger is now, but the risk model is nearly sure it is not an emergency"
           if signal.context else "no sign the danger is now and the risk model disagrees")
    return dataclasses.replace(
        signal, level=RiskLevel.HIGH, context="uncorroborated",
        reason=f"{signal.reason} ({why}: p(immediate) {p_immediate:.2f} < {floor:g}; a person checks)",
    )


class Dispatcher:
    """Typed facade over the plugin manager, built once per app/CLI run.

    :param pm: a manager from :func:`switchboard.plugins.make_plugin_manager`.
    :param settings: validated settings.
    :param configure: call the ``validate_config`` and ``configure`` hooks now (default True).
    """

    def __init__(self, pm: SwitchboardPluginManager, settings: Settings, configure: bool = True) -> None:
        self.pm = pm
        self.settings = settings
        self.tz = ZoneInfo(settings.timezone)
        self._languages = tuple(settings.languages)
        self._corroboration_floor = float(settings.section("thresholds")["keyword_corroboration"])
        self._corroboration_floor_now = float(settings.section("thresholds")["keyword_corroboration_now"])
        self._impls: dict[str, list[_Impl]] = {}
        self._wrapped: set[str] = set()
        for name in (*_PER_MESSAGE_HOOKS, *_PER_DECISION_HOOKS, *_FIRST_RESULT_HOOKS):
            self._impls[name] = self._collect(name)
        #: the last handover clock and its ISO text (a batch of messages shares one clock)
        self._queued_at: tuple[datetime | None, str] = (None, "")
        #: intent quick-reply buttons per language (built from the configured texts once)
        self._options: dict[str, tuple[Option, ...]] = {}
        #: paths contributed through the ``register_…`` hooks (built-ins first, force plugins last)
        self.contributions: dict[str, list[Any]] = {
            "risk_rules": self._register_paths("register_risk_rules"),
            "intent_rules": self._register_paths("register_intent_rules"),
            "journeys": self._register_paths("register_journeys"),
        }
        if configure:
            self._start()
        self.intents: tuple[str, ...] = self._register_intents()
        self.journeys = JourneyBook.load(self.contributions["journeys"], settings, self.intents)
        #: How many chats wait in each queue now, asked only when a chat is handed over. The
        #: conversation service sets it from the store; without it (batch triage) queues count
        #: as empty.
        self.queue_waiting: Callable[[], Mapping[str, int]] | None = None

    # -- start-up ---------------------------------------------------------------------------------
    def _collect(self, hook_name: str) -> list[_Impl]:
        hook = getattr(self.pm.hook, hook_name)
        impls = []
        for impl in reversed(hook.get_hookimpls()):  # pluggy's call order
            if impl.hookwrapper or impl.wrapper:
                self._wrapped.add(hook_name)
                continue
            impls.append(_Impl(impl.plugin_name, impl.function, tuple(impl.argnames)))
        return impls

    def _start(self) -> None:
        problems: list[str] = []
        for plugin, result in self._call_strict("validate_config", settings=self.settings):
            for p in result or []:
                problems.append(f"{p} (plugin {plugin})")
        if problems:
            from .errors import ConfigError

            raise ConfigError(self.settings.path, None, "; ".join(problems))
        self._call_strict("configure", settings=self.settings, contributions=self.contributions)

    def _call_strict(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a start-up hook; a raising plugin stops start-up with a PluginError."""
        out = []
        for impl in self._collect(hook_name):
            try:
                out.append((impl.plugin, impl.function(*[kwargs[a] for a in impl.argnames])))
            except PluginError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise PluginError(impl.plugin, f"{hook_name} failed: {type(exc).__name__}: {exc}") from exc
        return out

    def _register_intents(self) -> tuple[str, ...]:
        intents = list(DEFAULT_INTENTS)
        for _plugin, result in self._call_strict("register_intents"):
            for intent in result or []:
                if intent not in intents:
                    intents.append(intent)
        return tuple(intents)

    def _register_paths(self, hook_name: str) -> list[Any]:
        paths: list[Any] = []
        # force plugins are called before the trylast built-ins; later files override earlier
        # ones, so reverse to let force plugins win.
        for _plugin, result in reversed(self._call_strict(hook_name)):
            paths.extend(result or [])
        return paths

    # -- isolated calls ---------------------------------------------------------------------------
    def _call_each(self, hook_name: str, errors: list[str], **kwargs: Any) -> list[tuple[str, Any]]:
        """Call each implementation separately so one failure is attributed and contained."""
        if hook_name in self._wrapped:
            try:
                results = getattr(self.pm.hook, hook_name)(**kwargs)
            except Exception as exc:  # noqa: BLE001
                self._plugin_failed("<wrapped>", hook_name, exc, errors)
                return [("<wrapped>", _Failure(exc))]
            return [("<hook>", r) for r in results]
        out = []
        impls = self._impls[hook_name] if hook_name in self._impls else self._collect(hook_name)
        get = kwargs.__getitem__
        for impl in impls:
            try:
                result = impl.function(*map(get, impl.argnames))
            except Exception as exc:  # noqa: BLE001 - the failure policy handles every exception
                self._plugin_failed(impl.plugin, hook_name, exc, errors)
                out.append((impl.plugin, _Failure(exc)))
                continue
            if result is not None:
                out.append((impl.plugin, result))
        return out

    def _first(self, hook_name: str, **kwargs: Any) -> Any:
        """A ``firstresult`` hook's answer: the first implementation (in pluggy's call order) that
        does not return ``None``, or ``None``. An exception propagates, as from pluggy. Hooks with
        wrappers, and a traced manager, go through pluggy itself."""
        if hook_name in self._wrapped or getattr(self.pm, "traced", False):
            return getattr(self.pm.hook, hook_name)(**kwargs)
        get = kwargs.__getitem__
        for impl in self._impls[hook_name]:
            result = impl.function(*map(get, impl.argnames))
            if result is not None:
                return result
        return None

    def _plugin_failed(self, plugin: str, hook_name: str, exc: BaseException, errors: list[str]) -> None:
        log.error("plugin %s raised in %s: %s: %s", plugin, hook_name, type(exc).__name__, exc)
        errors.append(f"{plugin}.{hook_name}: {type(exc).__name__}")
        try:
            self.pm.hook.on_plugin_error(plugin=plugin, hook=hook_name, error=exc)
        except Exception:  # noqa: BLE001
            log.exception("on_plugin_error observer failed")

    # -- typed hook facade ------------------------------------------------------------------------
    def assess_risk(self, *, message: Message, errors: list[str] | None = None) -> tuple[RiskSignal, ...]:
        errors = [] if errors is None else errors
        signals: list[RiskSignal] = []
        for plugin, result in self._call_each("assess_risk", errors, message=message):
            if isinstance(result, _Failure):
                signals.append(
                    RiskSignal(
                        level=RiskLevel.HIGH,
                        category="plugin_failure",
                        reason=f"risk plugin {plugin} failed ({type(result.error).__name__}); a person must check this chat",
                        plugin=plugin,
                    )
                )
                continue
            for sig in _as_list(result):
                signals.append(_with_plugin(sig, plugin))
        signals = self._corroborate(signals)
        signals.sort(key=lambda s: (-s.level.rank, -(s.score or 0.0)))
        return tuple(signals)

    def _corroborate(self, signals: list[RiskSignal]) -> list[RiskSignal]:
        """Check keyword emergencies against the risk model, then drop ``none`` signals.

        Keyword rules read words, not situations, and are the main source of false 999 diversions
        on wording they were not written for ("my son's got a gun hidden at his dad's", "we're
        rehearsing a play with a stabbing scene right now"). When a model reports ``p_immediate``
        and even the highest is below the floor, a keyword rule's ``immediate`` signal becomes
        ``high``: the chat goes to a person with priority instead of to 999. The floor is
        ``thresholds.keyword_corroboration`` when the message says nothing about *when* (context
        ``""``) and the lower ``thresholds.keyword_corroboration_now`` when it has a now cue (the
        model must be nearly sure). Any other plugin's signal, a missing or failed model, or a floor
        of 0 leave every level as it was."""
        bare_floor, now_floor = self._corroboration_floor, self._corroboration_floor_now
        p_imm = [s.p_immediate for s in signals if s.p_immediate is not None]
        if p_imm and max(p_imm) < max(bare_floor, now_floor):
            top = max(p_imm)
            signals = [_corroborated(s, top, now_floor if s.context else bare_floor) for s in signals]
        return [s for s in signals if s.level is not RiskLevel.NONE]

    def categorise_intent(self, *, message: Message, errors: list[str] | None = None) -> IntentResult:
        errors = [] if errors is None else errors
        best: dict[str, IntentScore] = {}
        for plugin, result in self._call_each("categorise_intent", errors, message=message):
            if isinstance(result, _Failure):
                continue
            for score in result if isinstance(result, (list, tuple)) else (result,):
                if score is None:
                    continue
                if not score.plugin:
                    score = _with_plugin(score, plugin)
                current = best.get(score.intent)
                if current is None or score.confidence > current.confidence:
                    best[score.intent] = score
        ranked = tuple(sorted(best.values(), key=lambda s: -s.confidence))
        if not ranked:
            return IntentResult(intent=None, confidence=0.0, candidates=(), clarify=True)
        top = ranked[0]
        second = ranked[1].confidence if len(ranked) > 1 else 0.0
        th = self.settings.section("thresholds")
        clarify = top.confidence < th["intent_confidence"] or (top.confidence - second) < th["intent_margin"]
        return IntentResult(intent=top.intent, confidence=top.confidence, candidates=ranked, clarify=clarify)

    def extract_slots(self, *, message: Message, errors: list[str] | None = None) -> dict[str, Slot]:
        errors = [] if errors is None else errors
        slots: dict[str, Slot] = {}
        for plugin, result in self._call_each("extract_slots", errors, message=message):
            if isinstance(result, _Failure):
                continue
            for slot in _as_list(result):
                slots.setdefault(slot.name, slot if slot.plugin else _with_plugin(slot, plugin))
        return slots

    def decide_escalation(self, *, context: EscalationContext, errors: list[str] | None = None) -> list[EscalationVote]:
        errors = [] if errors is None else errors
        votes = []
        for plugin, result in self._call_each("decide_escalation", errors, context=context):
            if isinstance(result, _Failure):
                votes.append(EscalationVote(True, "plugin_failure", f"{plugin} failed", priority=1, plugin=plugin))
                continue
            for vote in _as_list(result):
                votes.append(vote if vote.plugin else _with_plugin(vote, plugin))
        return votes

    def find_guidance(
        self, *, query: str, language: str, intent: str | None, limit: int = 3, errors: list[str] | None = None
    ) -> list[GuidancePassage]:
        errors = [] if errors is None else errors
        passages: list[GuidancePassage] = []
        for plugin, result in self._call_each(
            "find_guidance", errors, query=query, language=language, intent=intent, limit=limit
        ):
            if isinstance(result, _Failure):
                continue
            passages.extend(p if p.plugin else _with_plugin(p, plugin) for p in _as_list(result))
        passages.sort(key=lambda p: -p.score)
        return passages[:limit]

    def select_queue(self, *, context: RoutingContext) -> QueueTarget:
        fallback = str(self.settings.get("routing.fallback_queue", "") or "contact_centre")
        try:
            target = self._first("select_queue", context=context)
        except Exception as exc:  # noqa: BLE001
            self._plugin_failed("select_queue", "select_queue", exc, [])
            target = None
        if target is None:
            target = QueueTarget(queue=fallback, name=fallback, reason="fallback", plugin="core")
        return target

    def is_queue_open(self, *, queue: str, at: datetime) -> bool:
        try:
            result = self._first("is_queue_open", queue=queue, at=at)
        except Exception as exc:  # noqa: BLE001
            self._plugin_failed("is_queue_open", "is_queue_open", exc, [])
            return False
        return True if result is None else bool(result)

    def next_opening(self, *, queue: str, at: datetime) -> datetime | None:
        try:
            return self._first("next_opening", queue=queue, at=at)
        except Exception as exc:  # noqa: BLE001
            self._plugin_failed("next_opening", "next_opening", exc, [])
            return None

    def health(self) -> list[HealthReport]:
        reports: list[HealthReport] = []
        errors: list[str] = []
        for plugin, result in self._call_each("report_health", errors):
            if isinstance(result, _Failure):
                reports.append(HealthReport(plugin, "degraded", "health check failed"))
                continue
            reports.extend(_as_list(result))
        return reports

    def model_versions(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for _plugin, result in self._call_each("model_versions", []):
            if isinstance(result, dict):
                out.update(result)
        return out

    def prepare_batch(self, *, messages: Sequence[Message]) -> None:
        """Let plugins do their work for many messages at once before they are dispatched one
        by one (batch triage). Never changes a decision; a raising plugin is logged and ignored.
        An empty ``messages`` ends the batch (plugins drop what they kept)."""
        self._observe("prepare_batch", messages=messages)

    def after_decision(self, *, decision: Decision, message: Message) -> None:
        self._observe("after_decision", decision=decision, message=message)

    def emit(self, event: Event) -> None:
        self._observe("on_event", event=event)

    def _observe(self, hook_name: str, **kwargs: Any) -> None:
        for impl in self._collect(hook_name):
            try:
                impl.function(*[kwargs[a] for a in impl.argnames])
            except Exception as exc:  # noqa: BLE001
                self._plugin_failed(impl.plugin, hook_name, exc, [])

    # -- building messages ------------------------------------------------------------------------
    def make_message(
        self,
        text: str,
        *,
        state: ConversationState | None = None,
        conversation_id: str | None = None,
        choice: str | None = None,
        history: Sequence[str] = (),
        received_at: datetime | None = None,
    ) -> Message:
        state = state or ConversationState()
        text = clean(text or "")
        return Message(
            text=text,
            normalised=normalise(text),
            force=self.settings.force_id,
            conversation_id=conversation_id,
            turn=state.turn + 1,
            is_first=state.turn == 0,
            language=state.language,
            choice=choice,
            history=tuple(history),
            state=state,
            received_at=received_at or datetime.now(timezone.utc),
        )

    # -- the one code path ------------------------------------------------------------------------
    def dispatch(self, message: Message) -> Decision:
        """Decide one visitor turn. Pure: no storage, no events (see ``ConversationService``)."""
        timed = log.isEnabledFor(logging.DEBUG)
        started = time.perf_counter() if timed else 0.0
        errors: list[str] = []
        state = message.state
        at = message.received_at or datetime.now(timezone.utc)
        language = self._language_for(message)
        if language != message.language:
            message = _replace(message, language=language)

        signals = self.assess_risk(message=message, errors=errors) if message.text else ()
        level = signals[0].level if signals else RiskLevel.NONE  # highest first (assess_risk sorts)
        categories = tuple(dict.fromkeys(s.category for s in signals if s.level >= RiskLevel.HIGH))
        slots = self.extract_slots(message=message, errors=errors) if message.text else {}

        merged_level = max(level, state.risk_level)
        state = _replace(state, 
            turn=message.turn,
            language=language,
            risk_level=merged_level,
            risk_categories=tuple(dict.fromkeys(state.risk_categories + categories)),
            slots={**state.slots, **{k: s.value for k, s in slots.items() if k not in state.slots}},
        )
        replies: list[Reply] = []
        intent: IntentResult | None = None
        handover_reasons: list[str] = []
        priority = state.priority
        lang_changed = language != message.state.language and message.turn > 1

        if lang_changed:
            replies.append(Reply(self.settings.text("language_switched", language), role="system", kind="notice"))

        if level is RiskLevel.IMMEDIATE:
            replies.extend(self._emergency_replies(signals, language))
            state = _replace(state, emergency=True)
            handover_reasons.append("risk_immediate")
            priority = max(priority, 3)
            intent, state = self._note_intent(message, state, errors)
        elif state.status in (Status.QUEUED, Status.WITH_OPERATOR):
            # The bot is silent after a handover; only risk is still checked (above) and raised.
            if level is RiskLevel.HIGH and "risk_high" not in state.handover_reasons:
                handover_reasons.append("risk_high")
                priority = max(priority, 2)
        elif state.status is Status.CLOSED:
            replies.append(Reply(self.settings.text("closed", language), role="system", kind="notice"))
        elif level is RiskLevel.HIGH:
            handover_reasons.append("risk_high")
            priority = max(priority, 2)
            intent, state = self._note_intent(message, state, errors)
        else:
            state, intent, turn_replies, step_signals = self._bot_turn(message, state, slots, errors)
            if step_signals:
                # A journey answer can itself mean danger ("is anyone in danger right now?" "yes"):
                # it raises the level exactly as a risky message would.
                signals = tuple(sorted(signals + step_signals, key=lambda s: (-s.level.rank, -(s.score or 0.0))))
                raised = max(s.level for s in step_signals)
                if raised > level:
                    level = raised
                    state = _replace(state, risk_level=max(level, state.risk_level))
                    if level is RiskLevel.IMMEDIATE:
                        turn_replies = self._emergency_replies(step_signals, language) + list(turn_replies)
                        state = _replace(state, emergency=True)
                        handover_reasons.append("risk_immediate")
                        priority = max(priority, 3)
                    elif level is RiskLevel.HIGH:
                        handover_reasons.append("risk_high")
                        priority = max(priority, 2)
            replies.extend(turn_replies)

        if state.status is Status.BOT or (handover_reasons and state.status is not Status.CLOSED):
            context = EscalationContext(
                message=message, state=state, risk_level=level, signals=signals, intent=intent, slots=slots
            )
            for vote in self.decide_escalation(context=context, errors=errors):
                if vote.handover and vote.reason not in handover_reasons:
                    handover_reasons.append(vote.reason)
                    priority = max(priority, vote.priority)

        queue: QueueTarget | None = None
        new_reasons = [r for r in handover_reasons if r not in state.handover_reasons]
        if new_reasons and state.status is not Status.CLOSED:
            queue, state, handover_replies = self._handover(
                message, state, level, handover_reasons, priority, at, language
            )
            if level is not RiskLevel.IMMEDIATE:
                replies.extend(handover_replies)
            elif queue is not None:
                replies.extend(r for r in handover_replies if r.kind == "handover")

        decision = Decision(
            conversation_id=message.conversation_id,
            turn=message.turn,
            risk_level=level,
            signals=signals,
            emergency=level is RiskLevel.IMMEDIATE,
            handover=bool(new_reasons) or state.handover,
            handover_reasons=tuple(handover_reasons),
            intent=intent,
            slots=slots,
            queue=queue,
            replies=tuple(replies),
            state=state,
            language=language,
            model_versions=self.model_versions(),
            plugin_errors=tuple(errors),
        )
        if timed:
            log.debug("dispatched turn %s in %.2f ms", message.turn, (time.perf_counter() - started) * 1000)
        return decision

    # -- pieces of a turn -------------------------------------------------------------------------
    def _language_for(self, message: Message) -> str:
        langs = self._languages
        if message.choice and message.choice.startswith(CHOICE_LANG_PREFIX):
            wanted = message.choice[len(CHOICE_LANG_PREFIX):]
            return wanted if wanted in langs else message.language
        # Writing in Welsh switches to Welsh; switching back is the visitor's choice (lang:en).
        if "cy" in langs and message.language != "cy" and message.text and detect_language(message.text) == "cy":
            return "cy"
        return message.language

    def _emergency_replies(self, signals: Iterable[RiskSignal], language: str) -> list[Reply]:
        replies = [Reply(self.settings.text("emergency", language), role="bot", kind="emergency")]
        if any(s.category == "self_harm" for s in signals):
            replies.append(Reply(self.settings.text("emergency_self_harm", language), kind="emergency"))
        return replies

    def _bot_turn(
        self, message: Message, state: ConversationState, slots: dict[str, Slot], errors: list[str]
    ) -> tuple[ConversationState, IntentResult | None, list[Reply], tuple[RiskSignal, ...]]:
        choice = message.choice or ""
        lang = state.language
        if choice == CHOICE_HUMAN:
            return _replace(state, asked_for_human=True), None, [], ()
        if choice.startswith(CHOICE_LANG_PREFIX):
            if state.journey:
                return state, None, [], ()
            return state, None, [self._greeting(lang)], ()
        if choice == CHOICE_RESTART:
            state = _replace(state, journey=None, step=None, awaiting=None, intent=None, outcome=None)
            return state, None, [self._clarify(lang)], ()

        guidance = self._guidance_finder(errors)
        if state.journey and not state.outcome:
            result = self.journeys.advance(state=state, message=message, slots=slots, guidance=guidance)
            return self._after_step(state, result), None, list(result.replies), self._step_signals(result)

        chosen: str | None = None
        if choice.startswith(CHOICE_INTENT_PREFIX):
            chosen = choice[len(CHOICE_INTENT_PREFIX):]
            if chosen not in self.intents:
                chosen = None
        if chosen:
            intent = IntentResult(intent=chosen, confidence=1.0, candidates=(IntentScore(chosen, 1.0, "visitor_choice", "core"),))
        elif message.text:
            intent = self.categorise_intent(message=message, errors=errors)
        else:
            return _replace(state, misunderstood=state.misunderstood + 1), None, [self._clarify(lang)], ()

        if intent.intent == OUT_OF_SCOPE and not intent.clarify:
            state = _replace(state, misunderstood=0, outcome=None, intent=None)
            return state, intent, [
                Reply(self.settings.text("out_of_scope", lang), kind="out_of_scope", options=self._intent_options(lang))
            ], ()
        if intent.clarify or intent.intent is None:
            state = _replace(state, 
                awaiting="intent_choice",
                misunderstood=state.misunderstood + 1,
                no_progress=state.no_progress + 1,
            )
            return state, intent, [self._clarify(lang)], ()

        state = _replace(state, intent=intent.intent, intent_confidence=intent.confidence, awaiting=None, misunderstood=0)
        journey = self.journeys.for_intent(intent.intent)
        if journey is None:
            # No journey for this intent: a person takes it.
            return _replace(state, outcome="handover"), intent, [], ()
        result = self.journeys.start(journey.id, state=state, message=message, slots=slots, guidance=guidance)
        return self._after_step(state, result), intent, list(result.replies), self._step_signals(result)

    def _note_intent(
        self, message: Message, state: ConversationState, errors: list[str]
    ) -> tuple[IntentResult | None, ConversationState]:
        """Categorise a message that goes straight to a person (risk), without starting a
        journey: the intent still routes the chat to the right queue and fills the card."""
        if state.intent or not message.text:
            return None, state
        intent = self.categorise_intent(message=message, errors=errors)
        if intent.intent and not intent.clarify and intent.intent != OUT_OF_SCOPE:
            state = _replace(state, intent=intent.intent, intent_confidence=intent.confidence)
        return intent, state

    def _waiting_counts(self) -> Mapping[str, int]:
        if self.queue_waiting is None:
            return {}
        try:
            return dict(self.queue_waiting())
        except Exception:  # noqa: BLE001 - a count we cannot get must not stop a handover
            log.exception("could not count waiting chats; routing as if queues were empty")
            return {}

    def _step_signals(self, result: StepResult) -> tuple[RiskSignal, ...]:
        if not result.risk or not result.handover:
            return ()
        state = result.state
        return (
            RiskSignal(
                level=RiskLevel(result.risk),
                category="other",
                reason=f"journey answer: {result.handover.replace('_', ' ')}",
                rule_id=f"journey:{state.journey}:{state.step}",
                plugin="journeys",
            ),
        )

    def _after_step(self, before: ConversationState, result: StepResult) -> ConversationState:
        state = result.state
        state = _replace(state, 
            misunderstood=0 if result.understood else before.misunderstood + 1,
            no_progress=0 if result.progressed else before.no_progress + 1,
        )
        if result.handover:
            state = _replace(state, outcome="handover", journey_handover=result.handover)
        return state

    def _guidance_finder(self, errors: list[str]) -> Callable[[str, str, str | None], list[GuidancePassage]]:
        threshold = float(self.settings.section("thresholds")["guidance_confidence"])

        def find(query: str, language: str, intent: str | None) -> list[GuidancePassage]:
            passages = self.find_guidance(query=query, language=language, intent=intent, limit=3, errors=errors)
            return [p for p in passages if p.score >= threshold]

        return find

    def _greeting(self, lang: str) -> Reply:
        options = self._intent_options(lang) + self._language_options(lang)
        return Reply(self.settings.text("greeting", lang), kind="greeting", options=options)

    def _language_options(self, lang: str) -> tuple[Option, ...]:
        """A button to switch language (Welsh forces: "Cymraeg" on the English greeting)."""
        out = []
        for other in self.settings.languages:
            if other != lang and self.settings.has_text("language_option", other):
                out.append(Option(CHOICE_LANG_PREFIX + other, self.settings.text("language_option", other)))
        return tuple(out)

    def _clarify(self, lang: str) -> Reply:
        return Reply(self.settings.text("clarify", lang), kind="clarify", options=self._intent_options(lang))

    def intent_options(self, lang: str) -> tuple[Option, ...]:
        return self._intent_options(lang)

    def _intent_options(self, lang: str) -> tuple[Option, ...]:
        options = self._options.get(lang)
        if options is None:
            options = self._options[lang] = self._build_intent_options(lang)
        return options

    def _build_intent_options(self, lang: str) -> tuple[Option, ...]:
        options = []
        for intent in self.intents:
            key = f"intents.{intent}"
            if self.settings.has_text(key, lang) or self.settings.has_text(key, "en"):
                options.append(Option(CHOICE_INTENT_PREFIX + intent, self.settings.text(key, lang)))
        options.append(Option(CHOICE_HUMAN, self.settings.text("talk_to_person", lang) if self.settings.has_text("talk_to_person", lang) else "Talk to a person"))
        return tuple(options)

    def greeting(self, language: str = "en") -> list[Reply]:
        """The first bot messages of a new conversation."""
        replies = [self._greeting(language)]
        return replies

    def _handover(
        self,
        message: Message,
        state: ConversationState,
        level: RiskLevel,
        reasons: list[str],
        priority: int,
        at: datetime,
        lang: str,
    ) -> tuple[QueueTarget | None, ConversationState, list[Reply]]:
        context = RoutingContext(
            force=self.settings.force_id,
            intent=state.intent,
            risk_level=max(level, state.risk_level),
            risk_categories=state.risk_categories,
            language=lang,
            at=at,
            priority=priority,
            reasons=tuple(reasons),
            waiting=self._waiting_counts(),
        )
        target = self.select_queue(context=context)
        is_open = target.open and self.is_queue_open(queue=target.queue, at=at)
        opens_at = target.opens_at or (None if is_open else self.next_opening(queue=target.queue, at=at))
        name = target.name or target.queue
        state = _replace(state, 
            handover=True,
            handover_reasons=tuple(dict.fromkeys(state.handover_reasons + tuple(reasons))),
            queue=target.queue,
            priority=priority,
        )
        replies: list[Reply] = []
        last_at, queued_at = self._queued_at
        if at is not last_at:
            queued_at = at.astimezone(timezone.utc).isoformat(timespec="seconds")
            self._queued_at = (at, queued_at)
        if is_open:
            if state.status is Status.BOT:
                state = _replace(state, status=Status.QUEUED, queued_at=queued_at)
            key = "urgent_handover" if level >= RiskLevel.HIGH else (
                "human_requested" if "asked_for_human" in reasons else "handover_queued"
            )
            replies.append(Reply(self.settings.text(key, lang, queue=name), kind="handover"))
        else:
            when = opens_at.astimezone(self.tz).strftime("%A %-d %B at %-I:%M%p").replace("AM", "am").replace("PM", "pm") if opens_at else ""
            behaviour = target.out_of_hours or "wait"
            key = f"handover_closed_{behaviour}"
            if not self.settings.has_text(key, lang):
                key = "handover_closed"
            if behaviour == "wait" and state.status is Status.BOT:
                state = _replace(state, status=Status.QUEUED, queued_at=queued_at)
            replies.append(Reply(self.settings.text(key, lang, queue=name, opens_at=when), kind="handover_closed"))
            if level >= RiskLevel.HIGH:
                replies.insert(0, Reply(self.settings.text("urgent_handover", lang, queue=name), kind="handover"))
        target = QueueTarget(
            queue=target.queue, name=name, open=is_open, opens_at=opens_at, priority=priority,
            reason=target.reason, out_of_hours=target.out_of_hours, fallback_from=target.fallback_from,
            plugin=target.plugin,
        )
        return target, state, replies

    # -- batch ------------------------------------------------------------------------------------
    def triage(self, text: str) -> Decision:
        """First-message triage: exactly what the live chat does with a new conversation's first
        message."""
        return self.dispatch(self.make_message(text))


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _as_list(result: Any) -> list[Any]:
    if result is None:
        return []
    if isinstance(result, (list, tuple)):
        return [r for r in result if r is not None]
    return [result]


def _with_plugin(obj: Any, plugin: str) -> Any:
    if obj.plugin == plugin:
        return obj  # already stamped: replacing would give an equal object
    cls = type(obj)
    names = _PLAIN_FIELDS.get(cls, False)
    if names is False:
        names = plain_fields(cls)
    if names is None or "plugin" not in names:
        return dataclasses.replace(obj, plugin=plugin)
    new = object.__new__(cls)  # as in replace_fields, without building keyword arguments
    attrs = new.__dict__
    attrs.update(obj.__dict__)
    attrs["plugin"] = plugin
    return new


#: ``dataclasses.replace`` on the hot path (see :func:`switchboard.types.replace_fields`).
_replace = replace_fields
