"""Built-in plugin: answers only from approved force guidance.

Documents live in a folder per force (``[guidance] folder``, relative to the force file, default
``guidance``): Markdown with TOML front matter (see
:mod:`switchboard.plugins.guidance.documents`). They are validated at start-up (a bad document
stops start-up with an error naming the file and field). Retrieval is TF-IDF over passages with
scikit-learn (:mod:`switchboard.plugins.guidance.retrieval`). Only documents whose review date is
today or later are used; expired ones are logged at start-up, listed by
:func:`expired_documents` and in the health detail.

``[guidance]`` keys: ``folder``, ``intent_boost`` (default 0.25), ``extra_intents`` (intent ids a
force plugin registers, so its documents may be tagged with them).
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from switchboard import hookimpl
from switchboard.types import DEFAULT_INTENTS, OUT_OF_SCOPE, GuidancePassage, HealthReport

from .documents import Document, load_documents
from .retrieval import LanguageIndex

log = logging.getLogger("switchboard.plugins.guidance")

SECTION_KEYS = {"folder": str, "intent_boost": (int, float), "extra_intents": list}


def guidance_folder(settings: Any) -> Path:
    """The configured guidance folder of a deployment."""
    return settings.resolve_path(settings.section("guidance").get("folder", "guidance"))


def known_intents(settings: Any) -> tuple[str, ...]:
    extra = settings.section("guidance").get("extra_intents", []) or []
    return (*DEFAULT_INTENTS, OUT_OF_SCOPE, *extra)


def expired_documents(settings: Any, today: date | None = None) -> list[dict[str, str]]:
    """Documents past their review date (for the CLI and reports): id, title, review_date, file."""
    today = today or datetime.now(ZoneInfo(settings.timezone)).date()
    folder = guidance_folder(settings)
    if not folder.is_dir():
        return []
    return [_describe(d) for d in load_documents(folder, known_intents(settings)) if d.expired(today)]


def _describe(doc: Document) -> dict[str, str]:
    return {"id": doc.id, "title": doc.title, "review_date": doc.review_date.isoformat(), "file": str(doc.path)}


class GuidancePlugin:
    """Registered as ``guidance`` through the ``switchboard`` entry-point group."""

    def __init__(self, today: Callable[[], date] | None = None) -> None:
        self._today_fn = today
        self.tz = ZoneInfo("Europe/London")
        self.documents: list[Document] = []
        self.indexes: dict[str, LanguageIndex] = {}
        self.expired: list[Document] = []
        self.intent_boost = 0.25
        self.problem: str | None = None
        self.loaded_on: date | None = None

    def today(self) -> date:
        return self._today_fn() if self._today_fn else datetime.now(self.tz).date()

    @hookimpl
    def validate_config(self, settings: Any) -> list[str]:
        problems = []
        for key, value in settings.section("guidance").items():
            expected = SECTION_KEYS.get(key)
            if expected is None:
                problems.append(f"guidance.{key}: unknown key ({', '.join(SECTION_KEYS)})")
            elif isinstance(value, bool) or not isinstance(value, expected):
                problems.append(f"guidance.{key}: wrong type")
        boost = settings.section("guidance").get("intent_boost", 0.25)
        if isinstance(boost, (int, float)) and not 0 <= boost <= 2:
            problems.append("guidance.intent_boost: must be between 0 and 2")
        for key in settings.plugin_options("guidance"):
            problems.append(f"plugins.guidance.{key}: unknown key (options live in [guidance])")
        return problems

    @hookimpl
    def configure(self, settings: Any) -> None:
        self.tz = ZoneInfo(settings.timezone)
        self.intent_boost = float(settings.section("guidance").get("intent_boost", 0.25))
        folder = guidance_folder(settings)
        if not folder.is_dir():
            self.problem = f"guidance folder not found: {folder}"
            log.warning("%s; the bot will offer a person instead of guidance", self.problem)
            self.documents, self.indexes, self.expired = [], {}, []
            return
        self.documents = load_documents(folder, known_intents(settings))
        self.problem = None
        self._build()

    def _build(self) -> None:
        today = self.today()
        self.loaded_on = today
        self.expired = [d for d in self.documents if d.expired(today)]
        for doc in self.expired:
            log.warning(
                "guidance document %s (%s) passed its review date %s and is not used",
                doc.id, doc.path.name, doc.review_date.isoformat(),
            )
        current = [d for d in self.documents if not d.expired(today)]
        self.indexes = {
            lang: LanguageIndex(lang, [d for d in current if d.language == lang])
            for lang in sorted({d.language for d in current})
        }

    def expired_documents(self) -> list[dict[str, str]]:
        """Documents not used because their review date has passed."""
        return [_describe(d) for d in self.expired]

    @hookimpl(trylast=True)
    def find_guidance(self, query: str, language: str, intent: str | None, limit: int) -> list[GuidancePassage] | None:
        if self.loaded_on is not None and self.today() != self.loaded_on:
            self._build()  # a document may have expired since yesterday
        index = self.indexes.get(language)
        if index is None:
            return None
        hits = index.search(query, intent, limit, self.intent_boost)
        return [
            GuidancePassage(
                doc_id=h.document.id,
                title=h.document.title,
                text=h.passage.text,
                source_url=h.document.source_url,
                approved_by=h.document.approved_by,
                review_date=h.document.review_date.isoformat(),
                score=h.score,
                plugin="guidance",
            )
            for h in hits
        ]

    @hookimpl
    def report_health(self) -> HealthReport:
        if self.problem:
            return HealthReport("guidance", "degraded", self.problem)
        current = len(self.documents) - len(self.expired)
        detail = f"{current} current documents"
        if self.expired:
            detail += "; expired (not used): " + ", ".join(
                f"{d.id} (review date {d.review_date.isoformat()})" for d in self.expired
            )
        return HealthReport("guidance", "ok", detail)
