"""The keyword matcher: one Aho-Corasick automaton over canonical tokens, then context.

Every rule phrase, idiom, companion term and context cue is normalised through the same token
pipeline as messages (:mod:`.normalise`) and added to a single ``pyahocorasick`` automaton as
``" canonical phrase "`` (with the spaces, so matches fall on whole tokens: "scar" never fires in
"scared", "gun" never in "begun"). A message is tokenised once and scanned once, so the cost per
message hardly depends on how many phrases there are.

Only when a rule phrase is found does the context pass run (a few list look-ups):

1. an idiom covering the phrase drops it ("the traffic was murder");
2. a rule with ``near`` terms needs one within ``near_window`` tokens (a negated one does not
   count), and a ``not_near`` term within ``not_near_window`` tokens drops it ("my son's BIKE went
   missing");
3. a negator just before the phrase ("no one was injured") applies ``if_negated``; a fiction, study,
   pretend or legal frame right next to it ("a film about a kidnapping") applies ``if_question``;
4. ``requires_now`` rules need a now cue;
5. a now cue ("as we speak", "he is kicking the door") applies ``if_now``, and so does a soft now
   cue ("tonight", "he's just") unless a past or habitual cue is nearer the phrase; otherwise a
   question or hypothetical ("what's the law on…", "can I defend myself if someone…") applies
   ``if_question``, and otherwise a clear past ("last week", "they'd gone by the time") applies
   ``if_past``.

A now cue always beats the past and question cues: when a message is ambiguous about danger now,
the rule keeps its severity (err to safety).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Iterable

import ahocorasick

from switchboard.types import RiskLevel, RiskSignal

from .normalise import BOUNDARY, END, START, SURFACE, TEXT, Lexicon, Token, canonical_phrase, tokenise
from .rules_io import Idiom, Rule

_RULE, _IDIOM, _NOW, _PAST, _QUESTION, _NEG, _NEAR, _NOT_NEAR, _HABIT, _SOFT_NOW, _PAST_NEAR, _FRAME = range(12)
_PASTS = (_PAST, _PAST_NEAR)
_LEVEL = {lvl.value: lvl for lvl in RiskLevel}
_BE = frozenset({"is", "are", "am"})
_NOT_PROGRESSIVE = frozenset({
    "nothing", "something", "anything", "everything", "thing", "things", "morning", "evening",
    "building", "ceiling", "wedding", "king", "ring", "during", "ceiling", "darling", "bring",
    "thinking", "wondering", "asking", "enquiring", "inquiring", "hoping", "writing", "calling",
    "messaging", "contacting", "reporting", "looking", "wanting", "going", "texting", "emailing",
    "struggling", "feeling", "worrying", "planning to report", "scaring", "frightening", "bothering",
    "upsetting", "annoying", "affecting", "getting", "starting", "doing my head in",
    # long-running campaigns, not an act happening now ("he is stalking me", "she's controlling")
    "stalking", "harassing", "bullying", "controlling", "abusing", "grooming", "blackmailing", "exploiting",
    "hiding",  # a cue of its own (soft now): "I'm hiding my bruises" is not an act now
    "seeing", "working", "living", "making", "staying",  # states and arrangements ("he's working nights")
    "trying",  # "I'm trying to report a break-in"; attempts now are cues of their own ("trying to get in")
    # the writer's own study or work, not an act now ("I'm currently studying criminology")
    "studying", "reading", "rehearsing", "revising", "researching", "arranging",
})
#: Words allowed between a negator and the phrase it negates ("no one WAS injured").
_NEG_FILLER = frozenset({
    "a", "an", "the", "any", "one", "was", "were", "is", "are", "been", "being", "be", "has", "have",
    "had", "got", "get", "do", "does", "did", "seriously", "badly", "actually", "really",
    "anyone", "anybody", "someone", "real", "immediate", "to", "of", "weapon", "going", "want", "planning",
    "trying", "try", "intend", "intending",
})
_NEG_LOOKBACK = 4
_FAR = 1_000_000
_TAGS = {"negated": "negated", "past": "clearly past", "habitual": "habitual, not said to be now",
         "question": "question or hypothetical",
         "now": "happening now"}


@dataclass(frozen=True)
class Hit:
    """A rule phrase found in a message, before context is applied."""

    rule: Rule
    index: int  # position of the rule in the matcher (keys its ``near`` terms)
    first: int  # token index
    last: int


@dataclass(frozen=True)
class Stats:
    """What was compiled (for health reports and the bench)."""

    rules: int
    phrases: int
    idioms: int
    automaton_keys: int


@dataclass
class _Scan:
    """What one pass of the automaton found in a message (token positions)."""

    tokens: list[Token]
    hits: list[Hit] = field(default_factory=list)
    idiom_spans: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)
    negators: list[int] = field(default_factory=list)
    near: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    not_near: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    cues: list[tuple[int, int, int]] = field(default_factory=list)  # (first, last, kind) of every context cue
    frames: list[tuple[int, int]] = field(default_factory=list)  # fiction, study, pretend or legal framing


class KeywordMatcher:
    """Compiled rules, idioms and cues. Immutable after construction; safe to share."""

    def __init__(self, rules: Iterable[Rule], idioms: Iterable[Idiom], lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.rules: list[Rule] = list(rules)
        self.idioms: list[Idiom] = list(idioms)
        entries: dict[str, list[tuple[int, int, int]]] = {}
        # Vocabulary of every canonical token, so leet ("k1ll") and typo folding know real words.
        raw_phrases: list[str] = []
        for r in self.rules:
            raw_phrases.extend(r.phrases)
            raw_phrases.extend(r.near)
        for idm in self.idioms:
            raw_phrases.extend(idm.phrases)
        for cue_list in lexicon.cues.values():
            raw_phrases.extend(cue_list)
        vocab: set[str] = set()
        for p in raw_phrases:
            vocab.update(canonical_phrase(p, lexicon).split())
        lexicon.vocabulary |= vocab
        lexicon.add_typos_for(vocab)

        def add(phrase: str, kind: int, payload: int) -> None:
            canon = canonical_phrase(phrase, lexicon)
            if not canon:
                return
            entries.setdefault(f" {canon} ", []).append((kind, payload, canon.count(" ") + 1))

        phrase_count = 0
        for i, r in enumerate(self.rules):
            for p in r.phrases:
                add(p, _RULE, i)
                phrase_count += 1
            for p in r.near:
                add(p, _NEAR, i)
            for p in r.not_near:
                add(p, _NOT_NEAR, i)
        for i, idm in enumerate(self.idioms):
            for p in idm.phrases:
                add(p, _IDIOM, i)
        for kind, key in ((_NOW, "now"), (_SOFT_NOW, "soft_now"), (_PAST, "past"), (_PAST_NEAR, "past_near"),
                          (_HABIT, "habitual"), (_QUESTION, "question"), (_NEG, "negators"), (_FRAME, "frame")):
            for p in lexicon.cues.get(key, []):
                add(p, kind, 0)
        automaton = ahocorasick.Automaton()
        for key, values in entries.items():
            # (does this key hold a rule phrase?, what it holds): most messages match only context
            # cues, and a message without a rule phrase needs no further work
            automaton.add_word(key, (any(v[0] == _RULE for v in values), tuple(dict.fromkeys(values))))
        automaton.make_automaton()
        self._automaton = automaton
        self.stats = Stats(len(self.rules), phrase_count, len(self.idioms), len(entries))

    # -- matching ---------------------------------------------------------------------------------
    def _scan(self, text: str, need_rule: bool) -> _Scan | None:
        """Every phrase, idiom and cue found in a message (``None`` when it has no tokens, or no
        rule phrase and ``need_rule``)."""
        tokens = tokenise(text, self.lexicon)
        if not tokens:
            return None
        words = [t[TEXT] for t in tokens]
        found = list(self._automaton.iter(" " + " ".join(words) + " "))
        if need_rule and not any(has_rule for _end, (has_rule, _values) in found):
            return None
        scan = _Scan(tokens)
        if not found:
            return scan
        # the position of the space after each token in the joined text
        ends = list(accumulate([len(w) + 1 for w in words]))
        for end, (_has_rule, values) in found:
            last = bisect_left(ends, end)
            for kind, payload, n in values:
                first = last - n + 1
                if kind == _RULE:
                    scan.hits.append(Hit(self.rules[payload], payload, first, last))
                elif kind == _IDIOM:
                    scan.idiom_spans.append((first, last, self.idioms[payload].categories))
                elif kind in (_NOW, _PAST, _QUESTION, _HABIT, _SOFT_NOW, _PAST_NEAR):
                    scan.cues.append((first, last, kind))
                elif kind == _NEG:
                    scan.negators.append(last)
                elif kind == _FRAME:
                    scan.frames.append((first, last))
                elif kind == _NEAR:
                    scan.near.setdefault(payload, []).append((first, last))
                else:
                    scan.not_near.setdefault(payload, []).append((first, last))
        return scan

    def context(self, text: str) -> frozenset[str]:
        """The context a message's cues give, read as :meth:`assess` reads them, whether or not it
        holds a rule phrase: any of ``now``, ``soft_now``, ``past``, ``question``, ``habitual``,
        ``negator``, ``frame``, ``progressive``, and ``no_time`` when it has no time cue at all.

        The risk model uses these as features (``risk_ml.features.prepare_cued``)."""
        scan = self._scan(text, need_rule=False)
        if scan is None:
            return frozenset({"no_time"})
        now, past, question, habitual, soft = _context(scan.cues, scan.negators, scan.tokens)
        found = {name for name, present in (
            ("now", now), ("soft_now", soft), ("past", past), ("question", question), ("habitual", habitual),
            ("negator", scan.negators), ("frame", scan.frames), ("progressive", _progressive(scan.tokens)),
        ) if present}
        if not found & {"now", "soft_now", "past", "habitual"}:
            found.add("no_time")
        return frozenset(found)

    def assess(self, text: str) -> list[RiskSignal]:
        """Risk signals for one message (at most one per rule, highest level kept)."""
        scan = self._scan(text, need_rule=True)
        if scan is None or not scan.hits:
            return []
        tokens, hits, idiom_spans, negators = scan.tokens, scan.hits, scan.idiom_spans, scan.negators
        near, not_near, cues, frames = scan.near, scan.not_near, scan.cues, scan.frames
        now, all_past, question, habitual, soft_now = _context(cues, negators, tokens)
        progressive = _progressive(tokens)
        best: dict[str, tuple[RiskLevel, RiskSignal]] = {}
        for hit in hits:
            # a past_near cue ("he's hit me before") dates only the phrases close to it
            past = [p for p, local in all_past if not local or abs(p - hit.first) <= _PAST_NEAR_WINDOW]
            # a soft now cue ("tonight", "he's just") is now unless a past or habitual cue is nearer the hit
            # (a soft cue inside the phrase itself, "locked me in", is no evidence about the phrase)
            outside = [p for p in soft_now if not hit.first <= p <= hit.last]
            soft = bool(outside) and (min(abs(p - hit.first) for p in outside)
                                      <= min((abs(p - hit.first) for p in past + habitual), default=_FAR))
            framed = _framed(hit, frames, negators, tokens)
            signal = self._judge(hit, tokens, text, idiom_spans, negators, near, not_near, now or soft, past,
                                 question, habitual, progressive, framed)
            if signal is None:
                continue
            current = best.get(hit.rule.id)
            if current is None or signal.level > current[0]:
                best[hit.rule.id] = (signal.level, signal)
        return [sig for _lvl, sig in best.values()]

    def _judge(
        self, hit: Hit, tokens: list[Token], text: str, idiom_spans: list[tuple[int, int, tuple[str, ...]]],
        negators: list[int], near: dict[int, list[tuple[int, int]]], not_near: dict[int, list[tuple[int, int]]],
        now: bool, past: list[int], question: bool, habitual: list[int], progressive: list[int],
        framed: bool = False,
    ) -> RiskSignal | None:
        rule = hit.rule
        for a, b, cats in idiom_spans:
            if a <= hit.last and hit.first <= b and (not cats or rule.category in cats):
                return None
        if rule.near:
            spans = near.get(hit.index, [])
            w = rule.near_window
            if not any(a <= hit.last + w and b >= hit.first - w and not (a >= hit.first and b <= hit.last)
                       and not _negated(a, negators, tokens) for a, b in spans):
                return None
        if rule.not_near:
            w = rule.not_near_window
            if any(a <= hit.last + w and b >= hit.first - w and not (a >= hit.first and b <= hit.last)
                   for a, b in not_near.get(hit.index, [])):
                return None
        outcome = rule.severity
        tag = ""
        # A present progressive close to the phrase ("he is kicking the door", "men fighting") reads
        # as ongoing, weaker than an explicit now cue: a question or hypothetical beats it.
        # The nearer of a past cue and a present progressive decides ("I left my bag on the train
        # earlier. my neighbour is having a fit" is now; "he was hitting me last night" is past).
        near_ing = min((abs(p - hit.first) for p in progressive), default=_FAR)
        near_past = min((abs(p - hit.first) for p in past), default=_FAR)
        ongoing = near_ing <= _PROGRESSIVE_WINDOW and near_ing < near_past
        if not ongoing and near_past > _ING_PAST_WINDOW and _ing_in_hit(hit, tokens, habitual):
            ongoing = True  # "throwing things at me", "men fighting"
        if _negated(hit.first, negators, tokens):
            outcome, tag = _apply(rule.severity, rule.if_negated), "negated"
        elif framed:  # "a film about a kidnapping", "rehearsing a stabbing scene": a question even if now
            outcome, tag = _apply(rule.severity, rule.if_question), "question"
        elif rule.requires_now and not (now or (ongoing and not question)):
            return None
        elif now:
            outcome, tag = _raise(rule.severity, rule.if_now), "now"
        elif question and not past:
            outcome, tag = _apply(rule.severity, rule.if_question), "question"
        elif ongoing:
            outcome, tag = _raise(rule.severity, rule.if_now), "now"
        elif past:  # a real event that is over, even if the visitor asks about it ("can I still report it")
            outcome, tag = _apply(rule.severity, rule.if_past), "past"
        elif habitual:
            outcome, tag = _apply(rule.severity, rule.if_habitual), "habitual"
        if outcome == "none":
            return None
        level = _LEVEL[outcome]
        reason = rule.reason if outcome == rule.severity or not tag else f"{rule.reason} ({_TAGS[tag]})"
        start, end = tokens[hit.first][START], tokens[hit.last][END]
        return RiskSignal(
            level=level, category=rule.category, reason=reason, rule_id=rule.id,
            matched_text=text[start:end] or None, context=tag,
        )


#: A ``frame`` cue with at most this many words between it and a rule phrase (same clause) frames it.
_FRAME_GAP = 2


def _framed(hit: Hit, frames: list[tuple[int, int]], negators: list[int], tokens: list[Token]) -> bool:
    """A fiction, study, pretend or legal frame right next to the phrase, in the same clause and not
    negated ("a film ABOUT a kidnapping", "a stabbing SCENE", "the SENTENCE FOR kidnapping"; not
    "it is NOT A PRANK, he has kidnapped her")."""
    for a, b in frames:
        if a <= hit.last and hit.first <= b:
            continue  # a frame inside or over the phrase is the idioms' job, not a frame
        if b < hit.first:
            lo, hi = b + 1, hit.first
        else:
            lo, hi = hit.last + 1, a
        if hi - lo > _FRAME_GAP or any(tokens[j][TEXT] == BOUNDARY for j in range(lo, hi)):
            continue
        if _negated(a, negators, tokens):
            continue
        return True
    return False


def _apply(severity: str, outcome: str) -> str:
    return severity if outcome == "keep" else outcome


def _raise(severity: str, outcome: str) -> str:
    """``if_now`` can only raise a level, never lower it."""
    if outcome == "keep" or outcome == "none":
        return severity
    return outcome if _LEVEL[outcome] > _LEVEL[severity] else severity


def _negated(first: int, negators: list[int], tokens: list[Token]) -> bool:
    if not negators:
        return False
    i = first - 1
    steps = 0
    while i >= 0 and steps < _NEG_LOOKBACK:
        if i in negators:
            return True
        word = tokens[i][TEXT]
        if word == BOUNDARY or word not in _NEG_FILLER:
            return False
        i -= 1
        steps += 1
    return False


_PAST_AUX = frozenset({"was", "were", "been", "had", "d"})


#: Words after which an -ing form is a gerund or a habit, not something happening now
#: ("thoughts OF jumping", "arrested FOR hitting me", "STARTED hurting myself", "KEEPS kicking me").
_GERUND_BEFORE = frozenset({
    "of", "about", "for", "from", "without", "after", "before", "like", "started", "start", "stop",
    "stopped", "kept", "keep", "keeps", "thought", "thoughts", "thinking", "think", "enjoy", "enjoys",
    "risk", "avoid", "mind", "imagine", "imagining", "dream", "dreams", "fantasise", "fantasising",
    "said", "says", "say",  # "my friend said strangling is serious"
    # a determiner makes the -ing form a noun ("was it about THE stabbing", "A shooting in town")
    "the", "a", "an", "this", "that", "another",
})
#: An -ing word followed by one of these is a noun phrase, not an act now ("at BREAKING point").
_ING_NOUN_NEXT = {"breaking": frozenset({"point"})}
#: "having" is a progressive of something happening now only before these ("is having a fit");
#: "I'm having a bad week", "having dark thoughts" are states, not acts.
_HAVING_NOW = frozenset({
    "fit", "seizure", "heart", "stroke", "fight", "go", "punch", "row", "baby", "panic", "breakdown",
    "asthma", "allergic", "reaction", "contractions",
})
_ING_PAST_WINDOW = 4
_HABIT_NOW_WINDOW = 4
_HABIT_WINDOW = 3


def _ing_in_hit(hit: Hit, tokens: list[Token], habitual: list[int]) -> bool:
    """The matched words include a folded -ing verb ("hitting me") used as a progressive: not after
    was/were/been, a preposition or a habit verb, nor just after a habitual cue ("every day taking")."""
    if hit.first > 0 and tokens[hit.first - 1][TEXT] in _PAST_AUX | _GERUND_BEFORE:
        return False
    if any(0 <= hit.first - h <= _HABIT_WINDOW for h in habitual):
        return False
    for k in range(hit.first, hit.last + 1):
        tok = tokens[k]
        s = tok[SURFACE]
        if s.endswith("ing") and s != tok[TEXT] and s not in _NOT_PROGRESSIVE:
            if k + 1 < len(tokens) and tokens[k + 1][TEXT] in _ING_NOUN_NEXT.get(s, ()):
                continue
            if k > hit.first and tokens[k - 1][TEXT] in _PAST_AUX:
                continue  # the phrase holds its own past auxiliary: "WAS attacking", "were fighting"
            return True
    return False


def _having_now(tokens: list[Token], j: int) -> bool:
    """Whether "having" at ``j`` starts something happening now ("having a fit"), not a state."""
    for k in (j + 1, j + 2, j + 3):
        if k >= len(tokens):
            return False
        word = tokens[k][TEXT]
        if word in _HAVING_NOW:
            return True
        if word not in ("a", "an", "some", "sort", "of", "kind", "massive", "serious", "really", "another"):
            return False
    return False


def _context(
    cues: list[tuple[int, int, int]], negators: list[int], tokens: list[Token]
) -> tuple[bool, list[tuple[int, bool]], bool, list[int], list[int]]:
    """Now / past / question flags (and soft now positions) from the cue spans found in a message.

    A cue inside a longer cue of another kind does not count ("right now" inside "he is not here
    right now", "in danger" inside "no one is in danger", "keeps" inside "keeps banging"), and a
    now cue right after a negator does not count ("I'm not in danger", "he isn't outside").
    """
    now = question = False
    past: list[tuple[int, bool]] = []  # (position, only for phrases near it)
    habitual: list[int] = []
    soft: list[int] = []
    kept = [c for c in cues
            if not any(a <= c[0] and c[1] <= b and (a, b) != (c[0], c[1]) and k != c[2] for a, b, k in cues)]
    habit_ends = [b for _a, b, k in kept if k == _HABIT]
    for first, last, kind in kept:
        if kind == _SOFT_NOW and any(k in _PASTS and a <= last and first <= b for a, b, k in kept):
            continue  # "has just been released": the past cue it overlaps says what it is
        if kind == _SOFT_NOW and any(k in _PASTS and first < a <= last + _SOFT_PAST_AFTER
                                     and all(tokens[j][TEXT] != BOUNDARY for j in range(last, a)) for a, _b, k in kept):
            continue  # "on the way home from footy last Thursday": a time just after it, same clause, dates it
        if kind in (_NOW, _SOFT_NOW):
            # "keeps turning up outside my house": the place belongs to the habit, not to now
            # ...unless a verb "is/are/am" starts a clause of its own ("the man who keeps texting me IS at the door")
            if not _negated(first, negators, tokens) and not any(
                    0 < first - h <= _HABIT_NOW_WINDOW and not any(tokens[j][TEXT] in _BE for j in range(h + 1, last + 1))
                    for h in habit_ends):
                if kind == _NOW:
                    now = True
                else:
                    soft.append(first)
        elif kind in _PASTS:
            past.append((first, kind == _PAST_NEAR))
        elif kind == _HABIT:
            habitual.append(last)
        else:
            question = True
    return now, past, question, habitual, soft


_PROGRESSIVE_WINDOW = 10
#: A ``past_near`` cue dates only phrases within this many tokens of it.
_PAST_NEAR_WINDOW = 8
#: A past cue this many tokens after a soft now cue, in the same clause, dates the soft cue.
_SOFT_PAST_AFTER = 6
#: Lemmas whose passive progressive is an act happening now ("I'm being followed", "being attacked").
_BEING_NOW = frozenset({
    "attack", "follow", "chase", "beat", "hit", "stab", "rob", "mug", "burgle", "kidnap", "hold", "rape",
    "assault", "kick", "punch", "strangle", "choke", "drag", "batter", "push", "smother", "shoot", "grab",
    "threaten", "trap", "lock", "hurt", "attacked", "held", "dragged", "kicked", "punched", "beaten",
})


def _progressive(tokens: list[Token]) -> list[int]:
    """Positions of present progressives ("he is kicking", "they're trying", "I'm being followed")."""
    out: list[int] = []
    for i in range(len(tokens) - 1):
        if tokens[i][TEXT] in _BE:
            for j in (i + 1, i + 2, i + 3):
                if j >= len(tokens):
                    break
                s = tokens[j][SURFACE]
                if s == "being":
                    if j + 1 < len(tokens) and tokens[j + 1][TEXT] in _BEING_NOW:
                        out.append(j + 1)
                    break
                if s == "having" and not _having_now(tokens, j):
                    break
                if s.endswith("ing") and len(s) >= 5 and s not in _NOT_PROGRESSIVE:
                    out.append(j)
                    break
                if tokens[j][TEXT] not in ("still", "now", "currently", "literally", "actually"):
                    break
    return out
