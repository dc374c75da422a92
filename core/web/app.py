"""``create_app(settings) -> Starlette``: visitor API v1, widget, demo page, health.

The lifespan builds the plugin manager, the :class:`~switchboard.dispatch.Dispatcher`, the store,
the live pub/sub, the rate limiter and the :class:`~switchboard.service.ConversationService` into
``app.state``. The operator console mounts its routes on the same app (``app.state.service`` is
its entry point too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..config import Settings
from ..dispatch import Dispatcher
from ..plugin_manager import make_plugin_manager
from ..service import ConversationService
from ..store import Store, open_store
from ..store.pubsub import InProcessPubSub, PubSub
from . import api, console, pages
from .errors import EXCEPTION_HANDLERS
from .openapi import openapi_document
from .ratelimit import RateLimiter, TokenBucketLimiter
from .security import SecurityHeadersMiddleware, SiteCORSMiddleware

log = logging.getLogger("switchboard.web")


def create_app(
    settings: Settings,
    extra_plugins: list[tuple[str, object]] | None = None,
    *,
    store: Store | None = None,
    pubsub: PubSub | None = None,
    rate_limiter: RateLimiter | None = None,
) -> Starlette:
    """Build the app. ``store``, ``pubsub`` and ``rate_limiter`` default to the embedded
    implementations (SQLite under ``settings.data_dir``, in-process fan-out, token buckets)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pm = make_plugin_manager(disabled=settings.disabled_plugins, extra_plugins=extra_plugins or [])
        dispatcher = Dispatcher(pm, settings)
        the_store = store if store is not None else open_store(settings)
        app.state.settings = settings
        app.state.dispatcher = dispatcher
        app.state.store = the_store
        app.state.pubsub = pubsub if pubsub is not None else InProcessPubSub()
        app.state.rate_limiter = rate_limiter if rate_limiter is not None else TokenBucketLimiter()
        app.state.service = ConversationService(
            settings=settings, dispatcher=dispatcher, store=the_store, pubsub=app.state.pubsub)
        pm.register(console.ConsoleObserver(app), name="console")
        console.seed_demo_accounts(the_store, settings)
        sweeper = asyncio.create_task(_sweep_forever(app))
        log.info("switchboard ready for force %s", settings.force_id)
        try:
            yield
        finally:
            sweeper.cancel()
            if store is None:
                the_store.close()

    def site_origins() -> list[str]:
        return [o for site in settings.section("sites").values() if isinstance(site, dict)
                for o in site.get("origins", [])]

    routes = [
        Route("/", pages.demo_page, methods=["GET"]),
        Route("/widget.js", pages.widget_js, methods=["GET"]),
        Route("/widget.css", pages.widget_css, methods=["GET"]),
        Route("/demo.css", pages.demo_css, methods=["GET"]),
        Route("/accessibility", pages.accessibility_page, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/api/v1/openapi.json", openapi, methods=["GET"]),
        Route("/api/v1/conversations", api.create_conversation, methods=["POST"]),
        Route("/api/v1/conversations/{id}", api.get_conversation, methods=["GET"]),
        Route("/api/v1/conversations/{id}/messages", api.post_message, methods=["POST"]),
        Route("/api/v1/conversations/{id}/events", api.conversation_events, methods=["GET"]),
        Route("/api/v1/conversations/{id}/leave", api.leave_conversation, methods=["POST"]),
        *console.ROUTES,
    ]
    middleware = [
        Middleware(SessionMiddleware, secret_key=session_secret(settings), session_cookie="sb_console",
                   path="/console", same_site="strict", https_only=False,
                   max_age=int(float(settings.section("console").get("session_hours", 10)) * 3600)),
        Middleware(SecurityHeadersMiddleware),
        Middleware(SiteCORSMiddleware, origins=site_origins),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                     exception_handlers=dict(EXCEPTION_HANDLERS))  # type: ignore[arg-type]


def session_secret(settings: Settings) -> str:
    """``SWITCHBOARD_SECRET_KEY``, or a random key kept in ``<data_dir>/secret_key`` (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    try:
        os.link(tmp, path)  # atomic: the first worker's key wins, the others read it
    except FileExistsError:
        key = path.read_text(encoding="utf-8").strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key


async def _sweep_forever(app: Starlette, every: float = 30.0) -> None:
    """Requeue chats whose operator stopped responding (see ``console.sweep_timeouts``)."""
    while True:
        await asyncio.sleep(every)
        try:
            await run_in_threadpool(console.sweep_timeouts, app)
        except Exception:  # noqa: BLE001 - keep sweeping
            log.exception("operator timeout sweep failed")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    reports = list(await run_in_threadpool(request.app.state.dispatcher.health))
    reports.append(await run_in_threadpool(request.app.state.store.health))
    status = "ok"
    if any(r.status == "down" for r in reports):
        status = "down"
    elif any(r.status == "degraded" for r in reports):
        status = "degraded"
    body: dict[str, Any] = {"status": status, "components": [r.__dict__ for r in reports]}
    return JSONResponse(body, status_code=503 if status == "down" else 200)


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(openapi_document())
