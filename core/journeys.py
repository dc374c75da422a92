"""Branching conversation journeys (declarative TOML files), loaded, validated and run.

CONTRACT used by :mod:`switchboard.dispatch` (keep these names and signatures):

* ``JourneyBook.load(paths, settings, intents) -> JourneyBook``: load every journey file found in
  ``paths`` (files or folders), validate, raise :class:`~switchboard.errors.DataError` naming the
  file and step of the first problem.
* ``book.for_intent(intent) -> Journey | None`` and ``book.get(journey_id)``.
* ``book.start(journey_id, *, state, message, slots, guidance) -> StepResult``: begin a journey
  for a conversation; skip steps whose slot is already known (from ``state.slots`` / ``slots``).
* ``book.advance(*, state, message, slots, guidance) -> StepResult``: take the visitor's answer
  to the current step (``state.step``), validate it, branch, move on.
* ``guidance(query, language, intent) -> list[GuidancePassage]`` is a callable given by the core
  that returns only approved passages above the confidence threshold.

The file format is documented in ``docs/journeys.md``; answer validators live in
:mod:`switchboard.validators`. Every sentence the engine sends comes from a journey file or
``settings.text()``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from .errors import DataError
from .types import Citation, ConversationState, GuidancePassage, Message, Option, Reply, Slot
from . import validators as v

GuidanceFinder = Callable[[str, str, "str | None"], list[GuidancePassage]]

__all__ = ["GuidanceFinder", "Journey", "JourneyBook", "Step", "StepResult"]

#: Quick-reply id for "skip this question" on optional steps.
SKIP_CHOICE = "skip"
#: Reason code when the engine itself must stop (a journey edited while a chat was in it, or a
#: runaway chain of steps): a person takes over.
REASON_JOURNEY_ERROR = "journey_error"
_MAX_TRANSITIONS = 64
# Reference codes avoid characters that are easy to misread (0/O, 1/I/L).
_REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_REF_LENGTH = 6
#: Slots kept when a later journey starts in the same conversation.
_CARRY_OVER = frozenset({"phone", "email"})
_SIGNPOST = re.compile(r"\{signposts\.([a-z0-9_]+)\}")


@dataclass(frozen=True)
class StepResult:
    """What one journey step did.

    :ivar replies: bot messages to send.
    :ivar state: the conversation state after the step (journey, step, slots, awaiting, outcome,
        reference).
    :ivar progressed: the journey moved forward (a step was answered or the journey ended).
    :ivar understood: the visitor's answer was usable (False triggers a re-prompt and counts
        towards the "misunderstood" escalation threshold).
    :ivar handover: a reason code when the journey ends in a handover, else ``None``.
    :ivar risk: the risk level a handover step declares (``"immediate"`` when the visitor's answer
        means someone is in danger now: the core then diverts to 999 exactly as for a risky
        message), else ``None``.
    """

    replies: tuple[Reply, ...]
    state: ConversationState
    progressed: bool = True
    understood: bool = True
    handover: str | None = None
    risk: str | None = None


class JourneyBook:
    """All loaded journeys of a deployment, and the engine that runs them."""

    def __init__(self, journeys: Mapping[str, Journey], settings: Any = None,
                 by_intent: Mapping[str, str] | None = None) -> None:
        self._journeys = dict(journeys)
        self._by_intent = dict(by_intent) if by_intent is not None else {j.intent: j.id for j in journeys.values()}
        self.settings = settings
        force = settings.section("force") if settings is not None else {}
        self._crime_patterns = v.compile_crime_patterns(force.get("crime_reference_patterns", []) or [])
        self._prefix = str(force.get("reference_prefix", "") or "")
        options = settings.section("journeys") if settings is not None else {}
        self._skip_words = tuple(options.get("skip_words", v.DEFAULT_SKIP_WORDS))
        #: sentences without values to fill in, rendered once: (journey id, texts id, language) ->
        #: (the texts table, kept so its id stays its own, the sentence)
        self._rendered: dict[tuple[int, int, str], tuple[Mapping[str, str], str]] = {}

    # -- loading ----------------------------------------------------------------------------------
    @classmethod
    def load(cls, paths: Iterable[Path | str], settings: Any, intents: Iterable[str]) -> JourneyBook:
        """Load and validate every journey file under ``paths`` (files or folders, in order).

        A later file with the same journey id replaces an earlier one, and the last journey
        loaded for an intent is the one that intent starts, so force plugins (whose paths come
        last) override the built-in defaults. Journey ids listed in ``[journeys] disabled`` are
        not loaded.

        :raises DataError: naming the file and step of the first problem.
        """
        disabled = set(settings.section("journeys").get("disabled", []) or []) if settings is not None else set()
        journeys: dict[str, Journey] = {}
        by_intent: dict[str, str] = {}
        for journey in load_journey_files(paths, settings, tuple(intents)):
            if journey.id in disabled:
                continue
            old = journeys.get(journey.id)
            if old is not None and by_intent.get(old.intent) == old.id:
                del by_intent[old.intent]
            journeys[journey.id] = journey
            by_intent[journey.intent] = journey.id
        return cls(journeys, settings, by_intent)

    def get(self, journey_id: str) -> Journey | None:
        """The journey with this id, or ``None``."""
        return self._journeys.get(journey_id)

    def for_intent(self, intent: str) -> Journey | None:
        """The journey an intent starts (the last one loaded for it), or ``None``."""
        jid = self._by_intent.get(intent)
        return self._journeys.get(jid) if jid else None

    def __len__(self) -> int:
        return len(self._journeys)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._journeys.values())

    # -- running ----------------------------------------------------------------------------------
    def start(
        self, journey_id: str, *, state: ConversationState, message: Message,
        slots: Mapping[str, Slot], guidance: GuidanceFinder,
    ) -> StepResult:
        """Begin ``journey_id``: prefill what the visitor already said, skip known details, and
        run until the first question (or an outcome)."""
        journey = self._journeys.get(journey_id)
        if journey is None:
            return StepResult((), state.replace(outcome="handover"), handover="no_journey")
        known = dict(state.slots)
        if state.journey:
            # A second journey in the same chat is about something new: only the visitor's contact
            # details carry over, plus what this message says.
            known = {k: val for k, val in known.items() if k in _CARRY_OVER}
            known.update({name: slot.value for name, slot in slots.items()})
        for name, slot in slots.items():
            known.setdefault(name, slot.value)
        prefill = self._prefill_text(message)
        if prefill:
            words: int | None = None
            for step in journey.steps.values():
                if step.prefill and step.slot and step.slot not in known:
                    if words is None:
                        words = _words(prefill)
                    if words >= step.prefill_min_words:
                        known[step.slot] = prefill
        state = state.replace(
            journey=journey.id, step=None, outcome=None, reference=None, awaiting="journey_step", slots=known,
        )
        run = _Run(self, journey, state, message, guidance)
        return run.go(journey.start, progressed=True, understood=True)

    def advance(
        self, *, state: ConversationState, message: Message, slots: Mapping[str, Slot], guidance: GuidanceFinder,
    ) -> StepResult:
        """Take the visitor's answer to ``state.step``: validate, store, branch, and run on."""
        journey = self._journeys.get(state.journey or "")
        step = journey.steps.get(state.step or "") if journey else None
        if journey is None or step is None:
            return StepResult((), state.replace(outcome="handover", awaiting=None), handover=REASON_JOURNEY_ERROR)
        run = _Run(self, journey, state, message, guidance)
        if step.type != "ask":
            return run.go(step.id, progressed=True, understood=True)
        lang = run.lang
        text = message.text or ""
        choice = message.choice or ""
        skipped = choice == SKIP_CHOICE or (not choice and v.is_skip(text, self._skip_words))
        if skipped and step.optional:
            new_slots = dict(state.slots)
            if step.slot:
                new_slots.pop(step.slot, None)
            run.state = state.replace(slots=new_slots)
            return run.go(step.next_for(None, run.state.slots), progressed=True, understood=True)
        answer = None if skipped else self._validate(step, message, slots)
        if answer is None:
            reply = run.question(step, reprompt=True)
            return StepResult((reply,), state.replace(awaiting="journey_step"), progressed=False, understood=False)
        new_slots = dict(state.slots)
        if step.slot:
            new_slots[step.slot] = answer.value
        # a detail the extractor found in this answer is kept even if the slot already existed
        # (the visitor is correcting it); other extracted slots were merged by the core
        if step.answer in slots and step.slot != step.answer and step.answer not in ("text", "yes_no", "choice"):
            new_slots[step.answer] = slots[step.answer].value
        run.state = state.replace(slots=new_slots)
        return run.go(step.next_for(answer.value, new_slots), progressed=True, understood=True)

    # -- helpers ----------------------------------------------------------------------------------
    def _prefill_text(self, message: Message) -> str:
        if message.text and not message.choice:
            return message.text
        if (message.choice or "").startswith("intent:") and message.state.awaiting == "intent_choice" and message.history:
            return message.history[-1]
        return ""

    def _validate(self, step: Step, message: Message, slots: Mapping[str, Slot]) -> v.Answer | None:
        text = message.text or ""
        choice = message.choice or ""
        kind = step.answer
        if step.options:
            ids = [o.id for o in step.options]
            if choice in ids:
                return v.Answer(choice, choice)
            if choice:
                return None
            found = v.validate_choice(text, [(o.id, list(o.labels.values())) for o in step.options])
            if found is not None:
                return found
            if kind == "yes_no":
                yn = v.validate_yes_no(text)
                return yn if yn is not None and yn.value in ids else None
            if kind == "choice":
                return None
        elif choice:
            return None
        if kind in slots and kind not in ("text", "yes_no", "choice"):
            slot = slots[kind]
            return v.Answer(slot.value, slot.text or text)
        if kind == "text":
            return v.validate_text(text, step.min_length)
        if kind == "crime_reference":
            return v.validate_crime_reference(text, self._crime_patterns)
        if kind == "when":
            now = message.received_at or datetime.now(timezone.utc)
            tz = self.settings.timezone if self.settings is not None else "Europe/London"
            if now.tzinfo is not None:
                now = now.astimezone(ZoneInfo(tz))
            return v.parse_when(text, now.replace(tzinfo=None))
        validator = v.simple_validator(kind)
        return validator(text) if validator else None

    def new_reference(self) -> str:
        """A fresh reference for the visitor: the force's prefix and a short random code."""
        code = "".join(secrets.choice(_REF_ALPHABET) for _ in range(_REF_LENGTH))
        return f"{self._prefix}-{code}" if self._prefix else code


