"""The model registry folder: list, import, promote (behind the safety gate), roll back.

Every promotion and rollback is appended to ``<kind>/history.jsonl`` with who (``$USER``), when,
the previous version, and for a forced promotion the reason and the failed gate figures.
``CURRENT`` is replaced atomically, so a running server (which checks it about once a second)
swaps models between messages, never during one.
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from switchboard.errors import DataError, ModelLoadError
from switchboard.plugins.risk_ml.artefact import (
    CARD_FILE,
    HISTORY_FILE,
    KINDS,
    current_file,
    kind_dir,
    load_model,
    read_card,
    read_current,
)


class PromotionRefused(DataError):
    """The model failed the safety gate and the promotion was not forced."""


@dataclass(frozen=True)
class GateResult:
    passed: bool
    figures: dict[str, Any]
    failures: tuple[str, ...] = ()


def who() -> str:
    return os.environ.get("USER") or _getuser()


def _getuser() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "unknown"


def history_path(models_dir: Path, kind: str) -> Path:
    return kind_dir(models_dir, kind) / HISTORY_FILE


def read_history(models_dir: Path, kind: str) -> list[dict[str, Any]]:
    path = history_path(models_dir, kind)
    if not path.exists():
        return []
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            raise DataError(f"{path}:{lineno}", "history line is not valid JSON") from None
    return out


def _append_history(models_dir: Path, kind: str, record: dict[str, Any]) -> None:
    path = history_path(models_dir, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def write_current(models_dir: Path, kind: str, version: str) -> None:
    """Replace ``CURRENT`` atomically (write a temp file, then rename over it)."""
    target = current_file(models_dir, kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".CURRENT.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(version + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def list_versions(models_dir: Path, kind: str) -> list[dict[str, Any]]:
    """Every model folder of ``kind`` with headline figures, newest first."""
    folder = kind_dir(models_dir, kind)
    current = read_current(models_dir, kind)
    out = []
    if not folder.is_dir():
        return out
    for sub in sorted(folder.iterdir()):
        if not (sub / CARD_FILE).is_file():
            continue
        try:
            card = read_card(sub)
        except ModelLoadError as exc:
            out.append({"version": sub.name, "current": sub.name == current, "problem": exc.reason, "created_at": ""})
            continue
        cv = (card.get("cross_validation") or {}).get("summary", {})
        out.append({
            "version": card["version"],
            "current": card["version"] == current,
            "created_at": card.get("created_at", ""),
            "rows": sum((card.get("label_counts") or {}).values()),
            "cv": cv,
            "thresholds": card.get("thresholds", {}),
        })
    out.sort(key=lambda r: r.get("created_at", ""), reverse=True)
    return out


def locate(models_dir: Path, version_or_path: str, kind: str | None = None) -> tuple[str, Path]:
    """Find a model by version id in the registry, or by folder path; returns ``(kind, folder)``."""
    path = Path(version_or_path)
    if (path / CARD_FILE).is_file():
        card = read_card(path)
        return str(card["kind"]), path
    for k in ([kind] if kind else list(KINDS)):
        folder = kind_dir(models_dir, k) / version_or_path
        if (folder / CARD_FILE).is_file():
            return k, folder
    raise DataError(version_or_path, f"no such model version in {models_dir} (see `switchboard models list`)")


def import_model(models_dir: Path, folder: Path) -> tuple[str, str, Path]:
    """Copy a model folder into the registry (verifying it first); returns ``(kind, version, folder)``."""
    model = load_model(folder)
    target = kind_dir(models_dir, model.kind) / model.version
    if target.resolve() == Path(folder).resolve():
        return model.kind, model.version, target
    if target.exists():
        existing = read_card(target)
        if existing.get("artefact_sha256") != model.card.get("artefact_sha256"):
            raise DataError(str(target), "a different model with this version id is already in the registry")
        return model.kind, model.version, target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".import-", dir=target.parent))
    try:
        for item in Path(folder).iterdir():
            if item.is_file():
                shutil.copy2(item, tmp / item.name)
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    load_model(target, model.kind)  # verify the copy
    return model.kind, model.version, target


def promote(
    models_dir: Path,
    version_or_path: str,
    gate: Callable[[str, Path], GateResult],
    kind: str | None = None,
    force: bool = False,
    reason: str = "",
    action: str = "promote",
) -> dict[str, Any]:
    """Make a model the served one, if it passes the safety gate (or ``force`` with a reason).

    :param gate: called with ``(kind, model folder)``; its figures are recorded.
    :raises PromotionRefused: gate failed and not forced.
    :raises ModelLoadError: the model does not verify (never promoted, even when forced).
    """
    if force and not reason.strip():
        raise DataError("--reason", "a forced promotion needs --reason \"why\" (it is recorded)")
    found_kind, folder = locate(models_dir, version_or_path, kind)
    if kind and found_kind != kind:
        raise DataError(version_or_path, f"this is a {found_kind} model, not {kind}")
    found_kind, version, folder = import_model(models_dir, folder)
    result = gate(found_kind, folder)
    if not result.passed and not force:
        raise PromotionRefused(
            version,
            "refused: fails the safety gate (" + "; ".join(result.failures) + "). "
            "Fix the model, or use --force --reason \"...\" (recorded)",
        )
    previous = read_current(models_dir, found_kind)
    write_current(models_dir, found_kind, version)
    record = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "who": who(),
        "action": action,
        "kind": found_kind,
        "version": version,
        "previous": previous,
        "forced": bool(force and not result.passed),
        "reason": reason,
        "gate": {"passed": result.passed, "figures": result.figures, "failures": list(result.failures)},
    }
    _append_history(models_dir, found_kind, record)
    return record


def promoted_stack(models_dir: Path, kind: str) -> list[str]:
    """The chain of promoted versions (last = current) as history records it."""
    stack: list[str] = []
    for rec in read_history(models_dir, kind):
        if rec.get("action") in ("promote", "ensure-defaults"):
            stack.append(rec["version"])
        elif rec.get("action") == "rollback":
            if stack:
                stack.pop()
            if not stack or stack[-1] != rec["version"]:
                stack.append(rec["version"])
    return stack


def rollback(models_dir: Path, kind: str, reason: str = "") -> dict[str, Any]:
    """Serve the version promoted before the current one again.

    :raises DataError: nothing to roll back to.
    :raises ModelLoadError: the earlier model no longer verifies (tampered, other versions).
    """
    stack = promoted_stack(models_dir, kind)
    current = read_current(models_dir, kind)
    if current and stack and stack[-1] != current:
        stack.append(current)
    if len(stack) < 2:
        raise DataError(str(history_path(models_dir, kind)), f"no earlier promoted {kind} model to roll back to")
    target = stack[-2]
    load_model(kind_dir(models_dir, kind) / target, kind)
    write_current(models_dir, kind, target)
    record = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "who": who(),
        "action": "rollback",
        "kind": kind,
        "version": target,
        "previous": current,
        "forced": False,
        "reason": reason,
    }
    _append_history(models_dir, kind, record)
    return record
