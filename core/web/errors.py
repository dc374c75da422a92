"""API errors as JSON ``{"error": {"code", "message"}}``: never a stack trace, never HTML."""

from __future__ import annotations

import logging
from typing import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import SwitchboardError

log = logging.getLogger("switchboard.web")

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid_field", 429: "rate_limited",
    500: "internal_error", 503: "unavailable",
}


class ApiError(SwitchboardError):
    """An error answered to an API client with ``status`` and a stable ``code``."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = dict(headers or {})


def error_response(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=dict(headers or {}))


async def api_error_handler(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ApiError):
        return await server_error_handler(request, exc)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    code = _HTTP_CODES.get(status, "error")
    message = {404: "no such resource", 405: "method not allowed for this resource"}.get(
        status, str(getattr(exc, "detail", "")) or code.replace("_", " "))
    return error_response(status, code, message, headers)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "something went wrong; please try again")


EXCEPTION_HANDLERS = {
    ApiError: api_error_handler,
    HTTPException: http_error_handler,
    Exception: server_error_handler,
}
