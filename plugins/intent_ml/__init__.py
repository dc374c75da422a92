"""Built-in plugin: intent_ml."""
