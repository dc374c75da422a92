"""Built-in plugin: risk_ml."""
