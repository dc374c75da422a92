"""Built-in plugin: keyword risk rules, the first-message guardrail that stands on its own.

Rules are data (``rules/*.toml``, format in README.md). At start-up the plugin loads, in order
(a later rule with the same id replaces an earlier one):

1. the built-in ``rules/`` folder;
2. files or folders contributed through ``register_risk_rules`` (force plugins last);
3. ``[plugins.risk_keywords] extra_rules = [...]`` from the force file (relative paths are taken
   from the config file's folder).

Each message is scanned once by an Aho-Corasick automaton (see :mod:`.matcher`); every signal
names the rule id, the category, the level and the words the visitor wrote.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any, Mapping

from switchboard import hookimpl
from switchboard.types import HealthReport, Message, RiskSignal

from .matcher import KeywordMatcher
from .normalise import LEXICON_PATH, load_lexicon
from .rules_io import load_rules

log = logging.getLogger("switchboard.plugins.risk_keywords")

RULES_DIR = Path(__file__).resolve().parent / "rules"
_OPTIONS = {"extra_rules"}


def build_matcher(paths: list[Path | str]) -> tuple[KeywordMatcher, list[Path]]:
    """Load rule files (built-in folder first unless ``paths`` already lists what you want).

    Compiling thousands of phrases takes a noticeable fraction of a second, so a compiled matcher
    is shared by every plugin manager in the process that loads the same files unchanged (the
    cache key holds each file's path, size and modification time). A matcher is read-only once
    built.
    """
    lexicon = LEXICON_PATH.stat()
    return _build_cached(_fingerprint(paths) + (("lexicon", lexicon.st_mtime_ns, lexicon.st_size),))


def _fingerprint(paths: list[Path | str]) -> tuple[tuple[str, int, int], ...]:
    out: list[tuple[str, int, int]] = []
    for p in paths:
        path = Path(p)
        files = sorted(path.rglob("*.toml")) if path.is_dir() else [path]
        out.append((str(path), -1, -1))  # keeps the order and the folder/file split of ``paths``
        for f in files:
            try:
                st = f.stat()
            except OSError:
                out.append((str(f), 0, 0))  # load_rules reports the missing file
                continue
            out.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(out)


@functools.lru_cache(maxsize=8)
def _build_cached(fingerprint: tuple[tuple[str, int, int], ...]) -> tuple[KeywordMatcher, list[Path]]:
    paths = [Path(name) for name, mtime, _size in fingerprint if mtime == -1]  # the folder/file markers
    rules, idioms, files = load_rules(paths)
    return KeywordMatcher(rules, idioms, load_lexicon()), files


class RiskKeywordsPlugin:
    """Registered as ``risk_keywords`` through the ``switchboard`` entry-point group."""

    def __init__(self) -> None:
        self.matcher: KeywordMatcher | None = None
        self.files: list[Path] = []

    @hookimpl
    def validate_config(self, settings: Any) -> list[str]:
        opts: Mapping[str, Any] = settings.plugin_options("risk_keywords")
        problems = [f"plugins.risk_keywords.{k}: unknown key (allowed: extra_rules)"
                    for k in opts if k not in _OPTIONS]
        extra = opts.get("extra_rules", [])
        if not isinstance(extra, list) or not all(isinstance(p, str) and p.strip() for p in extra):
            problems.append("plugins.risk_keywords.extra_rules: must be a list of file or folder paths")
        else:
            for i, p in enumerate(extra):
                if not settings.resolve_path(p).exists():
                    problems.append(f"plugins.risk_keywords.extra_rules[{i}]: {p!r} not found")
        return problems

    @hookimpl(trylast=True)
    def register_risk_rules(self) -> list[Path]:
        return [RULES_DIR]

    @hookimpl
    def configure(self, settings: Any, contributions: Mapping[str, list[Path]]) -> None:
        # Built-ins first, force plugins' files last (the core orders contributions that way).
        paths: list[Path | str] = [Path(p) for p in contributions.get("risk_rules", [])]
        if not any(Path(p).resolve() == RULES_DIR for p in paths):
            paths.insert(0, RULES_DIR)
        extra = settings.plugin_options("risk_keywords").get("extra_rules", [])
        paths.extend(settings.resolve_path(p) for p in extra)
        self.matcher, files = build_matcher(paths)
        self.files = list(files)
        log.info("risk_keywords: %d rules, %d phrases from %d files",
                 self.matcher.stats.rules, self.matcher.stats.phrases, len(self.files))

    @hookimpl(trylast=True)
    def assess_risk(self, message: Message) -> list[RiskSignal] | None:
        if self.matcher is None:  # used without configure (e.g. a bare plugin manager)
            self.matcher, self.files = build_matcher([RULES_DIR])
        signals = self.matcher.assess(message.text)
        return signals or None

    @hookimpl
    def report_health(self) -> HealthReport:
        if self.matcher is None:
            return HealthReport("risk_keywords", "down", "rules not loaded")
        s = self.matcher.stats
        return HealthReport("risk_keywords", "ok", f"{s.rules} rules, {s.phrases} phrases, {s.idioms} idioms")
