"""``create_app(settings) -> Starlette`` (skeleton: health endpoints; the visitor API issue fills in
the rest)."""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..config import Settings
from ..dispatch import Dispatcher
from ..plugin_manager import make_plugin_manager


def create_app(settings: Settings, extra_plugins: list[tuple[str, object]] | None = None) -> Starlette:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pm = make_plugin_manager(disabled=settings.disabled_plugins, extra_plugins=extra_plugins or [])
        app.state.settings = settings
        app.state.dispatcher = Dispatcher(pm, settings)
        yield

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        reports = request.app.state.dispatcher.health()
        status = "ok"
        if any(r.status == "down" for r in reports):
            status = "down"
        elif any(r.status == "degraded" for r in reports):
            status = "degraded"
        body = {"status": status, "components": [r.__dict__ for r in reports]}
        return JSONResponse(body, status_code=503 if status == "down" else 200)

    return Starlette(routes=[Route("/healthz", healthz), Route("/readyz", readyz)], lifespan=lifespan)
