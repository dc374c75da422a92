"""Each default journey can be completed end to end by a new visitor through the visitor API."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from switchboard.web.app import create_app

_spec = importlib.util.spec_from_file_location(
    "journey_scripts", Path(__file__).with_name("test_journeys_defaults.py"))
_scripts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_scripts)  # type: ignore[union-attr]
SCRIPTS = _scripts.SCRIPTS
REF = re.compile(r"\bDC-[2-9A-HJKMNP-Z]{6}\b")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from switchboard.config import load_settings

    settings = load_settings(environ={}, overrides={
        "storage": {"data_dir": str(tmp_path_factory.mktemp("data"))},
        "limits": {"conversations_per_hour": 1000, "messages_per_minute": 1000},
    })
    application = create_app(settings)
    with TestClient(application) as client:
        application.state.client = client
        yield application


def _walk(app, intent: str, answers: dict[str, str], language: str = "en") -> tuple[dict, list[dict], str]:
    c = app.state.client
    conv = c.post("/api/v1/conversations", json={"site": "demo"}).json()
    auth = {"Authorization": "Bearer " + conv["token"]}
    url = f"/api/v1/conversations/{conv['id']}/messages"
    transcript = list(conv["messages"])
    if language == "cy":
        r = c.post(url, json={"choice": "lang:cy"}, headers=auth)
        transcript += r.json()["messages"]
    # the visitor picks the category from the buttons the bot offered
    offered = [o["id"] for m in transcript for o in m.get("options", [])]
    assert f"intent:{intent}" in offered
    r = c.post(url, json={"choice": f"intent:{intent}"}, headers=auth)
    assert r.status_code == 200, r.text
    transcript += r.json()["messages"]
    state = r.json()["state"]
    for _ in range(25):
        inner = app.state.service.get(conv["id"]).state
        if inner.outcome or state["handover"]:
            return state, transcript, conv["id"]
        answer = answers[inner.step]
        body = {"choice": answer[1:]} if answer.startswith("!") else {"text": answer}
        r = c.post(url, json=body, headers=auth)
        assert r.status_code == 200, r.text
        transcript += r.json()["messages"]
        state = r.json()["state"]
    raise AssertionError(f"{intent}: no outcome")


@pytest.mark.parametrize("intent", sorted(SCRIPTS))
def test_default_journey_end_to_end_through_the_api(app, intent):
    state, transcript, cid = _walk(app, intent, SCRIPTS[intent])
    inner = app.state.service.get(cid).state
    assert inner.intent == intent and state["intent"] == intent
    assert inner.outcome in ("summary", "handover", "self_service")
    if inner.outcome == "summary":
        summary = [m for m in transcript if m["role"] == "bot" and REF.search(m["text"])]
        assert summary and inner.reference and inner.reference in summary[-1]["text"]
    if inner.outcome == "handover":
        assert state["handover"] is True and state["queue"]
    # every bot sentence came from configuration, a journey file or approved guidance
    assert all(m["text"] for m in transcript if m["role"] == "bot")
    # decisions were stored for every visitor turn
    decisions = app.state.store.list_decisions(force="demo", conversation_id=cid)
    visitor_turns = [m for m in transcript if m["role"] == "visitor"]
    assert len(decisions) == len(visitor_turns)


@pytest.mark.parametrize("intent", ["anti_social_behaviour", "lost_found_property", "follow_up"])
def test_welsh_visitor_journey_through_the_api(app, intent):
    state, transcript, cid = _walk(app, intent, SCRIPTS[intent], language="cy")
    assert state["language"] == "cy"
    bot = [m["text"] for m in transcript if m["role"] == "bot"]
    assert any(t.startswith("Helo") for t in bot)
    assert app.state.service.get(cid).state.outcome is not None


def test_crime_reference_in_first_message_is_not_asked_again(app):
    c = app.state.client
    conv = c.post("/api/v1/conversations", json={"site": "demo"}).json()
    auth = {"Authorization": "Bearer " + conv["token"]}
    r = c.post(f"/api/v1/conversations/{conv['id']}/messages",
               json={"text": "Hi, I'm chasing an update on my report, crime ref 12345/23"}, headers=auth)
    assert r.status_code == 200
    inner = app.state.service.get(conv["id"]).state
    assert inner.intent == "follow_up"
    assert inner.slots.get("crime_reference") == "12345/23"
    assert inner.step != "crime_reference"
    asked = " ".join(m["text"] for m in r.json()["messages"] if m["role"] == "bot").lower()
    assert "reference" not in asked or "12345/23" in asked
