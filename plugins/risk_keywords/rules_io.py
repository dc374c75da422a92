"""Reading and validating keyword-rule files (TOML).

A rule file holds ``[[rule]]`` tables and, optionally, ``[[idiom]]`` tables (see README.md).
Every problem raises :class:`~switchboard.errors.DataError` naming the file and the rule id (or
its position when the id itself is missing), so a force's data team can fix it from the message.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from switchboard.errors import DataError
from switchboard.types import RISK_CATEGORIES

SEVERITIES = ("immediate", "high", "elevated")
#: What a context condition may turn a hit into ("keep" leaves the rule's severity alone).
OUTCOMES = ("immediate", "high", "elevated", "none", "keep")

_RULE_KEYS = {
    "id", "category", "severity", "reason", "phrases", "near", "near_window", "not_near",
    "not_near_window", "requires_now",
    "if_now", "if_past", "if_habitual", "if_negated", "if_question", "notes",
}
_IDIOM_KEYS = {"id", "phrases", "reason", "categories", "notes"}
_FILE_KEYS = {"rule", "idiom"}
#: Categories a rule may use (``plugin_failure`` is the core's own).
RULE_CATEGORIES = tuple(c for c in RISK_CATEGORIES if c != "plugin_failure")


@dataclass(frozen=True)
class Rule:
    """One keyword rule as written in a rule file (phrases not yet normalised)."""

    id: str
    category: str
    severity: str
    reason: str
    phrases: tuple[str, ...]
    source: str
    near: tuple[str, ...] = ()
    near_window: int = 6
    not_near: tuple[str, ...] = ()
    not_near_window: int = 3
    requires_now: bool = False
    if_now: str = "keep"
    if_past: str = "keep"
    if_habitual: str = "keep"
    if_negated: str = "none"
    if_question: str = "none"


@dataclass(frozen=True)
class Idiom:
    """Phrases whose words must not fire a rule ("the traffic was murder")."""

    id: str
    phrases: tuple[str, ...]
    reason: str
    source: str
    categories: tuple[str, ...] = ()  # empty: masks rules of every category


def _where(path: Path, ident: str | None, index: int, table: str) -> str:
    return f"{path}: {table} {ident!r}" if ident else f"{path}: {table} #{index + 1}"


def _phrases(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise DataError(where, f"{key} must be a non-empty list of strings")
    out = []
    for i, p in enumerate(value):
        if not isinstance(p, str) or not p.strip():
            raise DataError(where, f"{key}[{i}] must be a non-empty string")
        out.append(p)
    return tuple(out)


def _parse_rule(raw: Mapping[str, Any], path: Path, index: int) -> Rule:
    ident = raw.get("id")
    where = _where(path, ident if isinstance(ident, str) else None, index, "rule")
    if not isinstance(ident, str) or not ident.strip():
        raise DataError(where, "missing or empty id")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise DataError(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_RULE_KEYS))})")
    category = raw.get("category")
    if category not in RULE_CATEGORIES:
        raise DataError(where, f"unknown category {category!r} (allowed: {', '.join(RULE_CATEGORIES)})")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise DataError(where, f"unknown severity {severity!r} (allowed: {', '.join(SEVERITIES)})")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise DataError(where, "reason must be a short non-empty string")
    phrases = _phrases(raw.get("phrases"), where, "phrases")
    near: tuple[str, ...] = ()
    if "near" in raw:
        near = _phrases(raw["near"], where, "near")
    not_near: tuple[str, ...] = ()
    if "not_near" in raw:
        not_near = _phrases(raw["not_near"], where, "not_near")
    windows = {}
    for key, default in (("near_window", 6), ("not_near_window", 3)):
        window = raw.get(key, default)
        if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 30:
            raise DataError(where, f"{key} must be a whole number from 1 to 30")
        windows[key] = window
    requires_now = raw.get("requires_now", False)
    if not isinstance(requires_now, bool):
        raise DataError(where, "requires_now must be true or false")
    if_past = raw.get("if_past", "high" if severity == "immediate" else "keep")
    defaults = {"if_now": "keep", "if_past": if_past,
                # habitual ("he keeps turning up") reads like past unless a now cue says otherwise
                "if_habitual": if_past,
                "if_negated": "none", "if_question": "none"}
    outcomes: dict[str, str] = {}
    for key, default in defaults.items():
        value = raw.get(key, default)
        if value not in OUTCOMES:
            raise DataError(where, f"{key} must be one of {', '.join(OUTCOMES)}, not {value!r}")
        outcomes[key] = value
    return Rule(
        id=ident, category=category, severity=severity, reason=reason.strip(), phrases=phrases,
        source=str(path), near=near, not_near=not_near, **windows, requires_now=requires_now, **outcomes,
    )


def _parse_idiom(raw: Mapping[str, Any], path: Path, index: int) -> Idiom:
    ident = raw.get("id")
    where = _where(path, ident if isinstance(ident, str) else None, index, "idiom")
    if not isinstance(ident, str) or not ident.strip():
        raise DataError(where, "missing or empty id")
    unknown = sorted(set(raw) - _IDIOM_KEYS)
    if unknown:
        raise DataError(where, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_IDIOM_KEYS))})")
    reason = raw.get("reason", "idiom")
    if not isinstance(reason, str):
        raise DataError(where, "reason must be a string")
    categories: tuple[str, ...] = ()
    if "categories" in raw:
        categories = _phrases(raw["categories"], where, "categories")
        for c in categories:
            if c not in RULE_CATEGORIES:
                raise DataError(where, f"unknown category {c!r} in categories")
    return Idiom(ident, _phrases(raw.get("phrases"), where, "phrases"), reason, str(path), categories)


def read_rule_file(path: Path) -> tuple[list[Rule], list[Idiom]]:
    """Parse and validate one rule file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(str(path), "rule file not found") from None
    except UnicodeDecodeError:
        raise DataError(str(path), "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(str(path), f"invalid TOML: {exc}") from None
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise DataError(f"{path}: {unknown[0]}", "unknown top-level key (use [[rule]] or [[idiom]] tables)")
    rules: list[Rule] = []
    idioms: list[Idiom] = []
    seen: set[str] = set()
    for table, parse, out in (("rule", _parse_rule, rules), ("idiom", _parse_idiom, idioms)):
        entries = data.get(table, [])
        if not isinstance(entries, list):
            raise DataError(f"{path}: {table}", f"use [[{table}]] (an array of tables)")
        for i, raw in enumerate(entries):
            if not isinstance(raw, dict):
                raise DataError(f"{path}: {table} #{i + 1}", "must be a table")
            item = parse(raw, path, i)
            if (table, item.id) in seen:
                raise DataError(_where(path, item.id, i, table), "duplicate id in this file")
            seen.add((table, item.id))  # type: ignore[arg-type]
            out.append(item)  # type: ignore[arg-type]
    if not rules and not idioms:
        raise DataError(str(path), "no [[rule]] or [[idiom]] tables")
    return rules, idioms


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files from a list of files and folders (a folder gives its ``*.toml`` files, sorted)."""
    out: list[Path] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            out.extend(sorted(f for f in path.glob("*.toml") if f.is_file()))
        elif path.exists():
            out.append(path)
        else:
            raise DataError(str(path), "rule file or folder not found")
    return out


def load_rules(paths: Iterable[str | Path]) -> tuple[list[Rule], list[Idiom], list[Path]]:
    """Load rule files in order; a later rule (or idiom) with the same id replaces an earlier one."""
    files = expand_paths(paths)
    rules: dict[str, Rule] = {}
    idioms: dict[str, Idiom] = {}
    for f in files:
        file_rules, file_idioms = read_rule_file(f)
        for r in file_rules:
            rules.pop(r.id, None)
            rules[r.id] = r
        for idm in file_idioms:
            idioms.pop(idm.id, None)
            idioms[idm.id] = idm
    return list(rules.values()), list(idioms.values()), files
