"""Built-in plugin: intent_rules, high-precision phrase and pattern rules per intent.

The rules are data: ``rules/*.toml`` next to this module (one file per intent), plus any files
or folders a force lists in ``[plugins.intent_rules] extra_rules`` (a rule id repeated there
replaces the built-in rule). Crime reference formats come from ``force.crime_reference_patterns``.

This plugin complements the trained classifier (``intent_ml``): it answers only when a rule
fires and the best intent is clearly ahead of any other intent whose rules also fired (by
``conflict_margin``); otherwise it abstains. Options (all optional)::

    [plugins.intent_rules]
    extra_rules = ["intent_rules/"]       # files or folders, relative to the config file
    disabled_rules = ["road_traffic.speeding"]
    extra_intents = ["wildlife_crime"]    # intents added by a force plugin that rules may name
    conflict_margin = 0.1                 # abstain when two intents fire this close together
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping

from switchboard import hookimpl
from switchboard.types import DEFAULT_INTENTS, OUT_OF_SCOPE, HealthReport, IntentScore, Message

from .matcher import RuleMatcher, build
from .rules_file import load_rules

log = logging.getLogger("switchboard.plugins.intent_rules")

#: The rule files shipped with the plugin.
RULES_DIR = Path(__file__).resolve().parent / "rules"

DEFAULT_OPTIONS: dict[str, Any] = {
    "extra_rules": [],
    "disabled_rules": [],
    "extra_intents": [],
    "conflict_margin": 0.1,
}


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


class IntentRulesPlugin:
    """Registered as ``intent_rules`` through the ``switchboard`` entry-point group."""

    def __init__(self) -> None:
        self.options: dict[str, Any] = dict(DEFAULT_OPTIONS)
        self.matcher: RuleMatcher | None = None

    # -- start-up ---------------------------------------------------------------------------------
    @hookimpl
    def validate_config(self, settings: Any) -> list[str]:
        """Check ``[plugins.intent_rules]``: known keys, types, and that extra rule paths exist."""
        options: Mapping[str, Any] = settings.plugin_options("intent_rules")
        problems: list[str] = []
        prefix = "plugins.intent_rules"
        for key, value in options.items():
            if key not in DEFAULT_OPTIONS:
                problems.append(f"{prefix}.{key}: unknown key (known: {', '.join(sorted(DEFAULT_OPTIONS))})")
            elif key == "conflict_margin":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
                    problems.append(f"{prefix}.conflict_margin: expected a number between 0 and 1")
            elif not _str_list(value):
                problems.append(f"{prefix}.{key}: expected a list of non-empty strings")
        if _str_list(options.get("extra_rules", [])):
            for i, raw in enumerate(options.get("extra_rules", [])):
                if not settings.resolve_path(raw).exists():
                    problems.append(f"{prefix}.extra_rules[{i}]: {raw!r} not found")
        return problems

    @hookimpl
    def configure(self, settings: Any, contributions: Mapping[str, list[Path]]) -> None:
        """Load, validate and compile the rules (raises DataError naming file and key)."""
        self.options = {**DEFAULT_OPTIONS, **dict(settings.plugin_options("intent_rules"))}
        intents = (*DEFAULT_INTENTS, OUT_OF_SCOPE, *self.options["extra_intents"])
        extra = [Path(p) for p in contributions.get("intent_rules", [])]
        extra += [settings.resolve_path(p) for p in self.options["extra_rules"]]
        rules = load_rules([RULES_DIR], extra, intents)
        disabled = set(self.options["disabled_rules"])
        rules = [r for r in rules if r.id not in disabled]
        self.matcher = build(rules, settings.section("force"))
        log.info("intent_rules: %d rules for %d intents", len(rules), len({r.intent for r in rules}))

    @hookimpl
    def report_health(self) -> HealthReport:
        if self.matcher is None:
            return HealthReport("intent_rules", "degraded", "rules not loaded (configure was not called)")
        return HealthReport("intent_rules", "ok", f"{len(self.matcher.rules)} rules")

    # -- per message ------------------------------------------------------------------------------
    @hookimpl(trylast=True)
    def categorise_intent(self, message: Message) -> list[IntentScore] | None:
        """Vote for the intents whose rules fire, or abstain (``None``) when no rule fires or two
        intents fire within ``conflict_margin`` of each other."""
        if self.matcher is None or not message.normalised:
            return None
        hits = self.matcher.best_per_intent(message.normalised)
        if not hits:
            return None
        margin = float(self.options["conflict_margin"]) - 1e-9  # 0.95 - 0.85 is not < 0.1
        if len(hits) > 1 and hits[0].confidence - hits[1].confidence < margin:
            return None
        return [IntentScore(intent=h.intent, confidence=h.confidence, source=h.rule_id) for h in hits]
