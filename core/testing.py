"""A pytest plugin for integrators testing their force plugins (auto-loaded via ``pytest11``).

A force's own test suite is three lines::

    def test_my_rule_diverts(sb_dispatcher):
        d = sb_dispatcher(plugins=[("myforce", MyForcePlugin)])
        assert d.triage("there's a man with a machete outside").emergency

Fixtures:

* ``sb_settings(path=None, **overrides)``: load settings (default the demo force) with a private
  temporary data directory, environment ignored.
* ``sb_dispatcher(plugins=(), settings=None, disabled=(), builtins=True)``: a fresh plugin manager
  with the built-ins loaded from entry points plus your plugins, wrapped in a ``Dispatcher``.
* ``sb_client(plugins=(), settings=None)``: a Starlette ``TestClient`` for the full app (lifespan
  running), usable as a context manager.
* ``sb_conversation(client, site="demo")``: start a visitor conversation; returns a helper with
  ``.send(text)`` / ``.choose(option_id)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pytest

from .config import Settings, load_settings
from .dispatch import Dispatcher
from .plugin_manager import make_plugin_manager


def _deep(d: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for k in keys[:-1]:
        d = d.setdefault(k, {})
    d[keys[-1]] = value


@pytest.fixture
def sb_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(path: str | Path | None = None, overrides: dict[str, Any] | None = None, **dotted: Any) -> Settings:
        merged: dict[str, Any] = {"storage": {"data_dir": str(tmp_path / "data")}}
        for key, value in (overrides or {}).items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            else:
                merged[key] = value
        for key, value in dotted.items():
            _deep(merged, key.replace("__", "."), value)
        return load_settings(path, environ={}, overrides=merged)

    return make


@pytest.fixture
def sb_dispatcher(sb_settings: Callable[..., Settings]) -> Callable[..., Dispatcher]:
    def make(
        plugins: Iterable[tuple[str, Any]] = (),
        settings: Settings | None = None,
        disabled: Iterable[str] = (),
        builtins: bool = True,
    ) -> Dispatcher:
        settings = settings or sb_settings()
        pm = make_plugin_manager(
            disabled=set(disabled) | set(settings.disabled_plugins),
            extra_plugins=list(plugins),
            load_entry_points=builtins,
        )
        return Dispatcher(pm, settings)

    return make


@pytest.fixture
def sb_client(sb_settings: Callable[..., Settings]) -> Iterator[Callable[..., Any]]:
    from starlette.testclient import TestClient

    from .web.app import create_app

    clients: list[Any] = []

    def make(plugins: Iterable[tuple[str, Any]] = (), settings: Settings | None = None) -> Any:
        app = create_app(settings or sb_settings(), extra_plugins=list(plugins))
        client = TestClient(app)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


class VisitorConversation:
    """Drives one visitor conversation through the API v1."""

    def __init__(self, client: Any, site: str = "demo") -> None:
        self.client = client
        resp = client.post("/api/v1/conversations", json={"site": site})
        assert resp.status_code == 201, resp.text
        body = resp.json()
        self.id: str = body["id"]
        self.token: str = body["token"]
        self.messages: list[dict[str, Any]] = list(body["messages"])
        self.state: dict[str, Any] = body["state"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _post(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        resp = self.client.post(f"/api/v1/conversations/{self.id}/messages", json=payload, headers=self.headers)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        self.messages.extend(body["messages"])
        self.state = body["state"]
        return [m for m in body["messages"] if m["role"] != "visitor"]

    def send(self, text: str, **extra: Any) -> list[dict[str, Any]]:
        return self._post({"text": text, **extra})

    def choose(self, option_id: str) -> list[dict[str, Any]]:
        return self._post({"choice": option_id})

    @property
    def last_options(self) -> list[str]:
        for msg in reversed(self.messages):
            if msg.get("options"):
                return [o["id"] for o in msg["options"]]
        return []


@pytest.fixture
def sb_conversation() -> Callable[..., VisitorConversation]:
    return VisitorConversation
