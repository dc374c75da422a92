"""The only module-level app factory, for uvicorn (``switchboard.asgi:app_from_env``)."""

from __future__ import annotations

from starlette.applications import Starlette

from .config import load_settings
from .web.app import create_app


def app_from_env() -> Starlette:
    """Build the app from ``$SWITCHBOARD_CONFIG`` (or the demo force) and the environment."""
    return create_app(load_settings())
