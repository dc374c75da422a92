"""Operator console API: sign-in, queues, claim races, reply, transfer, close, audit log."""

from __future__ import annotations

import threading
import time

import pytest
from starlette.testclient import TestClient

from switchboard.web import console
from switchboard.web.app import create_app

OP = {"username": "operator", "password": "demo-operator"}
OP2 = {"username": "operator2", "password": "demo-operator2"}
ADMIN = {"username": "admin", "password": "demo-admin"}


@pytest.fixture
def app(sb_settings):
    settings = sb_settings(overrides={"plugins": {"disabled": ["risk_ml", "intent_ml"]}})
    application = create_app(settings)
    with TestClient(application) as client:
        application.state.visitor = client
        yield application


def _client(app, creds=None) -> TestClient:
    c = TestClient(app)  # shares the running app's state; its own cookie jar
    if creds:
        r = c.post("/console/api/login", json=creds)
        assert r.status_code == 200, r.text
    return c


def _handover(app, text=None, choice="human"):
    v = app.state.visitor
    conv = v.post("/api/v1/conversations", json={"site": "demo"}).json()
    auth = {"Authorization": "Bearer " + conv["token"]}
    body = {"text": text} if text else {"choice": choice}
    state = v.post(f"/api/v1/conversations/{conv['id']}/messages", json=body, headers=auth).json()["state"]
    return conv["id"], auth, state


