"""Deployment configuration: one TOML file per deployment, ``SWITCHBOARD_*`` environment overrides.

Precedence (later wins): the built-in defaults, the TOML file, environment variables.

Environment variables:

* ``SWITCHBOARD_CONFIG``: path of the TOML file (default: the demo force shipped with the package).
* ``SWITCHBOARD_DATA_DIR``: shorthand for ``storage.data_dir``.
* ``SWITCHBOARD_DATABASE_URL``: shorthand for ``storage.url``.
* ``SWITCHBOARD_DISABLE_PLUGINS``: comma-separated plugin names, added to ``plugins.disabled``.
* ``SWITCHBOARD_SECRET_KEY``: secret for signing tokens and sessions (never in the file).
* ``SWITCHBOARD_<SECTION>__<KEY>[__<KEY>…]``: any other key, e.g.
  ``SWITCHBOARD_LIMITS__MAX_TEXT_CHARS=3000``. Values are read as TOML values when they parse
  (numbers, booleans, ``["lists"]``), otherwise as strings.

Validation names the file and the dotted key of every problem, with a suggestion for misspellings.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .staff import console_problems

PACKAGE_DIR = Path(__file__).resolve().parent
DEMO_CONFIG = PACKAGE_DIR / "forces" / "demo" / "force.toml"

ENV_PREFIX = "SWITCHBOARD_"
_ENV_SHORTHANDS = {
    "SWITCHBOARD_DATA_DIR": ("storage", "data_dir"),
    "SWITCHBOARD_DATABASE_URL": ("storage", "url"),
    "SWITCHBOARD_REDIS_URL": ("storage", "redis_url"),
}
_ENV_IGNORED = {"SWITCHBOARD_CONFIG", "SWITCHBOARD_SECRET_KEY", "SWITCHBOARD_DISABLE_PLUGINS",
                "SWITCHBOARD_TRACE_HOOKS", "SWITCHBOARD_LOG_LEVEL"}

# Core-owned sections: key -> (accepted types, default). ``None`` default means required.
_STR = (str,)
_INT = (int,)
_NUM = (int, float)
_BOOL = (bool,)
_LIST = (list,)
_TABLE = (dict,)

CORE_SCHEMA: dict[str, dict[str, tuple[tuple[type, ...], Any]]] = {
    "force": {
        "id": (_STR, None),
        "name": (_STR, None),
        "languages": (_LIST, ["en"]),
        "timezone": (_STR, "Europe/London"),
        "crime_reference_patterns": (_LIST, []),
        "reference_prefix": (_STR, "WEB"),
    },
    "server": {
        "host": (_STR, "127.0.0.1"),
        "port": (_INT, 8000),
        "workers": (_INT, 1),
        "public_url": (_STR, ""),
    },
    "storage": {
        "data_dir": (_STR, "./data"),
        "url": (_STR, ""),
        "redis_url": (_STR, ""),
        "retention_days": (_INT, 90),
    },
    "limits": {
        "max_text_chars": (_INT, 2000),
        "messages_per_minute": (_INT, 30),
        "conversations_per_hour": (_INT, 60),
    },
    "thresholds": {
        "intent_confidence": (_NUM, 0.5),
        "intent_margin": (_NUM, 0.0),
        "guidance_confidence": (_NUM, 0.2),
        # A keyword rule's immediate signal with no sign in the message that the danger is now
        # needs the risk model's p(immediate) to reach this floor, else it is handled as high
        # (a person checks the chat first). 0 turns the check off. See docs/plugins.md.
        "keyword_corroboration": (_NUM, 0.05),
        # The same check for a keyword emergency whose message does say the danger is now: a
        # lower floor, since a now cue is stronger evidence (the model must be nearly sure it is
        # not an emergency). 0 turns it off.
        "keyword_corroboration_now": (_NUM, 0.02),
    },
    "models": {
        "dir": (_STR, ""),
        "require": (_BOOL, False),
    },
}

# Sections whose contents belong to plugins or other modules; each validates its own keys
# through the ``validate_config`` hook (or its own loader).
PLUGIN_SECTIONS = {
    "sites", "texts", "plugins", "queues", "schedules", "routing", "escalation",
    "journeys", "guidance", "console", "retention",
}

#: Text keys every configured language must define (the bot's fixed sentences).
REQUIRED_TEXTS = (
    "greeting",
    "emergency",
    "emergency_self_harm",
    "urgent_handover",
    "handover_queued",
    "handover_closed",
    "clarify",
    "out_of_scope",
    "not_understood",
    "no_guidance",
    "human_requested",
    "operator_joined",
    "operator_left",
    "closed",
    "language_switched",
)


@dataclass(frozen=True)
class Settings:
    """Validated settings for one deployment. ``raw`` is the merged configuration."""

    raw: Mapping[str, Any]
    path: Path | None = None
    secret_key: str = ""
    disabled_plugins: frozenset[str] = field(default_factory=frozenset)

    # -- convenience accessors ------------------------------------------------------------------
    def section(self, name: str) -> Mapping[str, Any]:
        value = self.raw.get(name, {})
        return value if type(value) is dict or isinstance(value, Mapping) else {}

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.raw
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    @property
    def force_id(self) -> str:
        return self.raw["force"]["id"]

    @property
    def force_name(self) -> str:
        return self.raw["force"]["name"]

    @property
    def languages(self) -> list[str]:
        return list(self.raw["force"]["languages"])

    @property
    def timezone(self) -> str:
        return self.raw["force"]["timezone"]

    @property
    def data_dir(self) -> Path:
        return self.resolve_path(self.raw["storage"]["data_dir"], relative_to_cwd=True)

    @property
    def models_dir(self) -> Path:
        configured = self.raw["models"]["dir"]
        if configured:
            return self.resolve_path(configured, relative_to_cwd=True)
        return self.data_dir / "models"

    @property
    def config_dir(self) -> Path:
        return self.path.parent if self.path else DEMO_CONFIG.parent

    def resolve_path(self, value: str | Path, relative_to_cwd: bool = False) -> Path:
        """Resolve a path from config: absolute stays, relative is taken from the config file's
        folder (or the working directory for data locations)."""
        p = Path(os.path.expanduser(str(value)))
        if p.is_absolute():
            return p
        base = Path.cwd() if relative_to_cwd else self.config_dir
        return (base / p).resolve()

    def plugin_options(self, name: str) -> Mapping[str, Any]:
        opts = self.section("plugins").get(name, {})
        return opts if isinstance(opts, Mapping) else {}

    def text(self, key: str, language: str = "en", **fmt: Any) -> str:
        """A configured bot sentence, in ``language`` with English as the fallback."""
        template = self._text(key, language)
        if template is None:
            template = self._text(key, "en")
            if template is None:
                raise ConfigError(self.path, f"texts.{language}.{key}", "missing text")
        if "{" not in template and "}" not in template:
            return template  # what formatting would give
        if not all(type(v) is str for v in fmt.values()):
            return _format(template, {"force": self.force_name, **fmt})
        # A sentence filled with the same words is filled once (str values only: 1 == True).
        filled_key = (template, *fmt.items())
        cache = self.__dict__.get("_filled")
        if cache is None or len(cache) >= _FILLED_CACHE_SIZE:
            cache = {}
            object.__setattr__(self, "_filled", cache)
        filled = cache.get(filled_key)
        if filled is None:
            filled = cache[filled_key] = _format(template, {"force": self.force_name, **fmt})
        return filled

    def has_text(self, key: str, language: str = "en") -> bool:
        return self._text(key, language) is not None

    def _text(self, key: str, language: str) -> str | None:
        """The sentence ``texts.<language>.<key>`` as configured, or ``None`` (looked up once:
        the texts are read on every message)."""
        try:
            cache = self.__dict__["_texts"]
        except KeyError:
            cache = {}
            object.__setattr__(self, "_texts", cache)  # a cache, not a field: equality ignores it
        try:
            return cache[(key, language)]  # type: ignore[no-any-return]
        except KeyError:
            pass
        node: Any = self.section("texts").get(language, {})
        for part in key.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        found = node if isinstance(node, str) else None
        cache[(key, language)] = found
        return found

    def site(self, key: str) -> Mapping[str, Any] | None:
        site = self.section("sites").get(key)
        return site if isinstance(site, Mapping) else None


#: Filled-in sentences a Settings object keeps (cleared when full).
_FILLED_CACHE_SIZE = 1024


class _Default(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(template: str, values: Mapping[str, Any]) -> str:
    return template.format_map(_Default(values))


def _parse_env_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _suggest(word: str, choices: list[str] | set[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning every failure into a ConfigError naming the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, None, "file not found") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read file ({exc.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(path, None, "not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, None, f"invalid TOML: {exc}") from None


def _env_overrides(environ: Mapping[str, str], path: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in _ENV_IGNORED:
            continue
        if name in _ENV_SHORTHANDS:
            keys = list(_ENV_SHORTHANDS[name])
        else:
            rest = name[len(ENV_PREFIX):]
            if "__" not in rest:
                raise ConfigError(
                    path, name,
                    "unknown environment variable; use SWITCHBOARD_<SECTION>__<KEY>"
                    + _suggest(name, set(_ENV_SHORTHANDS) | _ENV_IGNORED),
                )
            keys = [k.lower() for k in rest.split("__") if k]
        node = out
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = _parse_env_value(raw)
    return out


def _validate_core(raw: dict[str, Any], path: Path | None) -> None:
    known = set(CORE_SCHEMA) | PLUGIN_SECTIONS
    for section in raw:
        if section not in known:
            raise ConfigError(path, section, "unknown section" + _suggest(section, known))
    for section, schema in CORE_SCHEMA.items():
        table = raw.setdefault(section, {})
        if not isinstance(table, dict):
            raise ConfigError(path, section, "must be a table")
        for key in table:
            if key not in schema:
                raise ConfigError(path, f"{section}.{key}", "unknown key" + _suggest(key, set(schema)))
        for key, (types, default) in schema.items():
            if key not in table:
                if default is None:
                    raise ConfigError(path, f"{section}.{key}", "required key is missing")
                table[key] = copy.deepcopy(default)
                continue
            value = table[key]
            if isinstance(value, bool) and bool not in types:
                raise ConfigError(path, f"{section}.{key}", f"expected {_type_name(types)}, got a boolean")
            if not isinstance(value, types):
                raise ConfigError(
                    path, f"{section}.{key}",
                    f"expected {_type_name(types)}, got {type(value).__name__} {value!r}",
                )
    force = raw["force"]
    if not force["id"].replace("_", "").replace("-", "").isalnum():
        raise ConfigError(path, "force.id", "use letters, digits, '-' and '_' only")
    for lang in force["languages"]:
        if lang not in ("en", "cy"):
            raise ConfigError(path, "force.languages", f"unsupported language {lang!r} (en, cy)")
    if "en" not in force["languages"]:
        raise ConfigError(path, "force.languages", "must include 'en'")
    for i, pattern in enumerate(force["crime_reference_patterns"]):
        try:
            re.compile(pattern)
        except (re.error, TypeError) as exc:
            raise ConfigError(path, f"force.crime_reference_patterns[{i}]", f"invalid regex: {exc}") from None
    limits = raw["limits"]
    for key in ("max_text_chars", "messages_per_minute", "conversations_per_hour"):
        if limits[key] <= 0:
            raise ConfigError(path, f"limits.{key}", "must be greater than 0")
    for key, value in raw["thresholds"].items():
        if not 0.0 <= float(value) <= 1.0:
            raise ConfigError(path, f"thresholds.{key}", "must be between 0 and 1")
    if not 0 < raw["server"]["port"] < 65536:
        raise ConfigError(path, "server.port", "must be between 1 and 65535")
    if raw["server"]["workers"] < 1:
        raise ConfigError(path, "server.workers", "must be at least 1")

    sites = raw.setdefault("sites", {})
    if not isinstance(sites, dict) or not sites:
        raise ConfigError(path, "sites", "define at least one site, e.g. [sites.demo]")
    for key, site in sites.items():
        if not isinstance(site, dict):
            raise ConfigError(path, f"sites.{key}", "must be a table")
        for skey in site:
            if skey not in ("name", "origins", "language"):
                raise ConfigError(path, f"sites.{key}.{skey}", "unknown key" + _suggest(skey, {"name", "origins", "language"}))
        if not isinstance(site.get("origins", []), list):
            raise ConfigError(path, f"sites.{key}.origins", "must be a list of origins")

    texts = raw.setdefault("texts", {})
    if not isinstance(texts, dict):
        raise ConfigError(path, "texts", "must be a table of languages")
    for lang in texts:
        if lang not in force["languages"]:
            raise ConfigError(path, f"texts.{lang}", "language not listed in force.languages")
    for lang in force["languages"]:
        table = texts.get(lang)
        if not isinstance(table, dict):
            raise ConfigError(path, f"texts.{lang}", "missing texts for a configured language")
        for key in REQUIRED_TEXTS:
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise ConfigError(path, f"texts.{lang}.{key}", "required text is missing or empty")

    console = raw.setdefault("console", {})
    if not isinstance(console, dict):
        raise ConfigError(path, "console", "must be a table")
    queue_ids = set(raw.get("queues", {}) or {})
    for problem in console_problems(console, queue_ids):
        key, _, what = problem.partition(": ")
        raise ConfigError(path, key, what)

    plugins = raw.setdefault("plugins", {})
    if not isinstance(plugins, dict):
        raise ConfigError(path, "plugins", "must be a table")
    disabled = plugins.setdefault("disabled", [])
    if not isinstance(disabled, list) or not all(isinstance(x, str) for x in disabled):
        raise ConfigError(path, "plugins.disabled", "must be a list of plugin names")


def _type_name(types: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    return " or ".join(names.get(t, t.__name__) for t in types)


def load_settings(
    path: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Load, merge and validate the deployment settings.

    :param path: the TOML file; default ``$SWITCHBOARD_CONFIG`` or the shipped demo force.
    :param environ: environment (default ``os.environ``).
    :param overrides: nested mapping applied last (used by tests and the CLI).
    :raises ConfigError: naming the file and key of the first problem.
    """
    env = os.environ if environ is None else environ
    if path is None:
        path = env.get("SWITCHBOARD_CONFIG") or DEMO_CONFIG
    cfg_path = Path(path).expanduser().resolve()
    raw = read_toml(cfg_path)
    _deep_merge(raw, _env_overrides(env, cfg_path))
    if overrides:
        _deep_merge(raw, overrides)
    _validate_core(raw, cfg_path)
    disabled = set(raw["plugins"]["disabled"])
    disabled.update(x.strip() for x in env.get("SWITCHBOARD_DISABLE_PLUGINS", "").split(",") if x.strip())
    secret = env.get("SWITCHBOARD_SECRET_KEY", "")
    return Settings(raw=raw, path=cfg_path, secret_key=secret, disabled_plugins=frozenset(disabled))
