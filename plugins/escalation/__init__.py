"""Built-in plugin: escalation thresholds."""
