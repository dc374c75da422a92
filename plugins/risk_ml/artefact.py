"""Model artefacts and the registry folder: safe loading, verified against the model card.

Layout of the registry (``settings.models_dir``, by default ``<data_dir>/models``)::

    <kind>/<version>/model.joblib   the artefact (a dict holding the fitted Pipeline(s))
    <kind>/<version>/card.json      the model card (sha256 of the artefact, versions, metrics, ...)
    <kind>/<version>/report.html    the evaluation report
    <kind>/CURRENT                  the promoted version id (one line)
    <kind>/history.jsonl            promotions and rollbacks: who, when, why

A joblib file executes code when it is loaded, so :func:`load_model` loads an artefact only if
its sha256 equals the one recorded in the card and the card's scikit-learn and numpy versions
equal the installed ones. Anything else is a :class:`~switchboard.errors.ModelLoadError` naming
the file and what to do.

``training/`` writes this layout; the plugins only read it.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from switchboard.errors import ModelLoadError

from .features import CUE_VERSION, FastModel, cue_lexicon_sha256

MODEL_FILE = "model.joblib"
CARD_FILE = "card.json"
REPORT_FILE = "report.html"
CURRENT_FILE = "CURRENT"
HISTORY_FILE = "history.jsonl"
ARTEFACT_FORMAT = 1
KINDS = ("risk", "intent")

#: Libraries whose exact version must match between training and loading.
PINNED_LIBRARIES = ("sklearn", "numpy")


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """Versions recorded in a model card and checked at load."""
    import numpy
    import scipy
    import sklearn

    return {
        "sklearn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
    }


def kind_dir(models_dir: Path, kind: str) -> Path:
    return Path(models_dir) / kind


def current_file(models_dir: Path, kind: str) -> Path:
    return kind_dir(models_dir, kind) / CURRENT_FILE


def read_current(models_dir: Path, kind: str) -> str | None:
    """The promoted version id of ``kind``, or ``None`` when nothing is promoted."""
    path = current_file(models_dir, kind)
    try:
        version = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ModelLoadError(path, f"cannot read ({exc.strerror})") from None
    return version or None


def read_card(model_dir: Path) -> dict[str, Any]:
    """Read and minimally check a model card."""
    path = Path(model_dir) / CARD_FILE
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelLoadError(path, "model card not found (is this a model directory written by `switchboard train`?)") from None
    except OSError as exc:
        raise ModelLoadError(path, f"cannot read model card ({exc.strerror})") from None
    try:
        card = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ModelLoadError(path, f"model card is not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(card, dict):
        raise ModelLoadError(path, "model card must be a JSON object")
    for key in ("version", "kind", "artefact_sha256", "versions", "classes"):
        if key not in card:
            raise ModelLoadError(path, f"model card has no {key!r}")
    return card


@dataclass(frozen=True)
class LoadedModel:
    """A verified, loaded model ready to serve."""

    version: str
    kind: str
    path: Path
    card: Mapping[str, Any]
    pipeline: Any
    category_pipeline: Any | None
    fast: FastModel

    @property
    def thresholds(self) -> Mapping[str, float]:
        return self.card.get("thresholds", {}) or {}

    @property
    def has_category_head(self) -> bool:
        return self.category_pipeline is not None


def load_model(model_dir: str | Path, kind: str | None = None) -> LoadedModel:
    """Load a model directory after verifying its artefact against its card.

    :param model_dir: a folder with ``model.joblib`` and ``card.json``.
    :param kind: ``"risk"`` or ``"intent"``; refuse a card of another kind.
    :raises ModelLoadError: naming the file: missing, tampered (sha256 mismatch), trained with
        other scikit-learn / numpy versions, of the wrong kind, or not a switchboard artefact.
    """
    model_dir = Path(model_dir)
    card = read_card(model_dir)
    card_path = model_dir / CARD_FILE
    if kind is not None and card["kind"] != kind:
        raise ModelLoadError(card_path, f"this is a {card['kind']!r} model, expected a {kind!r} model")
    artefact = model_dir / MODEL_FILE
    if not artefact.is_file():
        raise ModelLoadError(artefact, "model artefact not found")
    actual = sha256_file(artefact)
    expected = str(card["artefact_sha256"])
    if actual != expected:
        raise ModelLoadError(
            artefact,
            f"sha256 {actual[:12]}… does not match the model card ({expected[:12]}…): the file was changed "
            "after training; refusing to load it (restore it or retrain)",
        )
    installed = library_versions()
    trained = card.get("versions") or {}
    for lib in PINNED_LIBRARIES:
        if str(trained.get(lib)) != installed[lib]:
            name = "scikit-learn" if lib == "sklearn" else lib
            raise ModelLoadError(
                artefact,
                f"trained with {name} {trained.get(lib)}, this installation has {name} {installed[lib]}; "
                "retrain it with `switchboard train` (refusing to unpickle across versions)",
            )
    try:
        import joblib

        bundle = joblib.load(artefact)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a load error
        raise ModelLoadError(artefact, f"cannot load artefact ({type(exc).__name__}: {exc})") from None
    if not isinstance(bundle, dict) or bundle.get("format") != ARTEFACT_FORMAT or "pipeline" not in bundle:
        raise ModelLoadError(artefact, "not a switchboard model artefact (unexpected contents)")
    pipeline = bundle["pipeline"]
    category = bundle.get("category_pipeline")
    try:
        fast = FastModel(pipeline, heads=[category] if category is not None else [])
    except (KeyError, AttributeError, ValueError) as exc:
        raise ModelLoadError(artefact, f"unsupported pipeline ({exc})") from None
    if fast.preprocessor == "prepare_cued":
        described = card.get("model") or {}
        if described.get("cue_version") != CUE_VERSION:
            raise ModelLoadError(
                card_path,
                f"the model was trained with context-cue words of version {described.get('cue_version')}, this "
                f"installation writes version {CUE_VERSION}; retrain it with `switchboard train`",
            )
        trained_with = described.get("cue_lexicon_sha256")
        current = cue_lexicon_sha256()
        if trained_with != current:
            raise ModelLoadError(
                card_path,
                "the model reads context cues from the keyword plugin's lexicon.toml, which is not the one it was "
                f"trained with (sha256 {str(trained_with)[:12]}… in the card, {current[:12]}… installed); "
                "retrain it with `switchboard train`",
            )
    if [str(c) for c in card["classes"]] != fast.classes:
        raise ModelLoadError(card_path, "classes in the model card do not match the artefact")
    return LoadedModel(
        version=str(card["version"]),
        kind=str(card["kind"]),
        path=model_dir,
        card=card,
        pipeline=pipeline,
        category_pipeline=category,
        fast=fast,
    )


def load_current(models_dir: Path, kind: str) -> LoadedModel:
    """Load the promoted model of ``kind`` from the registry.

    :raises ModelLoadError: when nothing is promoted or the promoted model does not verify.
    """
    version = read_current(models_dir, kind)
    if version is None:
        raise ModelLoadError(
            current_file(models_dir, kind),
            f"no {kind} model is promoted (run `switchboard models ensure-defaults` or `switchboard models promote`)",
        )
    folder = kind_dir(models_dir, kind) / version
    if not folder.is_dir():
        raise ModelLoadError(folder, f"promoted {kind} model {version!r} is missing from the registry")
    return load_model(folder, kind)