def test_sign_in_required_and_bad_password_is_audited(app):
    anon = _client(app)
    assert anon.get("/console/api/queues").json()["error"]["code"] == "unauthorized"
    r = anon.post("/console/api/login", json={"username": "operator", "password": "nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "bad_credentials"
    admin = _client(app, ADMIN)
    actions = [(e["actor"], e["action"]) for e in admin.get("/console/api/audit").json()["entries"]]
    assert ("operator", "login_failed") in actions and ("admin", "login") in actions


def test_console_page_is_served(app):
    page = _client(app).get("/console/")
    assert page.status_code == 200 and 'id="login-form"' in page.text
    assert _client(app).get("/console/console.js").status_code == 200
    assert _client(app).get("/console/secret.txt").status_code == 404


def test_queue_lists_waiting_chats_by_priority_then_wait(app):
    op = _client(app, OP)
    first, _, _ = _handover(app)  # asked for a person: priority 1
    time.sleep(1.1)
    urgent, _, state = _handover(app, text="a man has a knife and is threatening my neighbour right now")
    assert state["emergency"] is True
    queues = {q["id"]: q for q in op.get("/console/api/queues").json()["queues"]}
    waiting = [c for q in queues.values() for c in q["waiting"]]
    ids = [c["id"] for c in waiting]
    assert urgent in ids and first in ids
    cc = queues[_queue_of(app, urgent)]["waiting"]
    if _queue_of(app, first) == _queue_of(app, urgent):
        assert [c["id"] for c in cc].index(urgent) < [c["id"] for c in cc].index(first)
    urgent_row = next(c for c in waiting if c["id"] == urgent)
    assert urgent_row["emergency"] is True and urgent_row["priority"] == 3


def _queue_of(app, cid):
    return app.state.service.get(cid).state.queue


def test_exactly_one_operator_wins_a_claim_race(app):
    cid, _, _ = _handover(app)
    a, b = _client(app, OP), _client(app, OP2)
    results = {}
    barrier = threading.Barrier(2)

    def go(name, client):
        barrier.wait()
        results[name] = client.post(f"/console/api/conversations/{cid}/claim").status_code

    threads = [threading.Thread(target=go, args=(n, c)) for n, c in (("a", a), ("b", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == [200, 409]
    winner = "operator" if results["a"] == 200 else "operator2"
    assert app.state.service.get(cid).state.operator == winner


def test_claim_reply_visitor_sees_it_then_close(app):
    cid, auth, _ = _handover(app)
    op = _client(app, OP)
    other = _client(app, OP2)
    assert op.post(f"/console/api/conversations/{cid}/claim").status_code == 200
    # only the holder may reply
    assert other.post(f"/console/api/conversations/{cid}/messages", json={"text": "hi"}).json()["error"]["code"] == "not_your_chat"
    assert op.post(f"/console/api/conversations/{cid}/messages", json={"text": "<b>Hello</b>, I'm Sam"}).status_code == 200
    transcript = app.state.visitor.get(f"/api/v1/conversations/{cid}", headers=auth).json()
    assert transcript["state"]["status"] == "with_operator"
    ops = [m for m in transcript["messages"] if m["role"] == "operator"]
    assert ops[-1]["text"] == "<b>Hello</b>, I'm Sam"
    assert any(m["role"] == "system" and "Sam" in m["text"] for m in transcript["messages"])
    # the bot stays silent while an operator has the chat
    r = app.state.visitor.post(f"/api/v1/conversations/{cid}/messages", json={"text": "thanks, my bike was stolen"}, headers=auth)
    assert [m["role"] for m in r.json()["messages"]] == ["visitor"]
    card = op.get(f"/console/api/conversations/{cid}").json()["card"]
    assert set(card["thrive"]) == {"threat", "harm", "risk", "investigation", "vulnerability", "engagement"}
    assert "asked for human" in card["thrive"]["risk"]
    assert op.post(f"/console/api/conversations/{cid}/close", json={"outcome": "bogus"}).status_code == 422
    assert op.post(f"/console/api/conversations/{cid}/close", json={"outcome": "advice_given"}).status_code == 200
    state = app.state.service.get(cid).state
    assert state.status.value == "closed" and state.outcome == "advice_given"
    history = op.get("/console/api/history").json()["conversations"]
    assert history[0]["id"] == cid and history[0]["outcome"] == "advice_given"


def test_transfer_needs_reason_and_moves_queue(app):
    cid, _, _ = _handover(app)
    op = _client(app, OP)
    op.post(f"/console/api/conversations/{cid}/claim")
    r = op.post(f"/console/api/conversations/{cid}/transfer", json={"queue": "safeguarding", "reason": ""})
    assert r.json()["error"]["code"] == "reason_required"
    r = op.post(f"/console/api/conversations/{cid}/transfer", json={"queue": "safeguarding", "reason": "disclosed abuse"})
    assert r.status_code == 200
    state = app.state.service.get(cid).state
    assert (state.status.value, state.queue, state.operator) == ("queued", "safeguarding", None)


def test_every_access_is_audited_and_only_admin_reads_the_log(app):
    cid, _, _ = _handover(app)
    op = _client(app, OP)
    op.post(f"/console/api/conversations/{cid}/claim")
    op.get(f"/console/api/conversations/{cid}")
    op.post(f"/console/api/conversations/{cid}/messages", json={"text": "hello"})
    assert op.get(f"/console/api/conversations/{cid}/export").json()["error"]["code"] == "reason_required"
    exported = op.get(f"/console/api/conversations/{cid}/export?reason=court+disclosure+request")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    op.post(f"/console/api/conversations/{cid}/close", json={"outcome": "report_taken"})
    assert op.get("/console/api/audit").status_code == 403
    admin = _client(app, ADMIN)
    entries = admin.get(f"/console/api/audit?conversation_id={cid}").json()["entries"]
    actions = [(e["actor"], e["action"]) for e in entries]
    for action in ("claim", "view", "reply", "export", "close"):
        assert ("operator", action) in actions, action
    export_entry = next(e for e in entries if e["action"] == "export")
    assert export_entry["reason"] == "court disclosure request" and export_entry["at"]


def test_viewing_a_chat_outside_my_queues_is_refused(app):
    cid, _, _ = _handover(app)
    op = _client(app, OP)
    op.post(f"/console/api/conversations/{cid}/claim")
    op.post(f"/console/api/conversations/{cid}/transfer", json={"queue": "fraud", "reason": "fraud desk"})
    op2 = _client(app, OP2)  # operator2 does not work the fraud queue
    assert op2.get(f"/console/api/conversations/{cid}").status_code == 403
    assert op2.post(f"/console/api/conversations/{cid}/claim").status_code == 403


def test_operator_timeout_requeues_the_chat(app):
    cid, auth, _ = _handover(app)
    op = _client(app, OP)
    op.post(f"/console/api/conversations/{cid}/claim")
    app.state.visitor.post(f"/api/v1/conversations/{cid}/messages", json={"text": "hello? anyone there"}, headers=auth)
    app.state.settings.raw["console"]["operator_timeout_minutes"] = 0.001  # 60 ms
    time.sleep(0.2)
    assert console.sweep_timeouts(app) == 1
    state = app.state.service.get(cid).state
    assert state.status.value == "queued" and state.operator is None
    admin = _client(app, ADMIN)
    assert any(e["action"] == "requeue" and e["actor"] == "system"
               for e in admin.get(f"/console/api/audit?conversation_id={cid}").json()["entries"])


def test_cross_origin_post_is_refused(app):
    op = _client(app, OP)
    cid, _, _ = _handover(app)
    r = op.post(f"/console/api/conversations/{cid}/claim", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"


def test_capacity_per_operator_limits_open_chats(app):
    op = _client(app, OP2)  # works contact_centre (3 per operator) and safeguarding (1 per operator)
    chats = [_handover(app)[0] for _ in range(4)]
    assert all(_queue_of(app, c) == "contact_centre" for c in chats)
    codes = [op.post(f"/console/api/conversations/{c}/claim").status_code for c in chats]
    assert codes == [200, 200, 200, 409]
    r = op.post(f"/console/api/conversations/{chats[3]}/claim")
    assert r.json()["error"]["code"] == "at_capacity"
    op.post(f"/console/api/conversations/{chats[0]}/close", json={"outcome": "advice_given"})
    assert op.post(f"/console/api/conversations/{chats[3]}/claim").status_code == 200


def test_a_full_specialist_queue_overflows_to_the_contact_centre(sb_settings):
    settings = sb_settings(overrides={
        "plugins": {"disabled": ["risk_ml", "intent_ml"]},
        "queues": {"fraud": {"max_waiting": 1, "schedule": "always"}},
        "routing": {"rules": [{"id": "all_fraud", "queue": "fraud", "intents": ["fraud_scam"]}]},
    })
    application = create_app(settings)
    with TestClient(application) as c:
        queues = []
        for _ in range(2):
            conv = c.post("/api/v1/conversations", json={"site": "demo"}).json()
            auth = {"Authorization": "Bearer " + conv["token"]}
            c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"choice": "intent:fraud_scam"}, headers=auth)
            state = c.post(f"/api/v1/conversations/{conv['id']}/messages", json={"choice": "human"}, headers=auth).json()["state"]
            queues.append(state["queue"])
    assert queues == ["fraud", "contact_centre"]
