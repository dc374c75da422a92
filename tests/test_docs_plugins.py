"""docs/plugins.md stays true: it names every hook, and its example plugin and tests run."""

from __future__ import annotations

import re
from pathlib import Path

from switchboard import hookspecs

DOC = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_every_hook_is_in_the_integrator_guide():
    text = DOC.read_text(encoding="utf-8")
    for name in hookspecs.spec_names():
        assert f"`{name}(" in text, name


def test_the_example_plugin_and_its_tests_run(sb_dispatcher, sb_client, sb_conversation, tmp_path, monkeypatch):
    plugin_src, tests_src = _python_blocks()
    namespace: dict = {"__file__": str(tmp_path / "plugin.py")}
    (tmp_path / "journeys").mkdir()
    exec(compile(plugin_src, "docs/plugins.md", "exec"), namespace)
    exec(compile(tests_src, "docs/plugins.md", "exec"), namespace)
    namespace["test_flood_rule_diverts"](sb_dispatcher)
    namespace["test_roads_queue"](sb_client, sb_conversation)
