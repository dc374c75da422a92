"""The operator console: sign in, my queues, claim, live chat, canned replies, transfer, close,
history, and the admin's audit log. Mounted on the same app under ``/console``.

Every view, claim, reply, transfer, close and export is written to the audit log with who, when
and why (DPA 2018 s.62). Claiming is a compare-and-set on the conversation's version, so exactly
one operator wins a race. Sessions are signed cookies (``SessionMiddleware``) scoped to
``/console``, ``SameSite=Strict``; state-changing requests must also come from the console's own
origin.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from .. import handover, hookimpl
from ..card import build_card, waited_seconds
from ..handover import TransitionError
from ..service import ConversationNotFound, ConversationService
from ..staff import AuditRecord, OperatorRecord, canned_replies, hash_password, outcomes, verify_password
from ..store import StoreConflict
from ..types import ConversationState, Status
from .errors import ApiError

log = logging.getLogger("switchboard.console")

STATIC = Path(__file__).resolve().parent / "console_static"
CONSOLE_CHANNEL = "console:{force}"
SSE_KEEPALIVE = 15.0
_MAX_REPLY = 2000


def console_channel(force: str) -> str:
    return CONSOLE_CHANNEL.format(force=force)


# -- helpers ---------------------------------------------------------------------------------------


def _service(request: Request) -> ConversationService:
    return request.app.state.service


def _cfg(request: Request) -> Mapping[str, Any]:
    return request.app.state.settings.section("console")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _audit(request: Request, actor: str, action: str, conversation_id: str | None, reason: str = "",
           **detail: Any) -> None:
    store = request.app.state.store
    store.add_audit(force=request.app.state.settings.force_id, record=AuditRecord(
        force=request.app.state.settings.force_id, at=_now(), actor=actor, action=action,
        conversation_id=conversation_id, reason=reason, detail=detail))


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > 16_384:
        raise ApiError(413, "payload_too_large", "request body too large")
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_json", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_field", "the request body must be a JSON object")
    return data


def _same_origin(request: Request) -> None:
    origin = request.headers.get("origin")
    if origin is None:
        return
    expected = f"{request.url.scheme}://{request.url.netloc}"
    if origin != expected:
        raise ApiError(403, "origin_not_allowed", "console requests must come from the console")


async def _operator(request: Request) -> OperatorRecord:
    username = request.session.get("operator")
    if not username:
        raise ApiError(401, "unauthorized", "sign in first")
    op = await run_in_threadpool(
        request.app.state.store.get_operator, force=request.app.state.settings.force_id, username=username)
    if op is None or not op.active:
        request.session.clear()
        raise ApiError(401, "unauthorized", "sign in first")
    return op


def _queue_names(request: Request) -> dict[str, str]:
    queues = request.app.state.settings.section("queues")
    out = {}
    for qid, table in queues.items():
        name = table.get("name", qid) if isinstance(table, Mapping) else qid
        if isinstance(name, Mapping):
            name = name.get("en", qid)
        out[qid] = str(name)
    return out or {"contact_centre": "Contact centre"}


def _my_queues(request: Request, op: OperatorRecord) -> list[str]:
    names = _queue_names(request)
    if op.role == "admin" and not op.queues:
        return list(names)
    return [q for q in op.queues if q in names]


def _intent_label(request: Request, intent: str | None) -> str | None:
    settings = request.app.state.settings
    if intent and settings.has_text(f"intents.{intent}", "en"):
        return settings.text(f"intents.{intent}", "en")
    return intent


def _get_conv(request: Request, conversation_id: str) -> Any:
    try:
        return _service(request).get(conversation_id)
    except ConversationNotFound:
        raise ApiError(404, "not_found", "unknown conversation") from None


def _require_holder(op: OperatorRecord, state: ConversationState) -> None:
    if state.status is not Status.WITH_OPERATOR or state.operator != op.username:
        raise ApiError(409, "not_your_chat", "claim this chat before acting on it")


# -- accounts --------------------------------------------------------------------------------------


def seed_demo_accounts(store: Any, settings: Any) -> None:
    """Create or update the accounts listed in ``console.demo_accounts`` (demo deployments only)."""
    force = settings.force_id
    for acct in settings.section("console").get("demo_accounts", []) or []:
        existing = store.get_operator(force=force, username=acct["username"])
        pw_hash = existing.password_hash if existing and verify_password(acct["password"], existing.password_hash) \
            else hash_password(acct["password"])
        store.upsert_operator(force=force, operator=OperatorRecord(
            force=force, username=acct["username"], name=acct["name"], role=acct.get("role", "operator"),
            queues=tuple(acct.get("queues", []) or []), password_hash=pw_hash))


async def login(request: Request) -> Response:
    _same_origin(request)
    data = await _body(request)
    username = data.get("username")
    password = data.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise ApiError(422, "invalid_field", "username and password are required")
    limiter = request.app.state.rate_limiter
    ip = request.client.host if request.client else "?"
    if not limiter.hit(f"login:{ip}:{username.lower()}", 10, 300.0).allowed:
        raise ApiError(429, "rate_limited", "too many sign-in attempts; wait a few minutes")
    store = request.app.state.store
    force = request.app.state.settings.force_id
    op = await run_in_threadpool(store.get_operator, force=force, username=username)
    ok = op is not None and op.active and await run_in_threadpool(verify_password, password, op.password_hash)
    if not ok:
        await run_in_threadpool(_audit, request, username[:64], "login_failed", None)
        raise ApiError(401, "bad_credentials", "wrong username or password")
    request.session.clear()
    request.session["operator"] = op.username
    request.session["sid"] = secrets.token_urlsafe(8)
    await run_in_threadpool(_audit, request, op.username, "login", None)
    return JSONResponse({"operator": op.public()})


async def logout(request: Request) -> Response:
    _same_origin(request)
    request.session.clear()
    return JSONResponse({"ok": True})


async def me(request: Request) -> Response:
    op = await _operator(request)
    return JSONResponse({"operator": op.public()})


async def meta(request: Request) -> Response:
    await _operator(request)
    names = _queue_names(request)
    return JSONResponse({
        "queues": [{"id": q, "name": n} for q, n in names.items()],
        "outcomes": outcomes(_cfg(request)),
    })


async def canned(request: Request) -> Response:
    await _operator(request)
    return JSONResponse({"replies": canned_replies(_cfg(request))})


# -- queues and history ----------------------------------------------------------------------------


def _waiting(request: Request, queue: str) -> list[Any]:
    store = request.app.state.store
    convs = store.list_conversations(force=request.app.state.settings.force_id, status="queued", queue=queue,
                                     limit=500)
    return sorted(convs, key=lambda c: (-c.state.priority, c.state.queued_at or c.updated_at.isoformat()))


def _queues_payload(request: Request, op: OperatorRecord) -> dict[str, Any]:
    names = _queue_names(request)
    dispatcher = request.app.state.dispatcher
    now = _now()
    queues = []
    for qid in _my_queues(request, op):
        waiting = [{
            "id": c.id,
            "priority": c.state.priority,
            "emergency": c.state.emergency,
            "risk_level": c.state.risk_level.value,
            "intent": _intent_label(request, c.state.intent),
            "language": c.state.language,
            "waited_seconds": waited_seconds(c.state, now),
            "visitor_left": bool(c.state.visitor_left_at),
        } for c in _waiting(request, qid)]
        queues.append({"id": qid, "name": names[qid], "open": dispatcher.is_queue_open(queue=qid, at=now),
                       "waiting": waiting})
    return {"queues": queues}


async def queues(request: Request) -> Response:
    op = await _operator(request)
    await run_in_threadpool(sweep_timeouts, request.app)
    return JSONResponse(await run_in_threadpool(_queues_payload, request, op))


async def history(request: Request) -> Response:
    op = await _operator(request)

    def load() -> list[dict[str, Any]]:
        store = request.app.state.store
        force = request.app.state.settings.force_id
        rows = []
        for status in ("with_operator", "closed"):
            for c in store.list_conversations(force=force, status=status, limit=200):
                if c.state.operator == op.username:
                    rows.append({"id": c.id, "status": c.state.status.value, "outcome": c.state.outcome,
                                 "intent": _intent_label(request, c.state.intent),
                                 "updated_at": c.updated_at.isoformat()})
        return sorted(rows, key=lambda r: r["updated_at"], reverse=True)[:50]

    return JSONResponse({"conversations": await run_in_threadpool(load)})


# -- one conversation ------------------------------------------------------------------------------


def _conversation_payload(request: Request, conv: Any) -> dict[str, Any]:
    service = _service(request)
    store = request.app.state.store
    force = request.app.state.settings.force_id
    messages = store.list_messages(force=force, conversation_id=conv.id)
    decisions = [d.decision for d in store.list_decisions(force=force, conversation_id=conv.id)]
    del service
    return {
        "id": conv.id,
        "state": conv.state.public(),
        "operator": conv.state.operator,
        "outcome": conv.state.outcome,
        "visitor_left_at": conv.state.visitor_left_at,
        "messages": [{**m.public(), "author": m.author} for m in messages],
        "card": build_card(conv.state, decisions, intent_label=_intent_label(request, conv.state.intent)),
    }


async def conversation(request: Request) -> Response:
    op = await _operator(request)
    cid = request.path_params["id"]
    conv = await run_in_threadpool(_get_conv, request, cid)
    mine = conv.state.operator == op.username
    reason = request.query_params.get("reason", "").strip()
    if not mine and op.role != "admin":
        queued_in_mine = conv.state.status is Status.QUEUED and conv.state.queue in _my_queues(request, op)
        if not queued_in_mine:
            raise ApiError(403, "forbidden", "this chat is not in your queues")
    if not mine and not reason:
        reason = "queue triage" if conv.state.status is Status.QUEUED else ""
        if not reason:
            raise ApiError(422, "reason_required", "say why you are opening this transcript (?reason=...)")
    # Repeated refreshes of one's own claimed chat are one view: record the first of a session.
    viewed = request.session.setdefault("viewed", [])
    if not mine or cid not in viewed:
        await run_in_threadpool(_audit, request, op.username, "view", cid, reason or "handling the chat")
        if mine:
            request.session["viewed"] = [*viewed[-50:], cid]
    return JSONResponse(await run_in_threadpool(_conversation_payload, request, conv))


def _capacity(request: Request, queue: str | None) -> int:
    """``capacity_per_operator`` of the queue: how many chats one operator handles at once."""
    table = request.app.state.settings.section("queues").get(queue or "", {})
    value = table.get("capacity_per_operator", 1) if isinstance(table, Mapping) else 1
    return int(value) if isinstance(value, int) and value > 0 else 1


def _holding(request: Request, username: str) -> int:
    store = request.app.state.store
    convs = store.list_conversations(force=request.app.state.settings.force_id, status="with_operator", limit=500)
    return sum(1 for c in convs if c.state.operator == username)


async def claim(request: Request) -> Response:
    _same_origin(request)
    op = await _operator(request)
    cid = request.path_params["id"]
    service = _service(request)
    conv = await run_in_threadpool(_get_conv, request, cid)
    if conv.state.queue not in _my_queues(request, op) and op.role != "admin":
        raise ApiError(403, "forbidden", "this chat is not in your queues")
    if conv.state.status is not Status.QUEUED:
        raise ApiError(409, "already_claimed", "another operator has already claimed this chat")
    capacity = _capacity(request, conv.state.queue)
    holding = await run_in_threadpool(_holding, request, op.username)
    if holding >= capacity:
        raise ApiError(409, "at_capacity",
                       f"you already have {holding} chat(s) open; this queue allows {capacity} per operator")
    try:
        transition = handover.claim(conv.state, op.username)
        waited = waited_seconds(conv.state)
        event = service.event("operator.claimed", cid, operator=op.username, queue=conv.state.queue,
                              waited_seconds=waited)
        await run_in_threadpool(service.change_state, cid, lambda _s: transition.state, events=[event],
                                expected_version=conv.version)
    except (StoreConflict, TransitionError):
        raise ApiError(409, "already_claimed", "another operator has already claimed this chat") from None
    await run_in_threadpool(_audit, request, op.username, "claim", cid, "claimed from queue",
                            queue=conv.state.queue)
    settings = request.app.state.settings
    notice = settings.text("operator_joined", conv.state.language, operator=op.name.split(" ")[0])
    await run_in_threadpool(service.post_message, cid, role="system", text=notice, kind="operator_joined")
    publish_console(request.app, {"type": "claimed", "conversation_id": cid})
    await run_in_threadpool(publish_positions, request.app, conv.state.queue)
    return JSONResponse({"ok": True})


async def _chat_action(request: Request) -> tuple[OperatorRecord, str, dict[str, Any]]:
    """The checks every state-changing chat action starts with: same origin, signed in, body."""
    _same_origin(request)
    op = await _operator(request)
    return op, request.path_params["id"], await _body(request)


async def reply(request: Request) -> Response:
    op, cid, data = await _chat_action(request)
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(422, "invalid_field", "text is required")
    if len(text) > _MAX_REPLY:
        raise ApiError(413, "text_too_long", f"replies are limited to {_MAX_REPLY} characters")
    conv = await run_in_threadpool(_get_conv, request, cid)
    _require_holder(op, conv.state)
    canned_id = data.get("canned_id")
    await run_in_threadpool(_service(request).post_message, cid, role="operator", text=text.strip(),
                            author=op.name)
    await run_in_threadpool(_audit, request, op.username, "reply", cid, "operator reply",
                            canned_id=canned_id if isinstance(canned_id, str) else None, chars=len(text))
    return JSONResponse({"ok": True})


async def transfer(request: Request) -> Response:
    op, cid, data = await _chat_action(request)
    target = data.get("queue")
    reason = data.get("reason")
    if target not in _queue_names(request):
        raise ApiError(422, "invalid_field", "unknown queue")
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(422, "reason_required", "say why you are transferring this chat")
    conv = await run_in_threadpool(_get_conv, request, cid)
    _require_holder(op, conv.state)
    service = _service(request)
    try:
        transition = handover.transfer(conv.state, target)
    except TransitionError as exc:
        raise ApiError(409, exc.code, str(exc)) from None
    event = service.event("conversation.transferred", cid, operator=op.username, **{"from": conv.state.queue,
                                                                                     "to": target})
    try:
        await run_in_threadpool(service.change_state, cid, lambda _s: transition.state, events=[event],
                                expected_version=conv.version)
    except StoreConflict:
        raise ApiError(409, "conflict", "the chat changed; reload and try again") from None
    await run_in_threadpool(_audit, request, op.username, "transfer", cid, reason.strip(), to=target)
    publish_console(request.app, {"type": "transferred", "conversation_id": cid})
    await run_in_threadpool(publish_positions, request.app, target)
    return JSONResponse({"ok": True})


async def close(request: Request) -> Response:
    op, cid, data = await _chat_action(request)
    outcome = data.get("outcome")
    if outcome not in {o["id"] for o in outcomes(_cfg(request))}:
        raise ApiError(422, "invalid_field", "unknown outcome code")
    conv = await run_in_threadpool(_get_conv, request, cid)
    _require_holder(op, conv.state)
    service = _service(request)
    transition = handover.close(conv.state, str(outcome))
    settings = request.app.state.settings
    event = service.event("conversation.closed", cid, operator=op.username, outcome=outcome)
    try:
        await run_in_threadpool(
            service.post_message, cid, role="system", text=settings.text("closed", conv.state.language),
            kind="closed", change_state=lambda _s: transition.state, events=[event])
    except StoreConflict:
        raise ApiError(409, "conflict", "the chat changed; reload and try again") from None
    note = data.get("note") if isinstance(data.get("note"), str) else ""
    await run_in_threadpool(_audit, request, op.username, "close", cid, note or "closed with outcome",
                            outcome=outcome)
    publish_console(request.app, {"type": "closed", "conversation_id": cid})
    return JSONResponse({"ok": True})


async def export(request: Request) -> Response:
    op = await _operator(request)
    cid = request.path_params["id"]
    reason = request.query_params.get("reason", "").strip()
    if not reason:
        raise ApiError(422, "reason_required", "say why you are exporting this transcript (?reason=...)")
    conv = await run_in_threadpool(_get_conv, request, cid)
    if conv.state.operator != op.username and op.role != "admin":
        raise ApiError(403, "forbidden", "only the handling operator or an admin may export a transcript")
    payload = await run_in_threadpool(_conversation_payload, request, conv)
    await run_in_threadpool(_audit, request, op.username, "export", cid, reason)
    return JSONResponse(payload, headers={"Content-Disposition": f'attachment; filename="chat-{cid}.json"'})


async def audit_log(request: Request) -> Response:
    op = await _operator(request)
    if op.role != "admin":
        raise ApiError(403, "forbidden", "only an admin can read the audit log")
    q = request.query_params
    try:
        after = int(q.get("after_id", "0"))
        limit = min(1000, max(1, int(q.get("limit", "200"))))
    except ValueError:
        raise ApiError(422, "invalid_field", "after_id and limit must be numbers") from None
    rows = await run_in_threadpool(
        request.app.state.store.list_audit, force=request.app.state.settings.force_id,
        conversation_id=q.get("conversation_id") or None, actor=q.get("actor") or None, after_id=after,
        limit=limit)
    await run_in_threadpool(_audit, request, op.username, "audit_view", None, "admin read the audit log")
    return JSONResponse({"entries": [r.public() for r in rows]})


# -- live updates ----------------------------------------------------------------------------------


def publish_console(app: Any, payload: Mapping[str, Any]) -> None:
    app.state.pubsub.publish(console_channel(app.state.settings.force_id), payload)


def publish_positions(app: Any, queue: str | None) -> None:
    """Tell every visitor waiting in ``queue`` their place and an expected wait."""
    if not queue:
        return
    force = app.state.settings.force_id
    convs = app.state.store.list_conversations(force=force, status="queued", queue=queue, limit=500)
    convs = sorted(convs, key=lambda c: (-c.state.priority, c.state.queued_at or c.updated_at.isoformat()))
    per_chat = float(app.state.settings.section("console").get("average_handle_minutes", 8))
    service = app.state.service
    for position, conv in enumerate(convs, start=1):
        service.publish(conv.id, {"type": "queue", "queue": queue, "position": position,
                                  "expected_wait_seconds": int(position * per_chat * 60)})


def sweep_timeouts(app: Any) -> int:
    """Requeue chats whose operator has not replied for ``console.operator_timeout_minutes``."""
    settings = app.state.settings
    timeout = float(settings.section("console").get("operator_timeout_minutes", 10)) * 60
    store = app.state.store
    service = app.state.service
    now = _now()
    moved = 0
    for conv in store.list_conversations(force=settings.force_id, status="with_operator", limit=500):
        messages = store.list_messages(force=settings.force_id, conversation_id=conv.id)
        last_staff = max((m.created_at for m in messages if m.role in ("operator", "system")), default=conv.updated_at)
        waiting_visitor = [m.created_at for m in messages if m.role == "visitor" and m.created_at > last_staff]
        # The operator is unresponsive when the visitor has waited for an answer, or nothing has
        # been said since the claim, for longer than the timeout.
        waiting_since = min(waiting_visitor) if waiting_visitor else last_staff
        if (now - waiting_since).total_seconds() < timeout:
            continue
        try:
            transition = handover.requeue(conv.state)
            event = service.event("operator.timed_out", conv.id, operator=conv.state.operator)
            service.change_state(conv.id, lambda _s, t=transition: t.state, events=[event],
                                 expected_version=conv.version)
        except (StoreConflict, TransitionError):
            continue
        store.add_audit(force=settings.force_id, record=AuditRecord(
            force=settings.force_id, at=now, actor="system", action="requeue", conversation_id=conv.id,
            reason="operator timed out", detail={"operator": conv.state.operator}))
        moved += 1
        publish_positions(app, conv.state.queue)
    if moved:
        publish_console(app, {"type": "requeued"})
    return moved


async def events(request: Request) -> Response:
    await _operator(request)
    pubsub = request.app.state.pubsub
    channel = console_channel(request.app.state.settings.force_id)

    async def stream() -> AsyncIterator[bytes]:
        async with pubsub.subscribe(channel) as sub:
            yield b": connected\n\n"
            while True:
                try:
                    payload = await asyncio.wait_for(sub.get(), timeout=SSE_KEEPALIVE)
                except asyncio.TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                yield f"data: {json.dumps(payload)}\n\n".encode()

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


class ConsoleObserver:
    """A plugin (observer hooks only) that turns conversation events into console updates and
    visitors' queue positions."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def _staffed(self, conversation_id: str | None) -> bool:
        if not conversation_id:
            return False
        conv = self.app.state.store.get_conversation(force=self.app.state.settings.force_id,
                                                      conversation_id=conversation_id)
        return conv is not None and conv.state.status in (Status.QUEUED, Status.WITH_OPERATOR)

    @hookimpl
    def on_event(self, event: Any) -> None:
        if event.type in ("handover.requested", "status.changed", "message.received", "emergency.diverted"):
            if event.type == "message.received" and not self._staffed(event.conversation_id):
                return  # a chat still with the bot is no operator's business yet
            try:
                publish_console(self.app, {"type": event.type, "conversation_id": event.conversation_id})
                if event.type == "handover.requested":
                    publish_positions(self.app, event.data.get("queue"))
            except Exception:  # noqa: BLE001 - an observer never breaks a turn
                log.exception("console update failed")