class _Run:
    """Runs a journey from one step until it waits for the visitor or reaches an outcome."""

    def __init__(self, book: JourneyBook, journey: Journey, state: ConversationState, message: Message,
                 guidance: GuidanceFinder) -> None:
        self.book = book
        self.journey = journey
        self.state = state
        self.message = message
        self.guidance = guidance
        self.lang = state.language if state.language in journey.languages else journey.languages[0]
        self.replies: list[Reply] = []
        self.risk: str | None = None  # set by a handover step that declares a risk level

    # texts ---------------------------------------------------------------------------------------
    def text(self, texts: Mapping[str, str], **fmt: str) -> str:
        if not fmt:  # the same sentence every time for this journey, language and texts table
            key = (id(self.journey), id(texts), self.lang)
            kept = self.book._rendered.get(key)
            if kept is None or kept[0] is not texts:
                kept = self.book._rendered[key] = (texts, self._render(texts))
            return kept[1]
        return self._render(texts, **fmt)

    def _render(self, texts: Mapping[str, str], **fmt: str) -> str:
        template = texts.get(self.lang) or texts.get("en") or next(iter(texts.values()))
        template = _SIGNPOST.sub(lambda m: self.signpost(m.group(1)), template)
        values = {"force": self.book.settings.force_name if self.book.settings is not None else "", **fmt}
        return template.format_map(_Keep(values))

    def signpost(self, name: str) -> str:
        settings = self.book.settings
        key = f"signposts.{name}"
        if settings is not None and (settings.has_text(key, self.lang) or settings.has_text(key, "en")):
            return settings.text(key, self.lang)
        texts = self.journey.signposts.get(name, {})
        return texts.get(self.lang) or texts.get("en", "")

    def question(self, step: Step, reprompt: bool = False) -> Reply:
        texts = step.reprompt if reprompt and step.reprompt else step.prompt
        return Reply(self.text(texts), kind="question", options=self.options(step))

    def options(self, step: Step) -> tuple[Option, ...]:
        if not step.options and not step.optional:
            return ()
        opts = [Option(o.id, self.text(o.labels)) for o in step.options]
        if step.optional and "skip" in self.journey.texts:
            opts.append(Option(SKIP_CHOICE, self.text(self.journey.texts["skip"])))
        return tuple(opts)

    # running -------------------------------------------------------------------------------------
    def go(self, step_id: str | None, *, progressed: bool, understood: bool) -> StepResult:
        handover: str | None = None
        for _ in range(_MAX_TRANSITIONS):
            if step_id is None:
                break
            step = self.journey.steps[step_id]
            if step.type == "ask":
                known = next((s for s in step.skip_if_known if s in self.state.slots), None)
                if known is not None:
                    value = self.state.slots.get(step.slot) if step.slot else None
                    step_id = step.next_for(value, self.state.slots)
                    continue
                self.replies.append(self.question(step))
                self.state = self.state.replace(step=step.id, awaiting="journey_step")
                return self._result(progressed, understood, None)
            if step.type == "say":
                self.replies.append(Reply(self.text(step.prompt), kind="info"))
                step_id = step.next_for(None, self.state.slots)
                continue
            if step.type == "guidance":
                step_id = self._guidance(step)
                continue
            # terminal steps
            self.state = self.state.replace(step=step.id, awaiting=None)
            if step.type == "summary":
                self._summary(step)
            elif step.type == "handover":
                if step.prompt:
                    self.replies.append(Reply(self.text(step.prompt), kind="handover_notice"))
                self.state = self.state.replace(outcome="handover")
                handover = step.reason
                self.risk = step.risk
            else:  # end
                if step.prompt:
                    self.replies.append(Reply(self.text(step.prompt), kind="end"))
                self.state = self.state.replace(outcome="self_service")
            return self._result(progressed, understood, handover)
        # A chain of steps that never waits (guarded against at load, but never trust a loop).
        self.state = self.state.replace(outcome="handover", awaiting=None)
        return self._result(progressed, understood, REASON_JOURNEY_ERROR)

    def _result(self, progressed: bool, understood: bool, handover: str | None) -> StepResult:
        return StepResult(tuple(self.replies), self.state, progressed=progressed, understood=understood,
                          handover=handover, risk=self.risk if handover else None)

    def _guidance(self, step: Step) -> str | None:
        fixed = (step.query.get(self.lang) or step.query.get("en", "")) if step.query else ""
        if step.query_slot:
            query = f"{fixed} {self.state.slots.get(step.query_slot, '')}".strip()
        elif fixed:
            query = fixed
        else:
            query = self.message.text or ""
        passages = self.guidance(query, self.lang, self.journey.intent) if query.strip() else []
        if passages:
            top = passages[0]
            if step.prompt:
                self.replies.append(Reply(self.text(step.prompt), kind="info"))
            self.replies.append(Reply(top.text, kind="guidance",
                                      citations=(Citation(top.doc_id, top.title, top.source_url),)))
            slots = dict(self.state.slots)
            if step.slot:
                slots[step.slot] = top.doc_id
            self.state = self.state.replace(slots=slots)
            return step.next_for(None, self.state.slots)
        settings = self.book.settings
        if step.no_answer:
            self.replies.append(Reply(settings.text("no_guidance", self.lang), kind="no_guidance"))
            return step.no_answer
        label = settings.text("talk_to_person", self.lang) if settings.has_text("talk_to_person", self.lang) or settings.has_text("talk_to_person", "en") else None
        options = (Option("human", label),) if label else ()
        self.replies.append(Reply(settings.text("no_guidance", self.lang), kind="no_guidance", options=options))
        return step.next_for(None, self.state.slots)

    def _summary(self, step: Step) -> None:
        reference = self.book.new_reference()
        lines = []
        for name in step.fields or self.journey.summary_fields():
            value = self.state.slots.get(name)
            if value is None or value == "":
                continue
            label = self.journey.label_for(name)
            if label is None:
                continue
            lines.append(f"{self.text(label)}: {self.display(name, value)}")
        details = "\n".join(lines)
        self.replies.append(Reply(self.text(step.prompt, reference=reference, details=details), kind="summary"))
        self.state = self.state.replace(outcome="summary", reference=reference)

    def display(self, slot: str, value: str) -> str:
        """How a stored value reads in the summary (option labels in the visitor's language)."""
        step = self.journey.step_for_slot(slot)
        if step is not None:
            for option in step.options:
                if option.id == value:
                    return self.text(option.labels)
            return v.display_value(step.answer, value)
        return v.display_value(slot, value)


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _words(text: str) -> int:
    return len(re.findall(r"\w+", text))


