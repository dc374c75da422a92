"""Meta-tests: every hookspec is documented and exercised by at least one test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from switchboard import hookspecs

SPECS = hookspecs.spec_names()
TESTS = Path(__file__).resolve().parent


def test_there_are_specs():
    assert {"assess_risk", "categorise_intent", "select_queue", "register_journeys"} <= set(SPECS)


@pytest.mark.parametrize("name", SPECS)
def test_spec_is_documented(name):
    fn = getattr(hookspecs, name)
    doc = inspect.getdoc(fn) or ""
    assert len(doc.splitlines()[0]) > 10, f"{name}: no summary line"
    assert ":returns:" in doc, f"{name}: does not say what it returns"
    assert "versionadded:" in doc, f"{name}: no versionadded"
    firstresult = fn.switchboard_spec.get("firstresult", False)
    if firstresult:
        assert "firstresult" in doc, f"{name}: firstresult spec must say so"
    elif name.startswith(("after_", "on_")):
        assert "ignored" in doc, f"{name}: observers must say the return value is ignored"
    else:
        assert "Collect-all" in doc, f"{name}: collect-all spec must say so"
    params = [p for p in inspect.signature(fn).parameters]
    for param in params:
        assert f":param {param}:" in doc, f"{name}: parameter {param} undocumented"


def _test_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in TESTS.rglob("test_*.py"))


@pytest.mark.parametrize("name", SPECS)
def test_spec_is_implemented_in_a_test(name):
    pattern = re.compile(rf"def {name}\(")
    assert pattern.search(_test_sources()), f"no test implements the {name} hook"
