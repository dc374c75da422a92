"""The demo page, the accessibility statement and the widget's static files.

Visitor-facing page text lives in the HTML files under ``static/`` (reviewable content), never in
Python.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

STATIC_DIR = Path(__file__).resolve().parent / "static"


def _file(name: str, media_type: str, cache: str) -> Response:
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers={"Cache-Control": cache})


async def demo_page(request: Request) -> Response:
    return _file("index.html", "text/html; charset=utf-8", "no-cache")


async def widget_js(request: Request) -> Response:
    return _file("widget.js", "text/javascript; charset=utf-8", "public, max-age=300")


async def widget_css(request: Request) -> Response:
    return _file("widget.css", "text/css; charset=utf-8", "public, max-age=300")


async def demo_css(request: Request) -> Response:
    return _file("demo.css", "text/css; charset=utf-8", "public, max-age=300")


async def accessibility_page(request: Request) -> Response:
    """The accessibility statement (WCAG 2.2 AA; Public Sector Bodies Accessibility Regulations 2018)."""
    return _file("accessibility.html", "text/html; charset=utf-8", "no-cache")