# -- static ----------------------------------------------------------------------------------------


async def index(request: Request) -> Response:
    if request.url.path.rstrip("/") == "/console" and not request.url.path.endswith("/"):
        return RedirectResponse("/console/", status_code=308)
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-store"})


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in ("console.js", "console.css"):
        raise ApiError(404, "not_found", "no such file")
    media = "text/javascript; charset=utf-8" if name.endswith(".js") else "text/css; charset=utf-8"
    return FileResponse(STATIC / name, media_type=media)


ROUTES = [
    Route("/console", index, methods=["GET"]),
    Route("/console/", index, methods=["GET"]),
    Route("/console/{name:str}", asset, methods=["GET"]),
    Route("/console/api/login", login, methods=["POST"]),
    Route("/console/api/logout", logout, methods=["POST"]),
    Route("/console/api/me", me, methods=["GET"]),
    Route("/console/api/meta", meta, methods=["GET"]),
    Route("/console/api/canned", canned, methods=["GET"]),
    Route("/console/api/queues", queues, methods=["GET"]),
    Route("/console/api/history", history, methods=["GET"]),
    Route("/console/api/events", events, methods=["GET"]),
    Route("/console/api/audit", audit_log, methods=["GET"]),
    Route("/console/api/conversations/{id}", conversation, methods=["GET"]),
    Route("/console/api/conversations/{id}/claim", claim, methods=["POST"]),
    Route("/console/api/conversations/{id}/messages", reply, methods=["POST"]),
    Route("/console/api/conversations/{id}/transfer", transfer, methods=["POST"]),
    Route("/console/api/conversations/{id}/close", close, methods=["POST"]),
    Route("/console/api/conversations/{id}/export", export, methods=["GET"]),
]
