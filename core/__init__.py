"""switchboard: hybrid AI live chat for UK police non-emergency (101) contact.

Integrators write force plugins with::

    from switchboard import hookimpl

    class MyForcePlugin:
        @hookimpl
        def assess_risk(self, message):
            ...
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

#: Marker for hook implementations in plugins (``@hookimpl``, ``@hookimpl(trylast=True)``).
hookimpl = pluggy.HookimplMarker("switchboard")

__all__ = ["__version__", "hookimpl"]