# =================================================================================================
# The file format: parsing and validation (see docs/journeys.md)
# =================================================================================================

STEP_TYPES = ("ask", "say", "guidance", "summary", "handover", "end")
TERMINAL_TYPES = frozenset({"summary", "handover", "end"})
_TOP_KEYS = {"id", "intent", "version", "languages", "title", "start", "texts", "labels", "signposts", "steps"}
_COMMON_KEYS = {"id", "type", "prompt", "next", "branch"}
_STEP_KEYS: dict[str, set[str]] = {
    "ask": _COMMON_KEYS | {"slot", "answer", "label", "reprompt", "options", "optional", "skip_if_known",
                           "min_length", "prefill", "prefill_min_words"},
    "say": _COMMON_KEYS,
    "guidance": _COMMON_KEYS | {"slot", "query", "query_slot", "no_answer"},
    "summary": {"id", "type", "prompt", "fields"},
    "handover": {"id", "type", "prompt", "reason", "risk"},
    "end": {"id", "type", "prompt"},
}
_BRANCH_KEYS = {"slot", "equals", "in", "known", "then"}
_RESERVED_OPTION_IDS = {"human", "restart", SKIP_CHOICE}
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_SUPPORTED_LANGUAGES = ("en", "cy")


@dataclass(frozen=True)
class OptionDef:
    """A quick reply of an ``ask`` step: a stable id and a label per language."""

    id: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class Branch:
    """``when <slot or this answer> equals/in/known … then <step>``."""

    then: str
    slot: str | None = None
    equals: str | None = None
    one_of: tuple[str, ...] = ()
    known: bool | None = None

    def matches(self, answer: str | None, slots: Mapping[str, str]) -> bool:
        subject = slots.get(self.slot) if self.slot else answer
        if self.known is not None:
            return (subject not in (None, "")) == self.known
        if subject is None:
            return False
        folded = subject.casefold()
        if self.equals is not None:
            return folded == self.equals.casefold()
        return folded in {x.casefold() for x in self.one_of}


