"""A real server (uvicorn in a thread, tmp data dir, free port) and Chromium through Playwright.

Browser tests are skipped, with the reason, only when /usr/bin/chromium or the npm-installed
axe-core (``npm ci --prefix tests/browser``) is missing.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from switchboard import hookimpl
from switchboard.config import load_settings
from switchboard.types import RiskLevel, RiskSignal

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EMERGENCY_TEXT = "someone is breaking into my house right now"


class FallbackBreakInRisk:
    """Registered only while the built-in keyword rules do not yet divert EMERGENCY_TEXT."""

    @hookimpl
    def assess_risk(self, message: Any) -> RiskSignal | None:
        if "breaking into my house" in message.normalised:
            return RiskSignal(RiskLevel.IMMEDIATE, "crime_in_progress", "break-in in progress", rule_id="test-breakin")
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need /usr/bin/chromium (apt-get install -y chromium)")
    import uvicorn

    from switchboard.dispatch import Dispatcher
    from switchboard.plugin_manager import make_plugin_manager
    from switchboard.web.app import create_app

    data = tmp_path_factory.mktemp("browser-data")
    # One server serves every browser test, so chats that tests leave open accumulate: lift the
    # per-operator and per-queue limits (tested at API level in tests/test_console.py).
    roomy = {q: {"capacity_per_operator": 100, "max_waiting": 1000}
             for q in load_settings(environ={}).section("queues")}
    settings = load_settings(environ={}, overrides={
        "storage": {"data_dir": str(data)},
        "limits": {"conversations_per_hour": 1000, "messages_per_minute": 600},
        "queues": roomy,
    })
    probe = Dispatcher(make_plugin_manager(disabled=settings.disabled_plugins), settings)
    extra = [] if probe.triage(EMERGENCY_TEXT).emergency else [("test_breakin", FallbackBreakInRisk)]
    app = create_app(settings, extra_plugins=extra)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1, access_log=False))
    thread = threading.Thread(target=server.run, name="uvicorn-browser-tests", daemon=True)
    thread.start()
    for _ in range(400):
        if server.started:
            break
        time.sleep(0.025)
    else:
        server.should_exit = True
        pytest.fail("the test server did not start")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(live_server: str) -> Iterator[Any]:
    """One Chromium per test module. Module scope (not session): Playwright's sync API keeps an
    event loop running in the main thread while it is open, which would break later tests that
    call ``asyncio.run``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    # Network is loopback only: the quick-exit destination answers locally.
    ctx.route("https://www.bbc.co.uk/**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                       body="<title>Weather</title><p>Weather</p>"))
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any, live_server: str) -> Any:
    p = context.new_page()
    p.set_default_timeout(10_000)
    p.goto(live_server + "/")
    return p


@pytest.fixture
def axe_path() -> Path:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `npm ci --prefix tests/browser`")
    return AXE
