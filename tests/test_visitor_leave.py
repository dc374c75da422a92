"""``POST /api/v1/conversations/{id}/leave`` and ``ConversationService.leave``: the visitor
left (quick exit by ``navigator.sendBeacon`` or "End chat")."""

from __future__ import annotations

import json
from typing import Any, Mapping

import pytest
from starlette.testclient import TestClient

from switchboard.store.pubsub import InProcessPubSub, conversation_channel
from switchboard.web.app import create_app
from switchboard.web.console import console_channel

API = "/api/v1/conversations"


class RecordingPubSub(InProcessPubSub):
    """The in-process fan-out, remembering every payload published."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[tuple[str, dict[str, Any]]] = []

    def publish(self, channel: str, payload: Mapping[str, Any]) -> None:
        self.published.append((channel, dict(payload)))
        super().publish(channel, payload)

    def on(self, channel: str) -> list[dict[str, Any]]:
        return [p for c, p in self.published if c == channel]


@pytest.fixture
def app(sb_settings):
    clients: list[TestClient] = []

    def make(**dotted: Any) -> tuple[TestClient, RecordingPubSub]:
        pubsub = RecordingPubSub()
        client = TestClient(create_app(sb_settings(**dotted), pubsub=pubsub))
        client.__enter__()
        clients.append(client)
        return client, pubsub

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def _start(c: TestClient) -> dict[str, Any]:
    r = c.post(API, json={"site": "demo"})
    assert r.status_code == 201, r.text
    return r.json()


def _auth(conv: Mapping[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {conv['token']}"}


def _leave(c: TestClient, conv: Mapping[str, Any], **kw: Any):
    kw.setdefault("headers", _auth(conv))
    return c.post(f"{API}/{conv['id']}/leave", **kw)


def _state(c: TestClient, conv: Mapping[str, Any]) -> dict[str, Any]:
    return c.get(f"{API}/{conv['id']}", headers=_auth(conv)).json()["state"]


def _error(resp, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json()["error"]["code"] == code


def _handover(c: TestClient, conv: Mapping[str, Any]) -> None:
    r = c.post(f"{API}/{conv['id']}/messages", json={"choice": "human"}, headers=_auth(conv))
    assert r.status_code == 200 and r.json()["state"]["status"] == "queued", r.text


def _events(c: TestClient, conv: Mapping[str, Any], type: str) -> list[Any]:
    return [e.event for e in c.app.state.store.list_events(force="demo", conversation_id=conv["id"], type=type)]


def _claim(c: TestClient, conv: Mapping[str, Any]) -> None:
    login = c.post("/console/api/login", json={"username": "operator", "password": "demo-operator"},
                   headers={"Origin": "http://testserver"})
    assert login.status_code == 200, login.text
    r = c.post(f"/console/api/conversations/{conv['id']}/claim", headers={"Origin": "http://testserver"})
    assert r.status_code == 200, r.text


def test_leave_with_the_bearer_header_closes_the_chat_and_records_it(app):
    c, pubsub = app()
    conv = _start(c)
    r = _leave(c, conv)
    assert r.status_code == 200, r.text
    assert r.json() == {"id": conv["id"], "state": {**conv["state"], "status": "closed"}}
    assert _state(c, conv)["status"] == "closed"
    stored = c.app.state.store.get_conversation(force="demo", conversation_id=conv["id"])
    assert stored.state.outcome == "visitor_left"
    [left] = _events(c, conv, "visitor.left")
    assert left.data["from"] == "bot" and left.data["operator"] is None and left.schema_version == 1
    assert left.data["emergency"] is False and left.data["risk_level"] == "none"
    assert [e.data for e in _events(c, conv, "status.changed")] == [{"from": "bot", "to": "closed"}]
    # the new state on the live channel, the console told, nothing said to the visitor
    assert {"type": "state", "state": r.json()["state"]} in pubsub.on(conversation_channel("demo", conv["id"]))
    assert pubsub.on(console_channel("demo")).count({"type": "visitor_left", "conversation_id": conv["id"]}) == 1
    messages = c.get(f"{API}/{conv['id']}", headers=_auth(conv)).json()["messages"]
    assert [m["kind"] for m in messages] == ["greeting"]


def test_leave_with_the_token_in_a_text_plain_body_as_send_beacon_does(app):
    c, pubsub = app()
    conv = _start(c)
    r = c.post(f"{API}/{conv['id']}/leave", content=json.dumps({"token": conv["token"]}).encode(),
               headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert r.status_code == 200, r.text
    assert r.json()["state"]["status"] == "closed"
    assert _state(c, conv)["status"] == "closed"
    assert len(_events(c, conv, "visitor.left")) == 1
    assert {"type": "visitor_left", "conversation_id": conv["id"]} in pubsub.on(console_channel("demo"))


def test_leaving_twice_is_idempotent(app):
    c, pubsub = app()
    conv = _start(c)
    first = _leave(c, conv)
    second = _leave(c, conv, content=json.dumps({"token": conv["token"]}), headers={"Content-Type": "text/plain"})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(_events(c, conv, "visitor.left")) == 1
    assert len(_events(c, conv, "status.changed")) == 1
    assert [p for p in pubsub.on(console_channel("demo")) if p["type"] == "visitor_left"] == [
        {"type": "visitor_left", "conversation_id": conv["id"]}]


def test_leaving_a_chat_an_operator_closed_changes_nothing(app):
    c, _ = app()
    conv = _start(c)
    _handover(c, conv)
    _claim(c, conv)
    closed = c.post(f"/console/api/conversations/{conv['id']}/close", json={"outcome": "advice_given"},
                    headers={"Origin": "http://testserver"})
    assert closed.status_code == 200, closed.text
    r = _leave(c, conv)
    assert r.status_code == 200 and r.json()["state"]["status"] == "closed"
    stored = c.app.state.store.get_conversation(force="demo", conversation_id=conv["id"])
    assert stored.state.outcome == "advice_given"  # the operator's outcome stands
    assert _events(c, conv, "visitor.left") == []


def test_auth_errors_and_unknown_conversation(app):
    c, pubsub = app()
    conv = _start(c)
    url = f"{API}/{conv['id']}/leave"
    _error(c.post(url), 401, "unauthorized")
    _error(c.post(url, headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    _error(c.post(url, content=json.dumps({"token": "wrong"}), headers={"Content-Type": "text/plain"}),
           401, "unauthorized")
    other = _start(c)
    _error(c.post(url, headers=_auth(other)), 401, "unauthorized")  # a token opens one chat
    _error(c.post(f"{API}/nosuchchat/leave", headers=_auth(conv)), 404, "not_found")
    _error(c.post(f"{API}/nosuchchat/leave", content=json.dumps({"token": conv["token"]})), 404, "not_found")
    assert _state(c, conv)["status"] == "bot"
    assert _events(c, conv, "visitor.left") == []
    assert not [p for p in pubsub.on(console_channel("demo")) if p["type"] == "visitor_left"]


@pytest.mark.parametrize(
    "body, status, code",
    [
        (b"{not json", 400, "bad_json"),
        (b'{"token": 5}', 422, "invalid_field"),
        (b'{"token": ""}', 422, "invalid_field"),
        (b"[1]", 422, "invalid_field"),
        (b'{"reason": "bored"}', 422, "unknown_field"),
    ],
)
def test_bad_bodies(app, body, status, code):
    c, _ = app()
    conv = _start(c)
    _error(_leave(c, conv, content=body), status, code)
    assert _state(c, conv)["status"] == "bot"


def test_other_origins_may_not_end_a_chat(app):
    c, _ = app()
    conv = _start(c)
    _error(_leave(c, conv, headers={**_auth(conv), "Origin": "https://evil.example"}), 403, "origin_not_allowed")
    assert _state(c, conv)["status"] == "bot"


def test_a_message_after_leaving_gets_the_configured_closed_notice(app):
    c, _ = app()
    conv = _start(c)
    assert _leave(c, conv).status_code == 200
    r = c.post(f"{API}/{conv['id']}/messages", json={"text": "hello again"}, headers=_auth(conv))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"]["status"] == "closed"
    visitor, *replies = body["messages"]
    assert visitor["role"] == "visitor" and visitor["text"] == "hello again"  # still stored
    settings = c.app.state.settings
    assert [(m["role"], m["kind"], m["text"]) for m in replies] == [("system", "notice", settings.text("closed"))]


def test_leaving_while_queued_moves_the_others_up(app):
    c, pubsub = app()
    first, second = _start(c), _start(c)
    _handover(c, first)
    _handover(c, second)
    channel = conversation_channel("demo", second["id"])
    assert [p["position"] for p in pubsub.on(channel) if p["type"] == "queue"][-1] == 2
    assert _leave(c, first).status_code == 200
    last = [p for p in pubsub.on(channel) if p["type"] == "queue"][-1]
    assert last["position"] == 1 and last["queue"] == "contact_centre"
    [left] = _events(c, first, "visitor.left")
    assert left.data["from"] == "queued" and left.data["queue"] == "contact_centre"
    assert isinstance(left.data["waited_seconds"], int)


def test_leaving_a_chat_with_an_operator_tells_the_operator(app):
    c, pubsub = app()
    conv = _start(c)
    _handover(c, conv)
    _claim(c, conv)
    r = _leave(c, conv)
    assert r.status_code == 200 and r.json()["state"]["status"] == "closed"
    messages = c.app.state.store.list_messages(force="demo", conversation_id=conv["id"])
    notice = messages[-1]
    assert (notice.role, notice.kind, notice.text) == ("system", "visitor_left", "Visitor left")
    [left] = _events(c, conv, "visitor.left")
    assert left.data["from"] == "with_operator" and left.data["operator"] == "operator"
    # the operator's view shows it (it is their transcript too)
    view = c.get(f"/console/api/conversations/{conv['id']}").json()
    assert view["state"]["status"] == "closed" and view["messages"][-1]["kind"] == "visitor_left"
    assert {"type": "visitor_left", "conversation_id": conv["id"]} in pubsub.on(console_channel("demo"))


def test_the_operator_notice_text_comes_from_the_console_outcomes(app):
    c, _ = app(console__outcomes=[{"id": "advice_given", "label": "Advice given"},
                                  {"id": "visitor_left", "label": "The caller ended the chat"}])
    conv = _start(c)
    _handover(c, conv)
    _claim(c, conv)
    assert _leave(c, conv).status_code == 200
    notice = c.app.state.store.list_messages(force="demo", conversation_id=conv["id"])[-1]
    assert notice.text == "The caller ended the chat"


def test_service_decides_again_when_the_chat_was_claimed_meanwhile(app):
    """The visitor leaves just as an operator claims: the operator must still be told."""
    c, _ = app()
    conv = _start(c)
    _handover(c, conv)
    service = c.app.state.service
    stale = service.get(conv["id"])  # still queued
    _claim(c, conv)
    real_get = service.get
    calls = {"n": 0}

    def get_once_stale(cid):
        calls["n"] += 1
        return stale if calls["n"] == 1 else real_get(cid)

    service.get = get_once_stale
    try:
        result = service.leave(conv["id"])
    finally:
        service.get = real_get
    assert result.changed and result.previous.status.value == "with_operator"
    assert result.conversation.state.status.value == "closed"
    kinds = [m.kind for m in c.app.state.store.list_messages(force="demo", conversation_id=conv["id"])]
    assert kinds[-1] == "visitor_left"
    assert len(_events(c, conv, "visitor.left")) == 1


def test_leaving_an_emergency_chat_keeps_it_with_staff_marked(app):
    c, _pubsub = app()
    conv = _start(c)
    r = c.post(f"{API}/{conv['id']}/messages", json={"text": "he's outside with a knife trying to get in right now"},
               headers=_auth(conv))
    assert r.json()["state"]["emergency"] is True and r.json()["state"]["status"] == "queued"
    assert _leave(c, conv).status_code == 200
    inner = c.app.state.service.get(conv["id"]).state
    assert inner.status.value == "queued"  # not closed: a person must still see it
    assert inner.visitor_left_at
    left = _events(c, conv, "visitor.left")
    assert left and left[-1].data["kept_open"] is True
    login = c.post("/console/api/login", json={"username": "operator", "password": "demo-operator"},
                   headers={"Origin": "http://testserver"})
    assert login.status_code == 200
    waiting = [w for q in c.get("/console/api/queues").json()["queues"] for w in q["waiting"]]
    row = next(w for w in waiting if w["id"] == conv["id"])
    assert row["visitor_left"] is True and row["emergency"] is True
