"""Shared fixtures. The integrator fixtures (sb_settings, sb_dispatcher, sb_client,
sb_conversation) come from the ``switchboard.testing`` pytest plugin."""

from __future__ import annotations

import os

# Tests never read the developer's environment overrides.
for _name in list(os.environ):
    if _name.startswith("SWITCHBOARD_"):
        del os.environ[_name]
