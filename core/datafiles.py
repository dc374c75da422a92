"""Reading the line-oriented data files the CLI and the training tools accept."""

from __future__ import annotations

import json
from typing import Any, Iterator

from .errors import DataError


def iter_jsonl(name: str, text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of JSON Lines text.

    :raises DataError: ``<name>:<line>`` for a line that is not a JSON object.
    """
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{name}:{lineno}", f"invalid JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise DataError(f"{name}:{lineno}", "each line must be a JSON object")
        yield lineno, obj