@dataclass(frozen=True)
class Step:
    """One step of a journey (see docs/journeys.md for every field)."""

    id: str
    type: str
    prompt: Mapping[str, str] = None  # type: ignore[assignment]
    next: str | None = None
    branches: tuple[Branch, ...] = ()
    slot: str | None = None
    answer: str = "text"
    label: Mapping[str, str] | None = None
    reprompt: Mapping[str, str] | None = None
    options: tuple[OptionDef, ...] = ()
    optional: bool = False
    skip_if_known: tuple[str, ...] = ()
    min_length: int = 2
    prefill: bool = False
    prefill_min_words: int = 6
    reason: str | None = None
    risk: str | None = None
    no_answer: str | None = None
    query_slot: str | None = None
    query: Mapping[str, str] | None = None
    fields: tuple[str, ...] = ()

    def next_for(self, answer: str | None, slots: Mapping[str, str]) -> str | None:
        """The step to go to after this one, given the answer and what is known."""
        for branch in self.branches:
            if branch.matches(answer, slots):
                return branch.then
        return self.next

    def targets(self) -> list[str]:
        out = [b.then for b in self.branches]
        if self.next:
            out.append(self.next)
        if self.no_answer:
            out.append(self.no_answer)
        return out


@dataclass(frozen=True)
class Journey:
    """A validated journey: ordered steps, shared texts, summary labels and signposts."""

    id: str
    intent: str
    path: Path | None = None
    steps: Mapping[str, Step] = None  # type: ignore[assignment]
    version: int = 1
    languages: tuple[str, ...] = ("en",)
    start: str = ""
    title: Mapping[str, str] | None = None
    texts: Mapping[str, Mapping[str, str]] = None  # type: ignore[assignment]
    labels: Mapping[str, Mapping[str, str]] = None  # type: ignore[assignment]
    signposts: Mapping[str, Mapping[str, str]] = None  # type: ignore[assignment]

    def step_for_slot(self, slot: str) -> Step | None:
        """The ``ask`` step that fills ``slot`` (the first one), or ``None``."""
        for step in self.steps.values():
            if step.type == "ask" and step.slot == slot:
                return step
        return None

    def label_for(self, slot: str) -> Mapping[str, str] | None:
        """The summary label of a slot: the journey's ``[labels]`` table, else the filling step's."""
        if slot in (self.labels or {}):
            return self.labels[slot]
        step = self.step_for_slot(slot)
        return step.label if step is not None else None

    def summary_fields(self) -> list[str]:
        """Default summary lines: every labelled slot, in step order, then the ``[labels]`` extras."""
        out: list[str] = []
        for step in self.steps.values():
            if step.type == "ask" and step.slot and step.label and step.slot not in out:
                out.append(step.slot)
        for slot in self.labels or {}:
            if slot not in out:
                out.append(slot)
        return out


