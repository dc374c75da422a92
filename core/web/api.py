"""Visitor API v1 endpoints (the contract is ``openapi.py`` and ``docs/api.md``)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, AsyncIterator, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..service import (
    ConversationNotFound,
    ConversationService,
    InvalidToken,
    TurnFailed,
    UnknownSite,
)
from ..store import ConversationRecord
from ..store.pubsub import conversation_channel
from ..types import Status
from .console import publish_console, publish_positions
from .errors import ApiError
from .ratelimit import RateLimiter
from .security import request_origin

log = logging.getLogger("switchboard.web")

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_MAX_CHOICE = 100
#: Seconds between SSE keep-alive comments.
SSE_KEEPALIVE = 15.0


def _service(request: Request) -> ConversationService:
    return request.app.state.service


def _limits(request: Request) -> Mapping[str, Any]:
    return request.app.state.settings.section("limits")


async def _json_object(request: Request, allow_empty: bool = False) -> dict[str, Any]:
    """The body as a JSON object, whatever the Content-Type says (``navigator.sendBeacon`` sends
    ``text/plain``). ``allow_empty``: an empty body is ``{}``."""
    max_bytes = max(16_384, int(_limits(request)["max_text_chars"]) * 8 + 1024)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(413, "payload_too_large", f"request body over {max_bytes} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise ApiError(413, "payload_too_large", f"request body over {max_bytes} bytes")
    if allow_empty and not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "the request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_field", "the request body must be a JSON object")
    return data


def _reject_unknown(data: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ApiError(422, "unknown_field", f"unknown field {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _check_origin(request: Request, site: str) -> None:
    origin = request.headers.get("origin")
    if not origin or origin == request_origin(request.scope):
        return
    site_cfg = request.app.state.settings.site(site) or {}
    if origin not in site_cfg.get("origins", []):
        raise ApiError(403, "origin_not_allowed", "this website may not use the chat API for this site")


def _rate(request: Request, key: str, limit: int, period: float) -> None:
    limiter: RateLimiter = request.app.state.rate_limiter
    decision = limiter.hit(key, limit, period)
    if not decision.allowed:
        raise ApiError(429, "rate_limited", "too many requests; please wait a moment",
                       {"Retry-After": decision.retry_after_header})


def _bearer(request: Request, allow_query: bool = False) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer " and header[7:].strip():
        return header[7:].strip()
    if allow_query:
        return request.query_params.get("token") or None
    return None


async def _authenticate(
    request: Request, allow_query: bool = False, body_token: str | None = None,
) -> ConversationRecord:
    token = _bearer(request, allow_query) or body_token
    if token is None:
        raise ApiError(401, "unauthorized", "send the conversation token as 'Authorization: Bearer <token>'",
                       {"WWW-Authenticate": "Bearer"})
    try:
        conv = await run_in_threadpool(_service(request).authenticate, request.path_params["id"], token)
    except ConversationNotFound:
        raise ApiError(404, "not_found", "unknown conversation") from None
    except InvalidToken:
        raise ApiError(401, "unauthorized", "wrong conversation token", {"WWW-Authenticate": "Bearer"}) from None
    _check_origin(request, conv.site)
    return conv


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def create_conversation(request: Request) -> Response:
    data = await _json_object(request)
    _reject_unknown(data, {"site"})
    site = data.get("site")
    if not isinstance(site, str) or not site:
        raise ApiError(422, "invalid_field", "'site' must be a site key string")
    service = _service(request)
    if request.app.state.settings.site(site) is None:
        raise ApiError(422, "unknown_site", "unknown site key")
    _check_origin(request, site)
    limits = _limits(request)
    _rate(request, f"conversations:{_client_ip(request)}", int(limits["conversations_per_hour"]), 3600.0)
    try:
        result = await run_in_threadpool(service.start, site=site)
    except UnknownSite:
        raise ApiError(422, "unknown_site", "unknown site key") from None
    return JSONResponse(
        {
            "id": result.conversation.id,
            "token": result.token,
            "messages": [m.public() for m in result.messages],
            "state": result.conversation.state.public(),
        },
        status_code=201,
    )


def _parse_message(data: Mapping[str, Any], max_chars: int) -> dict[str, Any]:
    _reject_unknown(data, {"text", "choice", "client_id"})
    text, choice, client_id = data.get("text"), data.get("choice"), data.get("client_id")
    if (text is None) == (choice is None):
        raise ApiError(422, "invalid_field", "send exactly one of 'text' or 'choice'")
    if text is not None:
        if not isinstance(text, str):
            raise ApiError(422, "invalid_field", "'text' must be a string")
        if not text.strip():
            raise ApiError(422, "invalid_field", "'text' is empty")
        if len(text) > max_chars:
            raise ApiError(413, "text_too_long", f"'text' is longer than {max_chars} characters")
    if choice is not None and (not isinstance(choice, str) or not choice or len(choice) > _MAX_CHOICE):
        raise ApiError(422, "invalid_field", f"'choice' must be an option id of 1 to {_MAX_CHOICE} characters")
    if client_id is not None and (not isinstance(client_id, str) or not _CLIENT_ID.match(client_id)):
        raise ApiError(422, "invalid_field", "'client_id' must be 1 to 64 letters, digits or ._:-")
    return {"text": text, "choice": choice, "client_id": client_id}


async def post_message(request: Request) -> Response:
    conv = await _authenticate(request)
    limits = _limits(request)
    fields = _parse_message(await _json_object(request), int(limits["max_text_chars"]))
    _rate(request, f"messages:{conv.force}:{conv.id}", int(limits["messages_per_minute"]), 60.0)
    try:
        result = await run_in_threadpool(_service(request).handle_visitor_message, conv.id, **fields)
    except ConversationNotFound:
        raise ApiError(404, "not_found", "unknown conversation") from None
    except TurnFailed as exc:
        raise ApiError(500, "internal_error", exc.message) from None
    return JSONResponse({"messages": [m.public() for m in result.messages], "state": result.state.public()})


async def get_conversation(request: Request) -> Response:
    conv = await _authenticate(request)
    messages, current = await run_in_threadpool(_service(request).transcript, conv.id)
    return JSONResponse({"id": conv.id, "messages": [m.public() for m in messages], "state": current.state.public()})


async def leave_conversation(request: Request) -> Response:
    """The visitor left (quick exit or "End chat"): close the conversation as ``visitor_left``.

    The token comes as ``Authorization: Bearer`` or, for ``navigator.sendBeacon`` (which cannot
    set headers and sends ``text/plain``), as ``{"token": "..."}`` in the body. Idempotent: an
    already closed conversation answers 200 with its state and changes nothing.
    """
    data = await _json_object(request, allow_empty=True)
    _reject_unknown(data, {"token"})
    body_token = data.get("token")
    if body_token is not None and (not isinstance(body_token, str) or not body_token):
        raise ApiError(422, "invalid_field", "'token' must be the conversation token string")
    conv = await _authenticate(request, body_token=body_token)
    limits = _limits(request)
    _rate(request, f"leave:{conv.force}:{conv.id}", int(limits["messages_per_minute"]), 60.0)
    try:
        result = await run_in_threadpool(_service(request).leave, conv.id)
    except ConversationNotFound:
        raise ApiError(404, "not_found", "unknown conversation") from None
    except TurnFailed as exc:
        raise ApiError(500, "internal_error", exc.message) from None
    if result.changed:
        publish_console(request.app, {"type": "visitor_left", "conversation_id": conv.id})
        if result.previous.status is Status.QUEUED:
            # everyone behind the visitor who left moves up a place
            await run_in_threadpool(publish_positions, request.app, result.previous.queue)
    return JSONResponse({"id": conv.id, "state": result.conversation.state.public()})


def _sse(event: str, data: Mapping[str, Any], event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


async def conversation_events(request: Request) -> Response:
    """Server-sent events: ``message``, ``state``, ``queue`` (and ``resync`` when the client
    should re-read the transcript). The first event is the current ``state``."""
    conv = await _authenticate(request, allow_query=True)
    service = _service(request)
    channel = conversation_channel(conv.force, conv.id)
    keepalive = float(getattr(request.app.state, "sse_keepalive", SSE_KEEPALIVE))

    async def stream() -> AsyncIterator[str]:
        async with service.pubsub.subscribe(channel) as sub:
            current = await run_in_threadpool(service.get, conv.id)
            yield "retry: 3000\n\n"
            yield _sse("state", {"type": "state", "state": current.state.public()})
            while True:
                try:
                    payload = await asyncio.wait_for(sub.get(), timeout=keepalive)
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                kind = str(payload.get("type", "message"))
                event_id = payload["message"]["id"] if kind == "message" and "message" in payload else None
                yield _sse(kind, payload, event_id)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
