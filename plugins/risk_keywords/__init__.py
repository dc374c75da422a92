"""Built-in plugin: risk_keywords."""
