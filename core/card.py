"""The handover card an operator sees: THRIVE headings filled from what is known.

THRIVE (Threat, Harm, Risk, Investigation, Vulnerability, Engagement) is how UK police contact
staff assess a contact. The card is built only from stored facts — risk signals with their
reasons, the intent, the details the journey collected, the language and the conversation's
course — and says "Not known" rather than guessing.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from .types import ConversationState

_VULNERABILITY_CATEGORIES = {
    "self_harm": "possible self-harm or suicide risk",
    "child_safeguarding": "a child may be at risk",
    "missing_person": "a vulnerable person may be missing",
    "exploitation": "possible exploitation",
    "domestic_abuse": "domestic abuse disclosed",
    "financial_abuse": "financial abuse of a vulnerable person",
    "sexual_offence": "sexual offence disclosed",
    "stalking_harassment": "stalking or harassment",
    "intimate_image_abuse": "threat to share intimate images",
    "hate_crime": "hate crime",
}
_HARM_CATEGORIES = {"threat_to_life", "violence_weapons", "self_harm", "domestic_abuse", "sexual_offence",
                    "fire_medical_road", "child_safeguarding"}
_INVESTIGATION_SLOTS = ("crime_reference", "when", "postcode", "location", "vehicle_reg", "description",
                        "what_happened", "suspect_description", "witnesses", "evidence")
_ENGAGEMENT_SLOTS = ("contact_preference", "phone", "email", "name", "anonymous")


def _signals(decisions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for d in decisions:
        for s in d.get("signals", []):
            key = (s.get("plugin"), s.get("rule_id") or s.get("model_version"), s.get("category"), s.get("matched_text"))
            if key not in seen:
                seen[key] = {**s, "turn": d.get("turn")}
    order = {"immediate": 3, "high": 2, "elevated": 1, "none": 0}
    return sorted(seen.values(), key=lambda s: (-order.get(s.get("level", "none"), 0), s.get("turn") or 0))


def waited_seconds(state: ConversationState, now: datetime | None = None) -> int:
    """How long the visitor waited in the queue: until the claim, or until now if still waiting."""
    if not state.queued_at:
        return 0
    try:
        since = datetime.fromisoformat(state.queued_at)
        until = datetime.fromisoformat(state.claimed_at) if state.claimed_at else (now or datetime.now(timezone.utc))
    except ValueError:
        return 0
    return max(0, int((until - since).total_seconds()))


def build_card(
    state: ConversationState,
    decisions: Sequence[Mapping[str, Any]],
    now: datetime | None = None,
    intent_label: str | None = None,
) -> dict[str, Any]:
    """The THRIVE handover card as JSON-ready data.

    :param state: the conversation's current state.
    :param decisions: the stored Decision dicts of the conversation, in turn order.
    """
    signals = _signals(decisions)
    cats = list(dict.fromkeys(s.get("category") for s in signals if s.get("category") and s.get("level") != "none"))
    slots = dict(state.slots)

    def describe(s: Mapping[str, Any]) -> str:
        why = s.get("rule_id") or s.get("model_version") or s.get("plugin") or ""
        matched = f" (\u201c{s['matched_text']}\u201d)" if s.get("matched_text") else ""
        return f"{s.get('level')}: {s.get('category')} — {s.get('reason', '')} [{why}]{matched}"

    threat = "; ".join(describe(s) for s in signals if s.get("level") in ("immediate", "high")) or (
        "No threat identified by the risk checks")
    harm_cats = [c for c in cats if c in _HARM_CATEGORIES]
    harm = ("Possible harm: " + ", ".join(c.replace("_", " ") for c in harm_cats)) if harm_cats else "No harm reported"
    if slots.get("anyone_hurt") or slots.get("injured"):
        harm += f"; injuries: {slots.get('anyone_hurt') or slots.get('injured')}"
    risk = f"Risk level {state.risk_level.value}" + (" — EMERGENCY: visitor told to call 999" if state.emergency else "")
    if state.handover_reasons:
        risk += "; handed over because: " + ", ".join(r.replace("_", " ") for r in state.handover_reasons)
    investigation_parts = [f"Category: {intent_label or state.intent or 'not known'}"]
    investigation_parts += [f"{k.replace('_', ' ')}: {slots[k]}" for k in _INVESTIGATION_SLOTS if slots.get(k)]
    if state.reference:
        investigation_parts.append(f"chat reference: {state.reference}")
    vulnerability = "; ".join(v for c, v in _VULNERABILITY_CATEGORIES.items() if c in cats) or "None identified"
    if state.language == "cy":
        vulnerability += "; visitor is using Welsh (Welsh Language Standards)"
    engagement_parts = [
        "language: " + ("Welsh (Cymraeg)" if state.language == "cy" else "English"),
        f"turns: {state.turn}",
    ]
    if state.asked_for_human:
        engagement_parts.append("asked to speak to a person")
    if state.misunderstood:
        engagement_parts.append(f"{state.misunderstood} messages not understood")
    engagement_parts += [f"{k.replace('_', ' ')}: {slots[k]}" for k in _ENGAGEMENT_SLOTS if slots.get(k)]
    return {
        "thrive": {
            "threat": threat,
            "harm": harm,
            "risk": risk,
            "investigation": "; ".join(investigation_parts),
            "vulnerability": vulnerability,
            "engagement": "; ".join(engagement_parts),
        },
        "signals": signals,
        "intent": intent_label or state.intent,
        "details": slots,
        "language": state.language,
        "risk_level": state.risk_level.value,
        "emergency": state.emergency,
        "handover_reasons": list(state.handover_reasons),
        "queue": state.queue,
        "priority": state.priority,
        "waited_seconds": waited_seconds(state, now),
        "reference": state.reference,
    }
