"""Build a plugin manager: load the ``switchboard`` entry-point group, block disabled plugins.

Built-in plugins are registered through the very same entry-point group as third-party ones
(see ``setup.cfg``), so the built-ins prove the contract. There is no global manager: every
caller (the app, the CLI, each test) builds its own with :func:`make_plugin_manager`.

An entry point may name a class (instantiated with no arguments, so each manager gets fresh
plugin state), a module, or an object with hook implementations.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import logging
import os
from dataclasses import dataclass
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .errors import PluginError

log = logging.getLogger("switchboard.plugins")

ENTRY_POINT_GROUP = "switchboard"


@dataclass(frozen=True)
class PluginInfo:
    """What ``switchboard plugins`` prints for one plugin."""

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    source: str  # entry point value or "registered"


class SwitchboardPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers where each plugin came from."""

    def __init__(self) -> None:
        super().__init__("switchboard")
        self.add_hookspecs(hookspecs)
        #: plugin name -> (distribution, version, source)
        self.origins: dict[str, tuple[str | None, str | None, str]] = {}
        self.traced = False


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    # Deduplicate (an editable install can expose the same distribution twice).
    seen: dict[str, importlib.metadata.EntryPoint] = {}
    for ep in eps:
        seen.setdefault(ep.name, ep)
    return list(seen.values())


def _instantiate(obj: Any) -> Any:
    return obj() if inspect.isclass(obj) else obj


def make_plugin_manager(
    disabled: Iterable[str] = (),
    extra_plugins: Iterable[tuple[str, Any]] = (),
    load_entry_points: bool = True,
) -> SwitchboardPluginManager:
    """Build a fresh plugin manager.

    :param disabled: plugin names to block (config ``plugins.disabled`` and
        ``SWITCHBOARD_DISABLE_PLUGINS``, already merged by :func:`load_settings`). A name that
        matches no installed or extra plugin is an error, so a typo never silently leaves a
        plugin running.
    :param extra_plugins: ``(name, plugin)`` pairs registered after the entry points (tests and
        embedding applications); a class is instantiated.
    :param load_entry_points: set False to build a manager with only ``extra_plugins``.
    :raises PluginError: for an unknown name in ``disabled``, a plugin that fails to import or
        instantiate, or a hook implementation that matches no spec (``check_pending``).
    """
    pm = SwitchboardPluginManager()
    disabled = {d for d in disabled if d}
    extra = list(extra_plugins)
    eps = _entry_points() if load_entry_points else []
    known = {ep.name for ep in eps} | {name for name, _ in extra}
    unknown = sorted(disabled - known)
    if unknown:
        raise PluginError(unknown[0], f"cannot disable an unknown plugin (installed: {', '.join(sorted(known))})")
    for name in disabled:
        pm.set_blocked(name)
    for ep in eps:
        if pm.is_blocked(ep.name):
            log.info("plugin %s is disabled", ep.name)
            continue
        try:
            plugin = _instantiate(ep.load())
        except Exception as exc:  # noqa: BLE001 - any import/init failure is a plugin error
            raise PluginError(ep.name, f"failed to load ({type(exc).__name__}: {exc})") from exc
        pm.register(plugin, name=ep.name)
        dist = getattr(ep, "dist", None)
        pm.origins[ep.name] = (
            dist.name if dist else None,
            dist.version if dist else None,
            ep.value,
        )
    for name, obj in extra:
        if pm.is_blocked(name):
            continue
        try:
            plugin = _instantiate(obj)
        except Exception as exc:  # noqa: BLE001
            raise PluginError(name, f"failed to load ({type(exc).__name__}: {exc})") from exc
        pm.register(plugin, name=name)
        pm.origins[name] = (None, None, "registered")
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        plugin_name = pm.get_name(exc.plugin) if exc.plugin is not None else "?"
        raise PluginError(plugin_name or "?", str(exc)) from exc
    if os.environ.get("SWITCHBOARD_TRACE_HOOKS"):
        enable_tracing(pm)
    return pm


def enable_tracing(pm: SwitchboardPluginManager) -> None:
    """Log every hook call and result at DEBUG on ``switchboard.trace``."""
    trace_log = logging.getLogger("switchboard.trace")

    def before(hook_name: str, hook_impls: Any, kwargs: Any) -> None:
        trace_log.debug("call %s -> %s", hook_name, [i.plugin_name for i in hook_impls])

    def after(outcome: Any, hook_name: str, hook_impls: Any, kwargs: Any) -> None:
        trace_log.debug("done %s", hook_name)

    pm.add_hookcall_monitoring(before, after)
    pm.traced = True


def plugin_infos(pm: SwitchboardPluginManager) -> list[PluginInfo]:
    """Describe every registered plugin (name, distribution, version, hooks)."""
    info = pm.origins
    out = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = tuple(sorted(h.name for h in pm.get_hookcallers(plugin) or []))
        dist, version, source = info.get(name, (None, None, "registered"))
        out.append(PluginInfo(name=name, distribution=dist, version=version, hooks=hooks, source=source))
    return sorted(out, key=lambda p: p.name)
