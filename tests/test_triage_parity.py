"""The batch ``switchboard triage`` decides a first message exactly as the live chat does."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from switchboard.cli import decision_row, main
from switchboard.web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
EVAL_RISK = ROOT / "training" / "data" / "eval" / "risk_eval.csv"
EVAL_INTENT = ROOT / "training" / "data" / "eval" / "intent_eval.csv"

HAND_WRITTEN = [
    "someone is trying to kick my back door in right now",
    "the lads on the corner are revving their bikes again every night",
    "I'd like an update on 12345/23 please",
    "my ex keeps turning up at my work and messaging me 50 times a day",
    "lost my purse on the number 9 bus yesterday",
    "got a text saying my parcel is held, paid £2.99 and now money's gone from my account",
    "can I talk to a person",
    "what time does the tip open",
]


def _sample() -> list[str]:
    texts = list(HAND_WRITTEN)
    for path, n in ((EVAL_RISK, 30), (EVAL_INTENT, 30)):
        if path.exists():
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            texts += [r["text"] for r in rows[:: max(1, len(rows) // n)][:n]]
    return texts


def _comparable(row: dict) -> dict:
    keys = ("emergency", "handover", "intent", "risk_level", "queue", "handover_reasons", "risk_categories")
    return {k: row[k] for k in keys}


def test_batch_triage_matches_live_first_message(sb_settings, tmp_path, capsys, monkeypatch):
    # The live chat routes with the queues' current load; batch triage has none. Make the
    # queues roomy so the comparison is about the decision, not about this test's own backlog.
    from switchboard.config import load_settings

    roomy = {q: {"max_waiting": 10_000} for q in load_settings(environ={}).section("queues")}
    settings = sb_settings(overrides={"limits": {"conversations_per_hour": 10_000}, "queues": roomy})
    texts = _sample()
    live = []
    app = create_app(settings)
    with TestClient(app) as client:
        for text in texts:
            conv = client.post("/api/v1/conversations", json={"site": "demo"}).json()
            r = client.post(f"/api/v1/conversations/{conv['id']}/messages", json={"text": text},
                            headers={"Authorization": "Bearer " + conv["token"]})
            assert r.status_code == 200, r.text
            stored = app.state.store.list_decisions(force="demo", conversation_id=conv["id"])
            assert len(stored) == 1
            d = stored[0].decision
            intent = d["intent"]
            live.append({
                "emergency": d["emergency"],
                "handover": d["handover"],
                "intent": intent["intent"] if intent and not intent["clarify"] else None,
                "risk_level": d["risk_level"],
                "queue": d["queue"]["queue"] if d["queue"] else None,
                "handover_reasons": d["handover_reasons"],
                "risk_categories": sorted({s["category"] for s in d["signals"]}),
            })
            # the visitor-facing state agrees with the decision
            assert r.json()["state"]["emergency"] == d["emergency"]

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)), encoding="utf-8")
    monkeypatch.setenv("SWITCHBOARD_DATA_DIR", str(settings.data_dir))
    assert main(["triage", "--format", "jsonl", str(src)]) == 0
    batch = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(batch) == len(texts)
    mismatches = [(texts[i], _comparable(b), live[i]) for i, b in enumerate(batch) if _comparable(b) != live[i]]
    assert not mismatches, mismatches[:3]
    # the sample exercises both paths, not just routine messages
    assert any(r["emergency"] for r in live) and any(r["intent"] for r in live)


def test_decision_row_fields_come_from_the_decision(sb_dispatcher):
    d = sb_dispatcher()
    row = decision_row("x", d.triage("can I talk to a person"))
    assert row["handover"] is True and "asked_for_human" in row["handover_reasons"]
    assert row["queue"]
