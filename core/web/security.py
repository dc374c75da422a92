"""Security headers and per-site CORS, as small pure-ASGI middlewares."""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Iterable

from starlette.datastructures import Headers, MutableHeaders

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: CSP of the HTML pages (demo page): no inline script or style, nothing from elsewhere.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: CSP of everything else (JSON, scripts): nothing may be loaded in their context.
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"

#: Files a force website loads from another origin.
CROSS_ORIGIN_FILES = ("/widget.js", "/widget.css")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                ctype = headers.get("content-type", "")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
                if ctype.startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", PAGE_CSP)
                    headers.setdefault("X-Frame-Options", "DENY")
                else:
                    headers.setdefault("Content-Security-Policy", OTHER_CSP)
                if path in CROSS_ORIGIN_FILES:
                    headers["Cross-Origin-Resource-Policy"] = "cross-origin"
                else:
                    headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
                if path.startswith("/api/"):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def request_origin(scope: Scope) -> str:
    """``scheme://host[:port]`` the request was addressed to."""
    headers = Headers(scope=scope)
    scheme = scope.get("scheme", "http")
    return f"{scheme}://{headers.get('host', '')}"


class SiteCORSMiddleware:
    """CORS for ``/api/`` answering only origins listed in some ``sites.<key>.origins``.

    Same-origin requests need nothing. The endpoints check the origin against the one site a
    conversation belongs to; this middleware answers preflights and adds the response headers.
    """

    def __init__(self, app: ASGIApp, origins: Callable[[], Iterable[str]]) -> None:
        self.app = app
        self._origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        if not origin or origin == request_origin(scope):
            await self.app(scope, receive, send)
            return
        allowed = origin in set(self._origins())
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            if not allowed:
                await _send_json(send, 403, {"error": {"code": "origin_not_allowed",
                                                       "message": "this website may not use the chat API"}},
                                 [(b"vary", b"Origin")])
                return
            await _send_json(send, 204, None, [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
                (b"access-control-allow-headers", b"authorization, content-type"),
                (b"access-control-max-age", b"600"),
                (b"vary", b"Origin"),
            ])
            return

        async def send_cors(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                mh = MutableHeaders(scope=message)
                mh.append("Vary", "Origin")
                if allowed:
                    mh["Access-Control-Allow-Origin"] = origin
                    mh["Access-Control-Expose-Headers"] = "Retry-After"
            await send(message)

        await self.app(scope, receive, send_cors)


async def _send_json(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]]) -> None:
    data = b"" if body is None else json.dumps(body).encode()
    hdrs = list(headers)
    if body is not None:
        hdrs.append((b"content-type", b"application/json"))
    hdrs.append((b"content-length", str(len(data)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": data})
