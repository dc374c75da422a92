"""Loading and validating intent rule files (TOML).

A rule file holds the rules for one intent::

    intent = "follow_up"            # the intent every rule in this file votes for

    [[rules]]
    id = "follow_up.any_update"     # unique across all loaded files; becomes IntentScore.source
    confidence = 0.95               # 0 < confidence <= 1
    phrases = ["any update on my report", "chasing up my report"]   # literal, word-bounded
    patterns = ['\\bref(erence)? (no|number)\\b']                    # regular expressions
    force_patterns = "crime_reference_patterns"                      # regexes from [force]
    unless = ["council"]            # the rule stays silent when any of these phrases is present
    note = "why this rule exists"   # free text for reviewers

A phrase ending in ``*`` matches any word that starts with it (``scam*`` matches "scammed").
Every phrase is folded with :func:`switchboard.text.normalise` at load, so rules match
``message.normalised``. Every problem raises :class:`~switchboard.errors.DataError` naming the
file and the key (``rules[3].confidence``).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from switchboard.errors import DataError
from switchboard.text import normalise

_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_INTENT = re.compile(r"^[a-z][a-z0-9_]*$")
_FILE_KEYS = {"intent", "rules"}
_RULE_KEYS = {"id", "confidence", "phrases", "patterns", "force_patterns", "unless", "note"}


@dataclass(frozen=True)
class Rule:
    """One validated rule: any of its phrases or patterns votes ``intent`` at ``confidence``."""

    id: str
    intent: str
    confidence: float
    phrases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    force_patterns: str | None = None
    unless: tuple[str, ...] = ()
    origin: str = ""  # "<file>: rules[i]" for error messages


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(str(path), "rule file not found") from None
    except UnicodeDecodeError:
        raise DataError(str(path), "not UTF-8 text") from None
    except OSError as exc:
        raise DataError(str(path), f"cannot read rule file ({exc.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(str(path), f"invalid TOML: {exc}") from None


def _phrase_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise DataError(where, "expected a list of strings")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise DataError(f"{where}[{i}]", f"expected a string, got {type(item).__name__}")
        folded = normalise(item)
        if not folded.rstrip("*").strip():
            raise DataError(f"{where}[{i}]", "empty phrase")
        if "*" in folded[:-1]:
            raise DataError(f"{where}[{i}]", "'*' is only allowed at the end of a phrase")
        out.append(folded)
    return tuple(dict.fromkeys(out))


def _parse_rule(raw: Any, intent: str, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise DataError(where, "each rule must be a table ([[rules]])")
    for key in raw:
        if key not in _RULE_KEYS:
            raise DataError(f"{where}.{key}", "unknown key" + _suggest(key, _RULE_KEYS))
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise DataError(f"{where}.id", "required: lower-case id such as 'follow_up.any_update'")
    conf = raw.get("confidence")
    if isinstance(conf, bool) or not isinstance(conf, (int, float)):
        raise DataError(f"{where}.confidence", "required: a number in (0, 1]")
    if not 0.0 < float(conf) <= 1.0:
        raise DataError(f"{where}.confidence", f"must be in (0, 1], got {conf}")
    phrases = _phrase_list(raw.get("phrases", []), f"{where}.phrases")
    unless = _phrase_list(raw.get("unless", []), f"{where}.unless")
    patterns_raw = raw.get("patterns", [])
    if not isinstance(patterns_raw, list):
        raise DataError(f"{where}.patterns", "expected a list of regular expressions")
    for i, pattern in enumerate(patterns_raw):
        if not isinstance(pattern, str) or not pattern:
            raise DataError(f"{where}.patterns[{i}]", "expected a non-empty string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise DataError(f"{where}.patterns[{i}]", f"invalid regular expression: {exc}") from None
    force_key = raw.get("force_patterns")
    if force_key is not None and (not isinstance(force_key, str) or not force_key):
        raise DataError(f"{where}.force_patterns", "expected the name of a list in [force]")
    if not phrases and not patterns_raw and force_key is None:
        raise DataError(where, "a rule needs at least one of phrases, patterns or force_patterns")
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise DataError(f"{where}.note", "expected a string")
    return Rule(
        id=rule_id,
        intent=intent,
        confidence=float(conf),
        phrases=phrases,
        patterns=tuple(patterns_raw),
        force_patterns=force_key,
        unless=unless,
        origin=where,
    )


def load_rule_file(path: Path, intents: Iterable[str]) -> list[Rule]:
    """Read and validate one rule file.

    :param path: the TOML file.
    :param intents: the intent ids a file may name (the taxonomy plus ``out_of_scope``).
    :raises DataError: naming the file and key of the first problem.
    """
    known = set(intents)
    data = _read(path)
    for key in data:
        if key not in _FILE_KEYS:
            raise DataError(f"{path}: {key}", "unknown key" + _suggest(key, _FILE_KEYS))
    intent = data.get("intent")
    if not isinstance(intent, str) or not _INTENT.match(intent):
        raise DataError(f"{path}: intent", "required: the intent id every rule in this file votes for")
    if intent not in known:
        raise DataError(f"{path}: intent", f"unknown intent {intent!r}" + _suggest(intent, known))
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise DataError(f"{path}: rules", "required: at least one [[rules]] table")
    rules = [_parse_rule(raw, intent, f"{path}: rules[{i}]") for i, raw in enumerate(raw_rules)]
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise DataError(f"{rule.origin}.id", f"duplicate rule id {rule.id!r} (first at {seen[rule.id]})")
        seen[rule.id] = rule.origin
    return rules


def rule_files(paths: Iterable[Path]) -> list[Path]:
    """Expand files and folders (``*.toml``, sorted) into a list of rule files."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(p.glob("*.toml")))
        elif p.exists():
            out.append(p)
        else:
            raise DataError(str(p), "rule file or folder not found")
    return out


def load_rules(base: Iterable[Path], extra: Iterable[Path], intents: Iterable[str]) -> list[Rule]:
    """Load the built-in rule files, then extra ones.

    Built-in files must not repeat a rule id. An extra file (a force's own rules) may reuse an id
    to replace that rule.
    """
    intents = tuple(intents)
    by_id: dict[str, Rule] = {}
    for path in rule_files(base):
        for rule in load_rule_file(path, intents):
            if rule.id in by_id:
                raise DataError(f"{rule.origin}.id", f"duplicate rule id {rule.id!r} (first at {by_id[rule.id].origin})")
            by_id[rule.id] = rule
    for path in rule_files(extra):
        for rule in load_rule_file(path, intents):
            by_id[rule.id] = rule
    return list(by_id.values())