def _suggest(word: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _FileChecker:
    """Parses one journey file into a :class:`Journey`, raising DataError on the first problem."""

    def __init__(self, path: Path, settings: Any, intents: tuple[str, ...]) -> None:
        self.path = path
        self.settings = settings
        self.intents = intents
        self.languages: tuple[str, ...] = ("en",)
        self.journey_texts: dict[str, dict[str, str]] = {}
        self.signposts: dict[str, dict[str, str]] = {}

    def fail(self, where: str | None, problem: str) -> DataError:
        return DataError(f"{self.path}: {where}" if where else str(self.path), problem)

    # texts ---------------------------------------------------------------------------------------
    def texts(self, value: Any, where: str, placeholders: set[str] = frozenset()) -> dict[str, str]:  # type: ignore[assignment]
        """A ``{en = "...", cy = "..."}`` table with a non-empty text for every language."""
        if isinstance(value, str):
            if len(self.languages) > 1:
                raise self.fail(where, f"give a text per language as {{{', '.join(f'{lang} = ...' for lang in self.languages)}}}")
            value = {self.languages[0]: value}
        if not isinstance(value, dict):
            raise self.fail(where, "must be a table of texts per language, e.g. {en = \"...\", cy = \"...\"}")
        for lang in value:
            if lang not in _SUPPORTED_LANGUAGES:
                raise self.fail(f"{where}.{lang}", f"unsupported language (use {', '.join(_SUPPORTED_LANGUAGES)})")
        for lang in self.languages:
            text = value.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise self.fail(where, f"missing {lang!r} text (the journey and force use {', '.join(self.languages)})")
            self.check_placeholders(text, f"{where}.{lang}", placeholders, lang)
        return {lang: value[lang] for lang in self.languages}

    def check_placeholders(self, text: str, where: str, allowed: set[str], lang: str) -> None:
        allowed = set(allowed) | {"force"}
        for name in _PLACEHOLDER.findall(text):
            if name.startswith("signposts."):
                key = name.split(".", 1)[1]
                settings = self.settings
                in_config = settings is not None and (settings.has_text(name, lang) or settings.has_text(name, "en"))
                if not in_config and key not in self.signposts:
                    raise self.fail(where, f"placeholder {{{name}}} has no text: add [signposts.{key}] to the journey "
                                    f"file or [texts.{lang}.signposts] {key} to the force config")
                continue
            if name not in allowed:
                raise self.fail(where, f"unknown placeholder {{{name}}} (allowed here: "
                                f"{', '.join(sorted('{' + a + '}' for a in allowed))}, {{signposts.<name>}})")

    # the file ------------------------------------------------------------------------------------
    def parse(self) -> Journey:
        import tomllib

        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise self.fail(None, "file not found") from None
        except UnicodeDecodeError:
            raise self.fail(None, "not UTF-8 text") from None
        except tomllib.TOMLDecodeError as exc:
            raise self.fail(None, f"invalid TOML: {exc}") from None
        for key in data:
            if key not in _TOP_KEYS:
                raise self.fail(key, "unknown key" + _suggest(key, _TOP_KEYS))
        jid = data.get("id")
        if not isinstance(jid, str) or not _IDENT.match(jid):
            raise self.fail("id", "required: a lower-case identifier such as \"crime_report\"")
        intent = data.get("intent")
        if not isinstance(intent, str):
            raise self.fail("intent", "required: the intent id this journey serves")
        if intent not in self.intents:
            raise self.fail("intent", f"{intent!r} is not in the intent taxonomy" + _suggest(intent, self.intents))
        version = data.get("version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail("version", "must be a whole number of at least 1")
        langs = data.get("languages", ["en"])
        if not isinstance(langs, list) or not langs or not all(isinstance(x, str) for x in langs):
            raise self.fail("languages", "must be a list such as [\"en\", \"cy\"]")
        for lang in langs:
            if lang not in _SUPPORTED_LANGUAGES:
                raise self.fail("languages", f"unsupported language {lang!r} (use {', '.join(_SUPPORTED_LANGUAGES)})")
        configured = list(self.settings.languages) if self.settings is not None else ["en"]
        missing = [lang for lang in configured if lang not in langs]
        if missing:
            raise self.fail("languages", f"missing {', '.join(missing)}: the force is configured for "
                            f"{', '.join(configured)}, so every journey needs texts in each")
        self.languages = tuple(dict.fromkeys(["en", *langs])) if "en" in langs else tuple(langs)

        self.signposts = self.text_table(data.get("signposts", {}), "signposts", check=False)
        for name, value in self.signposts.items():
            self.signposts[name] = self.texts(value, f"signposts.{name}")
        self.journey_texts = self.text_table(data.get("texts", {}), "texts")
        labels = self.text_table(data.get("labels", {}), "labels")
        title = self.texts(data["title"], "title") if "title" in data else None

        raw_steps = data.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            raise self.fail("steps", "required: at least one [[steps]] table")
        ids: list[str] = []
        for i, raw in enumerate(raw_steps):
            if not isinstance(raw, dict):
                raise self.fail(f"steps[{i}]", "must be a table")
            sid = raw.get("id")
            if not isinstance(sid, str) or not _IDENT.match(sid):
                raise self.fail(f"steps[{i}]", "every step needs an id (a lower-case identifier)")
            if sid in ids:
                raise self.fail(f"step {sid!r}", "duplicate step id")
            ids.append(sid)
        steps: dict[str, Step] = {}
        for i, raw in enumerate(raw_steps):
            following = ids[i + 1] if i + 1 < len(ids) else None
            step = self.step(raw, following, set(ids))
            steps[step.id] = step
        start = data.get("start", ids[0])
        if start not in steps:
            raise self.fail("start", f"unknown step {start!r}" + _suggest(str(start), ids))
        journey = Journey(
            id=jid, intent=intent, path=self.path, steps=steps, version=version, languages=self.languages,
            start=start, title=title, texts=self.journey_texts, labels=labels, signposts=self.signposts,
        )
        self.check_summary_fields(journey)
        self.check_graph(journey)
        return journey

    def text_table(self, value: Any, where: str, check: bool = True) -> dict[str, dict[str, str]]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a table")
        out = {}
        for name, texts in value.items():
            if not _IDENT.match(name):
                raise self.fail(f"{where}.{name}", "names are lower-case identifiers")
            out[name] = self.texts(texts, f"{where}.{name}") if check else texts
        return out

    def step(self, raw: dict[str, Any], following: str | None, ids: set[str]) -> Step:
        sid = raw["id"]
        where = f"step {sid!r}"
        stype = raw.get("type")
        if stype not in STEP_TYPES:
            raise self.fail(where, f"type must be one of {', '.join(STEP_TYPES)}" + _suggest(str(stype), STEP_TYPES))
        for key in raw:
            if key not in _STEP_KEYS[stype]:
                hint = _suggest(key, _STEP_KEYS[stype])
                raise self.fail(f"{where}: {key}", f"unknown key for a {stype} step{hint}")

        def target(key: str, value: Any) -> str:
            if not isinstance(value, str) or value not in ids:
                raise self.fail(f"{where}: {key}", f"unknown step {value!r}" + _suggest(str(value), ids))
            return value

        kw: dict[str, Any] = {"id": sid, "type": stype}
        placeholders = {"reference", "details"} if stype == "summary" else set()
        if "prompt" in raw:
            kw["prompt"] = self.texts(raw["prompt"], f"{where}: prompt", placeholders)
        elif stype in ("ask", "say", "summary", "end"):
            raise self.fail(f"{where}: prompt", "required: the text the visitor sees")
        else:
            kw["prompt"] = {}

        if stype in TERMINAL_TYPES:
            if stype == "handover":
                reason = raw.get("reason")
                if not isinstance(reason, str) or not _IDENT.match(reason):
                    raise self.fail(f"{where}: reason", "required: a reason code such as \"identity_verification\"")
                kw["reason"] = reason
                risk = raw.get("risk")
                if risk is not None:
                    if risk not in ("elevated", "high", "immediate"):
                        raise self.fail(f"{where}: risk", "must be elevated, high or immediate")
                    kw["risk"] = risk
            if stype == "summary":
                if "{reference}" not in "".join(kw["prompt"].values()):
                    raise self.fail(f"{where}: prompt", "a summary must give the visitor the {reference}")
                fields = raw.get("fields", [])
                if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                    raise self.fail(f"{where}: fields", "must be a list of slot names")
                kw["fields"] = tuple(fields)
            return Step(**kw)

        if "next" in raw:
            kw["next"] = target("next", raw["next"])
        else:
            kw["next"] = following
        branches = raw.get("branch", [])
        if not isinstance(branches, list):
            raise self.fail(f"{where}: branch", "use [[steps.branch]] tables")
        kw["branches"] = tuple(self.branch(b, f"{where}: branch[{i}]", target) for i, b in enumerate(branches))

        if stype == "guidance":
            for key in ("slot", "query_slot"):
                if key in raw:
                    if not isinstance(raw[key], str) or not _IDENT.match(raw[key]):
                        raise self.fail(f"{where}: {key}", "must be a slot name")
                    kw[key] = raw[key]
            if "query" in raw:
                query = raw["query"]
                if isinstance(query, str) and query.strip():
                    kw["query"] = {lang: query for lang in self.languages}
                elif isinstance(query, dict):
                    kw["query"] = self.texts(query, f"{where}: query")
                else:
                    raise self.fail(f"{where}: query", "search words (not shown): a string, or one per "
                                    "language {en = \"...\", cy = \"...\"}")
            if "no_answer" in raw:
                kw["no_answer"] = target("no_answer", raw["no_answer"])
        if stype == "ask":
            self.ask_fields(raw, where, kw)
        step = Step(**kw)
        if step.next is None:
            raise self.fail(where, "no next step: add next = \"<step id>\" (it is the last step in the file)")
        self.check_branch_values(step, where)
        return step

    def ask_fields(self, raw: dict[str, Any], where: str, kw: dict[str, Any]) -> None:
        answer = raw.get("answer", "text")
        if answer not in v.ANSWER_TYPES:
            raise self.fail(f"{where}: answer", f"unknown answer type {answer!r}; use one of "
                            f"{', '.join(v.ANSWER_TYPES)}" + _suggest(str(answer), v.ANSWER_TYPES))
        kw["answer"] = answer
        if "slot" in raw:
            if not isinstance(raw["slot"], str) or not _IDENT.match(raw["slot"]):
                raise self.fail(f"{where}: slot", "must be a slot name (lower-case identifier)")
            kw["slot"] = raw["slot"]
        if "reprompt" not in raw:
            raise self.fail(f"{where}: reprompt", "required: what to say when the answer cannot be used")
        kw["reprompt"] = self.texts(raw["reprompt"], f"{where}: reprompt")
        if "label" in raw:
            kw["label"] = self.texts(raw["label"], f"{where}: label")
        for key in ("optional", "prefill"):
            if key in raw:
                if not isinstance(raw[key], bool):
                    raise self.fail(f"{where}: {key}", "must be true or false")
                kw[key] = raw[key]
        for key in ("min_length", "prefill_min_words"):
            if key in raw:
                if not isinstance(raw[key], int) or isinstance(raw[key], bool) or raw[key] < 1:
                    raise self.fail(f"{where}: {key}", "must be a whole number of at least 1")
                kw[key] = raw[key]
        if kw.get("prefill") and answer != "text":
            raise self.fail(f"{where}: prefill", "only free-text (answer = \"text\") steps can be prefilled")
        if kw.get("prefill") and "slot" not in kw:
            raise self.fail(f"{where}: prefill", "a prefilled step needs a slot")
        if kw.get("optional") and "skip" not in self.journey_texts:
            raise self.fail(f"{where}: optional", "optional steps need a [texts.skip] label for the skip button")
        sik = raw.get("skip_if_known", False)
        if sik is True:
            if "slot" not in kw:
                raise self.fail(f"{where}: skip_if_known", "true needs a slot; or list the slot names")
            kw["skip_if_known"] = (kw["slot"],)
        elif isinstance(sik, list) and all(isinstance(s, str) for s in sik):
            kw["skip_if_known"] = tuple(sik)
        elif sik is not False:
            raise self.fail(f"{where}: skip_if_known", "must be true, false or a list of slot names")
        if kw.get("prefill") and kw["slot"] not in kw.get("skip_if_known", ()):
            kw["skip_if_known"] = (kw["slot"], *kw.get("skip_if_known", ()))
        options = raw.get("options")
        if options is None and answer == "yes_no":
            for key in ("yes", "no"):
                if key not in self.journey_texts:
                    raise self.fail(f"{where}: options", f"a yes/no step needs options or [texts.{key}] labels")
            kw["options"] = (OptionDef("yes", self.journey_texts["yes"]), OptionDef("no", self.journey_texts["no"]))
        elif options is not None:
            kw["options"] = self.options(options, f"{where}: options")
            if answer == "yes_no" and {o.id for o in kw["options"]} - {"yes", "no"}:
                raise self.fail(f"{where}: options", "yes/no steps use the option ids \"yes\" and \"no\"")
        elif answer == "choice":
            raise self.fail(f"{where}: options", "a choice step needs options")

    def options(self, value: Any, where: str) -> tuple[OptionDef, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "must be a list of {id = \"...\", label = {en = \"...\", ...}}")
        out: list[OptionDef] = []
        for i, opt in enumerate(value):
            if not isinstance(opt, dict) or set(opt) - {"id", "label"} or "id" not in opt or "label" not in opt:
                raise self.fail(f"{where}[{i}]", "each option is {id = \"...\", label = {en = \"...\", ...}}")
            oid = opt["id"]
            if not isinstance(oid, str) or not _IDENT.match(oid):
                raise self.fail(f"{where}[{i}].id", "must be a lower-case identifier")
            if oid in _RESERVED_OPTION_IDS:
                raise self.fail(f"{where}[{i}].id", f"{oid!r} is reserved by the core")
            if any(o.id == oid for o in out):
                raise self.fail(f"{where}[{i}].id", f"duplicate option {oid!r}")
            out.append(OptionDef(oid, self.texts(opt["label"], f"{where}[{i}].label")))
        return tuple(out)

    def branch(self, raw: Any, where: str, target: Callable[[str, Any], str]) -> Branch:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table")
        for key in raw:
            if key not in _BRANCH_KEYS:
                raise self.fail(f"{where}.{key}", "unknown key" + _suggest(key, _BRANCH_KEYS))
        if "then" not in raw:
            raise self.fail(where, "needs then = \"<step id>\"")
        conditions = [k for k in ("equals", "in", "known") if k in raw]
        if len(conditions) != 1:
            raise self.fail(where, "needs exactly one of equals, in, known")
        slot = raw.get("slot")
        if slot is not None and (not isinstance(slot, str) or not _IDENT.match(slot)):
            raise self.fail(f"{where}.slot", "must be a slot name")
        then = target(where.split(": ", 1)[-1] + ".then", raw["then"])
        if "equals" in raw:
            if not isinstance(raw["equals"], str):
                raise self.fail(f"{where}.equals", "must be a string")
            return Branch(then=then, slot=slot, equals=raw["equals"])
        if "in" in raw:
            if not isinstance(raw["in"], list) or not raw["in"] or not all(isinstance(x, str) for x in raw["in"]):
                raise self.fail(f"{where}.in", "must be a non-empty list of strings")
            return Branch(then=then, slot=slot, one_of=tuple(raw["in"]))
        if not isinstance(raw["known"], bool):
            raise self.fail(f"{where}.known", "must be true or false")
        return Branch(then=then, slot=slot, known=raw["known"])

    def check_branch_values(self, step: Step, where: str) -> None:
        """A branch on this step's own answer must name one of its option ids (catches typos)."""
        if not step.options:
            return
        ids = {o.id for o in step.options}
        for i, b in enumerate(step.branches):
            if b.slot not in (None, step.slot):
                continue
            for value in ([b.equals] if b.equals is not None else list(b.one_of)):
                if value not in ids:
                    raise self.fail(f"{where}: branch[{i}]", f"{value!r} is not an option of this step"
                                    + _suggest(value, ids))

    def check_summary_fields(self, journey: Journey) -> None:
        for step in journey.steps.values():
            for name in step.fields:
                if journey.label_for(name) is None:
                    raise self.fail(f"step {step.id!r}: fields", f"slot {name!r} has no label: add "
                                    f"[labels.{name}] or a label on the step that asks for it")

    def check_graph(self, journey: Journey) -> None:
        steps = journey.steps
        # reachable from the start
        seen = {journey.start}
        todo = [journey.start]
        while todo:
            for nxt in steps[todo.pop()].targets():
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        for sid in steps:
            if sid not in seen:
                raise self.fail(f"step {sid!r}", f"unreachable: no step leads here from the start step {journey.start!r}")
        # every step can reach an outcome (else it is in a loop with no exit)
        can_end = {sid for sid, s in steps.items() if s.type in TERMINAL_TYPES}
        changed = True
        while changed:
            changed = False
            for sid, s in steps.items():
                if sid not in can_end and any(t in can_end for t in s.targets()):
                    can_end.add(sid)
                    changed = True
        for sid in steps:
            if sid not in can_end:
                raise self.fail(f"step {sid!r}", "loop with no exit: no path from here reaches a summary, "
                                "handover or end step")
        # a cycle must wait for the visitor somewhere, or the engine would spin
        waiting = {sid for sid, s in steps.items() if s.type == "ask" and not s.skip_if_known}
        colour: dict[str, int] = {}

        def visit(sid: str, trail: list[str]) -> None:
            colour[sid] = 1
            for nxt in steps[sid].targets():
                if nxt in waiting:
                    continue
                if colour.get(nxt) == 1:
                    loop = trail[trail.index(nxt):] + [nxt] if nxt in trail else [sid, nxt]
                    raise self.fail(f"step {nxt!r}", "loop that never waits for the visitor: " + " -> ".join(loop))
                if nxt not in colour:
                    visit(nxt, trail + [nxt])
            colour[sid] = 2

        for sid in steps:
            if sid not in waiting and sid not in colour:
                visit(sid, [sid])


def _journey_files(paths: Iterable[Path | str]) -> list[Path]:
    files: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            files.extend(sorted(path.rglob("*.toml")))
        elif path.exists():
            files.append(path)
        else:
            raise DataError(str(path), "journey file or folder not found")
    return files


def load_journey_files(paths: Iterable[Path | str], settings: Any, intents: tuple[str, ...]) -> list[Journey]:
    """Parse and validate every journey file under ``paths``, in order."""
    return [_FileChecker(f, settings, intents).parse() for f in _journey_files(paths)]
