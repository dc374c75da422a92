"""Visitor API v1 over the full app (lifespan running): contract, errors, idempotency,
persistence, rate limits, CORS and headers."""

from __future__ import annotations

import json

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from switchboard import hookimpl
from switchboard.types import IntentScore, RiskLevel, RiskSignal
from switchboard.web.app import create_app
from switchboard.web.openapi import openapi_document

API = "/api/v1/conversations"


class BreakIn:
    @hookimpl
    def assess_risk(self, message):
        if "breaking into my house" in message.normalised:
            return RiskSignal(RiskLevel.IMMEDIATE, "crime_in_progress", "break-in now", rule_id="t-breakin")
        return None


class BrokenIntent:
    @hookimpl
    def categorise_intent(self, message):
        raise RuntimeError("intent model exploded")


class Noise:
    @hookimpl
    def categorise_intent(self, message):
        return IntentScore("anti_social_behaviour", 0.99) if "noise" in message.normalised else None


@pytest.fixture
def app_client(sb_settings):
    clients = []

    def make(plugins=(), settings=None, **dotted):
        c = TestClient(create_app(settings or sb_settings(**dotted), extra_plugins=list(plugins)))
        c.__enter__()
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


def _start(client, **headers):
    r = client.post(API, json={"site": "demo"}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _auth(conv):
    return {"Authorization": f"Bearer {conv['token']}"}


def _send(client, conv, payload, **kw):
    return client.post(f"{API}/{conv['id']}/messages", json=payload, headers=_auth(conv), **kw)


def _error(resp, status, code):
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json() == {"error": {"code": code, "message": resp.json()["error"]["message"]}}
    assert "Traceback" not in resp.text and "<html" not in resp.text.lower()


def test_start_returns_the_contract(app_client):
    c = app_client()
    body = _start(c)
    assert set(body) == {"id", "token", "messages", "state"}
    assert body["state"] == {"status": "bot", "emergency": False, "handover": False, "intent": None,
                             "queue": None, "language": "en"}
    greeting = body["messages"][0]
    assert {"id", "role", "text", "options", "at"} <= set(greeting) and greeting["role"] == "bot"
    assert {"id": "human", "label": "Talk to a person"} in greeting["options"]
    assert greeting["at"].endswith("Z")


@pytest.mark.parametrize(
    "payload, status, code",
    [
        ({"site": "nowhere"}, 422, "unknown_site"),
        ({"site": 7}, 422, "invalid_field"),
        ({"site": "demo", "admin": True}, 422, "unknown_field"),
        ([1, 2], 422, "invalid_field"),
    ],
)
def test_start_rejects_bad_bodies(app_client, payload, status, code):
    _error(app_client().post(API, json=payload), status, code)


def test_malformed_json_is_400(app_client):
    c = app_client()
    _error(c.post(API, content=b"{not json", headers={"content-type": "application/json"}), 400, "bad_json")
    conv = _start(c)
    _error(c.post(f"{API}/{conv['id']}/messages", content=b'{"text": ', headers=_auth(conv)), 400, "bad_json")


@pytest.mark.parametrize(
    "payload, status, code",
    [
        ({}, 422, "invalid_field"),
        ({"text": "hi", "choice": "human"}, 422, "invalid_field"),
        ({"text": 5}, 422, "invalid_field"),
        ({"text": "   "}, 422, "invalid_field"),
        ({"choice": ["human"]}, 422, "invalid_field"),
        ({"text": "hi", "client_id": "has spaces"}, 422, "invalid_field"),
        ({"text": "hi", "html": "<b>"}, 422, "unknown_field"),
        ({"text": "x" * 2001}, 413, "text_too_long"),
    ],
)
def test_message_validation(app_client, payload, status, code):
    c = app_client()
    conv = _start(c)
    _error(_send(c, conv, payload), status, code)
    transcript = c.get(f"{API}/{conv['id']}", headers=_auth(conv)).json()
    assert [m["role"] for m in transcript["messages"]] == ["bot"]  # nothing stored


def test_text_at_the_limit_is_accepted(app_client):
    c = app_client(limits__max_text_chars=50)
    conv = _start(c)
    assert _send(c, conv, {"text": "y" * 50}).status_code == 200
    _error(_send(c, conv, {"text": "y" * 51}), 413, "text_too_long")


def test_auth_and_unknown_conversation(app_client):
    c = app_client()
    conv = _start(c)
    url = f"{API}/{conv['id']}/messages"
    _error(c.post(url, json={"text": "hi"}), 401, "unauthorized")
    _error(c.post(url, json={"text": "hi"}, headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    _error(c.post(url, json={"text": "hi"}, headers={"Authorization": f"Basic {conv['token']}"}), 401, "unauthorized")
    _error(c.get(f"{API}/{conv['id']}", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    _error(c.post(f"{API}/doesnotexist/messages", json={"text": "hi"}, headers=_auth(conv)), 404, "not_found")
    other = _start(c)
    _error(c.get(f"{API}/{conv['id']}", headers=_auth(other)), 401, "unauthorized")  # a token opens one chat


def test_unknown_paths_and_methods_answer_json(app_client):
    c = app_client()
    _error(c.get("/api/v1/nothing"), 404, "not_found")
    _error(c.get("/no/such/page"), 404, "not_found")
    _error(c.delete(API), 405, "method_not_allowed")
    _error(c.get(API), 405, "method_not_allowed")


def test_html_and_script_are_stored_and_returned_verbatim(app_client):
    c = app_client()
    conv = _start(c)
    text = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'
    body = _send(c, conv, {"text": text}).json()
    assert body["messages"][0] == {**body["messages"][0], "role": "visitor", "text": text}
    again = c.get(f"{API}/{conv['id']}", headers=_auth(conv)).json()
    assert again["messages"][1]["text"] == text


def test_idempotent_retry_returns_the_original_and_stores_once(app_client):
    c = app_client()
    conv = _start(c)
    first = _send(c, conv, {"text": "there's noise every night", "client_id": "abc-1"})
    second = _send(c, conv, {"text": "there's noise every night", "client_id": "abc-1"})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    transcript = c.get(f"{API}/{conv['id']}", headers=_auth(conv)).json()["messages"]
    assert len(transcript) == 1 + len(first.json()["messages"])
    assert [m["role"] for m in transcript].count("visitor") == 1
    third = _send(c, conv, {"text": "there's noise every night", "client_id": "abc-2"})
    assert third.json()["messages"][0]["id"] != first.json()["messages"][0]["id"]


def test_a_restart_loses_nothing(sb_settings):
    settings = sb_settings()
    with TestClient(create_app(settings)) as c1:
        conv = _start(c1)
        sent = _send(c1, conv, {"choice": "human", "client_id": "k"}).json()
    with TestClient(create_app(settings)) as c2:
        got = c2.get(f"{API}/{conv['id']}", headers=_auth(conv)).json()
        assert [m["id"] for m in got["messages"]] == [conv["messages"][0]["id"]] + [m["id"] for m in sent["messages"]]
        assert got["state"] == sent["state"] and got["state"]["status"] == "queued"
        assert _send(c2, conv, {"choice": "human", "client_id": "k"}).json() == sent  # idempotent across restarts


def test_first_message_emergency_puts_999_guidance_first(app_client):
    c = app_client(plugins=[("breakin", BreakIn)])
    conv = _start(c)
    body = _send(c, conv, {"text": "someone is breaking into my house right now"}).json()
    replies = [m for m in body["messages"] if m["role"] != "visitor"]
    assert replies[0]["kind"] == "emergency" and "999" in replies[0]["text"]
    assert body["state"]["emergency"] is True and body["state"]["handover"] is True


def test_decision_and_events_are_stored(app_client):
    c = app_client(plugins=[("noise", Noise)])
    conv = _start(c)
    body = _send(c, conv, {"text": "loud noise from next door"}).json()
    store = c.app.state.store
    decision = store.get_decision(force="demo", message_id=body["messages"][0]["id"])
    assert decision.decision["intent"]["intent"] == "anti_social_behaviour"
    assert decision.decision["turn"] == 1
    types = [e.event.type for e in store.list_events(force="demo", conversation_id=conv["id"])]
    assert types[:3] == ["conversation.started", "message.sent", "message.received"]
    assert "decision.made" in types


def test_a_raising_intent_plugin_still_stores_the_message_and_answers(app_client):
    c = app_client(plugins=[("broken", BrokenIntent)])
    conv = _start(c)
    resp = _send(c, conv, {"text": "my car was scratched"})
    assert resp.status_code == 200
    store = c.app.state.store
    visitor = resp.json()["messages"][0]
    assert store.list_messages(force="demo", conversation_id=conv["id"])[1].text == "my car was scratched"
    assert "broken.categorise_intent: RuntimeError" in store.get_decision(
        force="demo", message_id=visitor["id"]).decision["plugin_errors"]


def test_a_failing_turn_is_a_json_500_and_the_retry_completes(app_client):
    c = app_client()
    conv = _start(c)
    service = c.app.state.service
    real = service.dispatcher.dispatch
    service.dispatcher.dispatch = lambda message: 1 / 0
    _error(_send(c, conv, {"text": "hello there", "client_id": "r1"}), 500, "internal_error")
    service.dispatcher.dispatch = real
    resp = _send(c, conv, {"text": "hello there", "client_id": "r1"})
    assert resp.status_code == 200 and len(resp.json()["messages"]) >= 2
    roles = [m["role"] for m in c.get(f"{API}/{conv['id']}", headers=_auth(conv)).json()["messages"]]
    assert roles.count("visitor") == 1


def test_rate_limits(app_client):
    c = app_client(limits__messages_per_minute=3, limits__conversations_per_hour=2)
    conv = _start(c)
    _start(c)
    r = c.post(API, json={"site": "demo"})
    _error(r, 429, "rate_limited")
    assert int(r.headers["retry-after"]) >= 1
    for i in range(3):
        assert _send(c, conv, {"text": f"message {i}"}).status_code == 200
    r = _send(c, conv, {"text": "one too many"})
    _error(r, 429, "rate_limited")
    assert "one too many" not in json.dumps(c.get(f"{API}/{conv['id']}", headers=_auth(conv)).json())


def test_cors_follows_the_site_allow_list(app_client):
    c = app_client()
    allowed = "http://localhost:8000"
    pre = c.options(API, headers={"Origin": allowed, "Access-Control-Request-Method": "POST",
                                  "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == allowed
    denied = c.options(API, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    _error(denied, 403, "origin_not_allowed")
    assert "access-control-allow-origin" not in denied.headers
    ok = c.post(API, json={"site": "demo"}, headers={"Origin": allowed})
    assert ok.status_code == 201 and ok.headers["access-control-allow-origin"] == allowed
    _error(c.post(API, json={"site": "demo"}, headers={"Origin": "https://evil.example"}), 403, "origin_not_allowed")
    conv = ok.json()
    _error(c.get(f"{API}/{conv['id']}", headers={**_auth(conv), "Origin": "https://evil.example"}),
           403, "origin_not_allowed")
    same = c.post(API, json={"site": "demo"}, headers={"Origin": "http://testserver"})
    assert same.status_code == 201


def test_security_headers(app_client):
    c = app_client()
    page = c.get("/")
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    for resp in (page, c.get("/healthz"), c.post(API, json={"site": "x"})):
        assert resp.headers["x-content-type-options"] == "nosniff"
        assert resp.headers["referrer-policy"] == "no-referrer"
    widget = c.get("/widget.js")
    assert widget.headers["content-type"].startswith("text/javascript")
    assert widget.headers["cross-origin-resource-policy"] == "cross-origin"
    assert c.post(API, json={"site": "demo"}).headers["cache-control"] == "no-store"


def test_readyz_reports_store_and_degraded(app_client):
    class Degraded:
        @hookimpl
        def report_health(self):
            from switchboard.types import HealthReport

            return HealthReport("risk_ml", "degraded", "keyword-only")

    c = app_client(plugins=[("degraded", Degraded)])
    body = c.get("/readyz").json()
    assert body["status"] == "degraded"
    assert {"component": "store", "status": "ok"}.items() <= next(
        x for x in body["components"] if x["component"] == "store").items()
    assert c.get("/healthz").json() == {"status": "ok"}


def test_every_route_is_in_the_openapi_document(app_client):
    c = app_client()
    served = c.get("/api/v1/openapi.json").json()
    assert served == openapi_document() and served["openapi"].startswith("3.1")
    # every route of the visitor API and its pages; the operator console (/console, session-cookie
    # HTML pages) is not part of this public contract
    visitor_routes = [r for r in c.app.routes if not r.path.startswith("/console")]
    assert {r.path for r in visitor_routes} == set(served["paths"])
    for route in visitor_routes:
        assert isinstance(route, Route)
        assert route.path in served["paths"], route.path
        documented = {m.upper() for m in served["paths"][route.path]}
        assert documented == (route.methods or set()) - {"HEAD"}, route.path
    schemas = served["components"]["schemas"]
    assert set(schemas["State"]["required"]) == set(_start(c)["state"])


def test_live_events_stream_delivers_operator_messages(app_client):
    """The SSE endpoint, driven at ASGI level (TestClient buffers whole responses)."""
    import anyio

    c = app_client()
    c.app.state.sse_keepalive = 0.2
    conv = _start(c)
    service = c.app.state.service

    async def scenario():
        chunks: list[str] = []
        disconnect = anyio.Event()

        async def receive():
            await disconnect.wait()
            return {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                chunks.append(f"status {message['status']}")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b"").decode())

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": f"{API}/{conv['id']}/events", "raw_path": b"",
                 "query_string": f"token={conv['token']}".encode(), "root_path": "",
                 "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1), "server": ("testserver", 80),
                 "state": {}, "app": c.app}

        async def posting():
            with anyio.fail_after(5):
                while not any("event: state" in x for x in chunks):
                    await anyio.sleep(0.01)
                await anyio.to_thread.run_sync(lambda: service.post_message(
                    conv["id"], role="operator", text="PC Jones <here>", author="op"))
                service.publish(conv["id"], {"type": "queue", "position": 2, "expected_wait_seconds": 120})
                while not any("event: queue" in x for x in chunks) or not any(": keep-alive" in x for x in chunks):
                    await anyio.sleep(0.01)
            disconnect.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(posting)
            await c.app(scope, receive, send)
        return "".join(chunks[1:]), chunks[0]

    body, status = c.portal.call(scenario)
    assert status == "status 200"
    events = [blk for blk in body.split("\n\n") if blk.startswith(("event:", "id:"))]
    parsed = [(line.split(": ", 1)[1], json.loads(blk.split("data: ", 1)[1]))
              for blk in events for line in blk.splitlines() if line.startswith("event: ")]
    assert parsed[0][0] == "state" and parsed[0][1]["state"]["status"] == "bot"
    op = next(data["message"] for kind, data in parsed if kind == "message")
    assert op["role"] == "operator" and op["text"] == "PC Jones <here>"
    assert ("queue", {"type": "queue", "position": 2, "expected_wait_seconds": 120}) in parsed


def test_events_stream_needs_the_token(app_client):
    c = app_client()
    conv = _start(c)
    _error(c.get(f"{API}/{conv['id']}/events"), 401, "unauthorized")
    _error(c.get(f"{API}/{conv['id']}/events?token=nope"), 401, "unauthorized")
    _error(c.get(f"{API}/unknown/events?token={conv['token']}"), 404, "not_found")
