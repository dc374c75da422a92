"""One root exception with a few subclasses that carry structured fields."""

from __future__ import annotations

from pathlib import Path


class SwitchboardError(Exception):
    """Root of every error switchboard raises on purpose.

    ``code`` is a stable, machine-readable identifier (used in HTTP error bodies and logs).
    """

    code = "switchboard_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(SwitchboardError):
    """A configuration file or value is wrong. Names the file and the key."""

    code = "config_error"

    def __init__(self, path: str | Path | None, key: str | None, problem: str) -> None:
        self.path = str(path) if path else None
        self.key = key
        self.problem = problem
        where = self.path or "<config>"
        if key:
            where = f"{where}: {key}"
        super().__init__(f"{where}: {problem}")


class PluginError(SwitchboardError):
    """A plugin could not be loaded, is unknown, or failed in a way that stops start-up."""

    code = "plugin_error"

    def __init__(self, plugin: str, problem: str) -> None:
        self.plugin = plugin
        self.problem = problem
        super().__init__(f"plugin {plugin!r}: {problem}")


class ModelLoadError(SwitchboardError):
    """A model artefact is missing, tampered with, or was built with other library versions."""

    code = "model_load_error"

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class DataError(SwitchboardError):
    """An input data file (triage input, training data, rules, journeys) is unusable.

    ``location`` names the file and, where known, the row, line, step or key.
    """

    code = "data_error"

    def __init__(self, location: str, problem: str) -> None:
        self.location = location
        self.problem = problem
        super().__init__(f"{location}: {problem}")
