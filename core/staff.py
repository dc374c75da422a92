"""Staff accounts, the audit log records, and the operator console's configuration.

Passwords are hashed with scrypt (standard library) and a per-account salt; only the hash is
stored. The audit log records who consulted or disclosed a transcript, when and why
(DPA 2018 s.62): every operator view, claim, reply, transfer, close and export.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

ROLES = ("operator", "admin")

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str) -> str:
    """``scrypt$<salt>$<hash>`` (base64) for ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a :func:`hash_password` value."""
    try:
        scheme, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(digest_b64)
    except (ValueError, TypeError):
        return False
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **_SCRYPT)
    return hmac.compare_digest(digest, expected)


@dataclass(frozen=True)
class OperatorRecord:
    """A member of staff who signs in to the console."""

    force: str
    username: str
    name: str
    role: str  # operator | admin
    queues: tuple[str, ...]
    password_hash: str
    active: bool = True

    def public(self) -> dict[str, Any]:
        return {"username": self.username, "name": self.name, "role": self.role, "queues": list(self.queues)}


@dataclass(frozen=True)
class AuditRecord:
    """One entry of the access log: who did what to which conversation, when and why."""

    force: str
    at: datetime
    actor: str
    action: str  # view, claim, reply, transfer, close, export, login, login_failed, audit_view, requeue
    conversation_id: str | None = None
    reason: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    id: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
            "conversation_id": self.conversation_id, "reason": self.reason, "detail": dict(self.detail),
        }


DEFAULT_OUTCOMES = (
    ("advice_given", "Advice given"),
    ("report_taken", "Report taken"),
    ("referred_partner", "Referred to a partner agency"),
    ("deployment_requested", "Officer deployment requested"),
    ("safeguarding_referral", "Safeguarding referral made"),
    ("identity_not_verified", "Identity could not be verified"),
    ("no_police_action", "No police action needed"),
    ("visitor_left", "Visitor left"),
)

CONSOLE_KEYS = {
    "demo_accounts", "outcomes", "canned", "average_handle_minutes", "operator_timeout_minutes",
    "session_hours",
}


def console_problems(section: Mapping[str, Any], queue_ids: set[str]) -> list[str]:
    """Validate ``[console]``; return ``"console.key: problem"`` strings."""
    problems = []
    for key in section:
        if key not in CONSOLE_KEYS:
            problems.append(f"console.{key}: unknown key")
    for i, acct in enumerate(section.get("demo_accounts", []) or []):
        where = f"console.demo_accounts[{i}]"
        if not isinstance(acct, Mapping):
            problems.append(f"{where}: must be a table")
            continue
        for req in ("username", "password", "name"):
            if not isinstance(acct.get(req), str) or not acct.get(req):
                problems.append(f"{where}.{req}: required")
        if acct.get("role", "operator") not in ROLES:
            problems.append(f"{where}.role: must be one of {', '.join(ROLES)}")
        for q in acct.get("queues", []) or []:
            if queue_ids and q not in queue_ids:
                problems.append(f"{where}.queues: unknown queue {q!r}")
    for i, item in enumerate(section.get("outcomes", []) or []):
        if not isinstance(item, Mapping) or not item.get("id") or not item.get("label"):
            problems.append(f"console.outcomes[{i}]: needs id and label")
    canned = section.get("canned", {}) or {}
    if not isinstance(canned, Mapping):
        problems.append("console.canned: must be a table of replies")
    else:
        for cid, reply in canned.items():
            if not isinstance(reply, Mapping) or not reply.get("title") or not reply.get("text"):
                problems.append(f"console.canned.{cid}: needs title and text")
    for key in ("average_handle_minutes", "operator_timeout_minutes", "session_hours"):
        value = section.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
            problems.append(f"console.{key}: must be a positive number")
    return problems


def outcomes(section: Mapping[str, Any]) -> list[dict[str, str]]:
    configured = section.get("outcomes") or []
    if configured:
        return [{"id": str(o["id"]), "label": str(o["label"])} for o in configured]
    return [{"id": k, "label": v} for k, v in DEFAULT_OUTCOMES]


def canned_replies(section: Mapping[str, Any]) -> list[dict[str, str]]:
    canned = section.get("canned", {}) or {}
    return [{"id": cid, "title": str(r["title"]), "text": str(r["text"])} for cid, r in canned.items()]
