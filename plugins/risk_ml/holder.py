"""Serve one model kind and swap in a newly promoted version without a restart.

Each message takes one reference to the current :class:`LoadedModel` (``holder.get()``) and uses
it to the end, so a swap never affects a message in flight. ``get`` looks at the registry's
``CURRENT`` file at most once per ``reload_interval`` seconds (one ``stat``); when it changed, the
new version is loaded and verified in a background thread and then swapped in with a single
reference assignment. A new version that fails to load is logged loudly and the old one keeps
serving (health reports ``degraded`` with the reason).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from switchboard.errors import ModelLoadError
from switchboard.types import HealthReport, Message

from .artefact import LoadedModel, current_file, load_current, load_model

log = logging.getLogger("switchboard.models")


class ModelHolder:
    """Holds the served model of one kind (``"risk"`` or ``"intent"``).

    :param kind: the model kind.
    :param component: the name used in health reports (the plugin name).
    """

    def __init__(self, kind: str, component: str) -> None:
        self.kind = kind
        self.component = component
        self.models_dir: Path | None = None
        self.pinned: Path | None = None
        self.reload_interval = 1.0
        self.background = True
        self._model: LoadedModel | None = None
        self._error: str | None = None
        self._last_check = 0.0
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._loader: threading.Thread | None = None

    # -- set-up ---------------------------------------------------------------------------------------
    def configure(
        self, models_dir: Path, pinned: Path | None = None, reload_interval: float = 1.0, background: bool = True
    ) -> None:
        """Point the holder at a registry (or a pinned model folder) and load now.

        Never raises: a problem is logged at ERROR and kept for :meth:`health`. Call
        :meth:`require` to turn a missing model into a start-up error.
        """
        self.models_dir = Path(models_dir)
        self.pinned = Path(pinned) if pinned else None
        self.reload_interval = max(0.0, float(reload_interval))
        self.background = background
        self._stamp = self._current_stamp()
        self._last_check = time.monotonic()
        try:
            model = load_model(self.pinned, self.kind) if self.pinned else load_current(self.models_dir, self.kind)
        except ModelLoadError as exc:
            self._fail(exc)
            return
        self._model = model
        self._error = None
        log.info("%s model %s loaded from %s", self.kind, model.version, model.path)

    def require(self) -> None:
        """Raise the load problem, if any (for ``models.require = true`` deployments)."""
        if self._model is None:
            where = str(self.pinned or (self.models_dir or Path(".")))
            raise ModelLoadError(where, self._error or f"no {self.kind} model loaded")

    # -- serving --------------------------------------------------------------------------------------
    def get(self) -> LoadedModel | None:
        """The model to use for one message (check the registry at most once per interval)."""
        if self.pinned is None and self.models_dir is not None:
            now = time.monotonic()
            if now - self._last_check >= self.reload_interval:
                self._last_check = now
                self._check()
        return self._model

    @property
    def version(self) -> str | None:
        model = self._model
        return model.version if model else None

    def health(self) -> HealthReport:
        model = self._model
        if model is None:
            return HealthReport(self.component, "degraded", self._error or f"no {self.kind} model loaded")
        if self._error:
            return HealthReport(self.component, "degraded", f"serving {model.version}; {self._error}")
        return HealthReport(self.component, "ok", f"{self.kind} model {model.version}")

    # -- hot swap -------------------------------------------------------------------------------------
    def _current_stamp(self) -> tuple[int, int] | None:
        if self.models_dir is None:
            return None
        try:
            st = current_file(self.models_dir, self.kind).stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def _check(self) -> None:
        stamp = self._current_stamp()
        if stamp == self._stamp:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is already swapping
        try:
            if self._loader is not None and self._loader.is_alive():
                return
            self._stamp = stamp
            if self.background:
                self._loader = threading.Thread(target=self._reload, name=f"{self.kind}-model-loader", daemon=True)
                self._loader.start()
            else:
                self._reload()
        finally:
            self._lock.release()

    def refresh(self) -> None:
        """Check the registry now and wait for any reload to finish (tests, admin commands)."""
        self._last_check = time.monotonic()
        stamp = self._current_stamp()
        if stamp != self._stamp:
            self._stamp = stamp
            self._reload()
        loader = self._loader
        if loader is not None:
            loader.join()

    def _reload(self) -> None:
        if self.models_dir is None:
            return
        try:
            model = load_current(self.models_dir, self.kind)
        except ModelLoadError as exc:
            self._fail(exc)
            return
        except Exception as exc:  # noqa: BLE001 - a loader thread must never die silently
            self._fail(ModelLoadError(self.models_dir, f"{type(exc).__name__}: {exc}"))
            return
        old = self._model
        if old is not None and old.version == model.version and old.card.get("artefact_sha256") == model.card.get(
            "artefact_sha256"
        ):
            self._error = None
            return
        self._model = model  # one reference assignment: in-flight messages keep the old model
        self._error = None
        log.warning(
            "%s model swapped: %s -> %s", self.kind, old.version if old else "(none)", model.version
        )

    def _fail(self, exc: ModelLoadError) -> None:
        self._error = str(exc)
        if self._model is None:
            log.error(
                "%s model NOT LOADED: %s. The %s plugin is degraded%s.",
                self.kind, exc, self.component,
                " (risk detection runs on keyword rules only)" if self.kind == "risk" else "",
            )
        else:
            log.error("%s model update refused: %s; still serving %s", self.kind, exc, self._model.version)


class BatchAnswers:
    """The answers a model plugin worked out for a batch of messages (``prepare_batch``).

    They are kept with the model that gave them: after a hot swap, :meth:`lookup` finds nothing
    and the plugin scores the message as usual, so a batch never changes an answer. Only the
    last batch is kept; an empty batch drops it.
    """

    def __init__(self) -> None:
        self._kept: tuple[LoadedModel | None, dict[str, Any]] = (None, {})

    def prepare(
        self,
        model: LoadedModel | None,
        messages: Sequence[Message],
        answer_all: Callable[[LoadedModel, list[str]], Sequence[Any]],
    ) -> None:
        """Work out ``answer_all(model, texts)`` for the distinct normalised texts of ``messages``."""
        self._kept = (None, {})
        texts = list(dict.fromkeys(m.normalised for m in messages if m.normalised))
        if model is None or not texts:
            return
        answers = answer_all(model, texts)
        self._kept = (model, dict(zip(texts, answers)))

    def lookup(self, model: LoadedModel, normalised: str) -> tuple[bool, Any]:
        """``(True, answer)`` if this model answered this text in the last batch, else ``(False, None)``."""
        kept_model, answers = self._kept
        if kept_model is not model:
            return False, None
        if normalised in answers:
            return True, answers[normalised]
        return False, None
