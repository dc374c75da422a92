"""Built-in plugin: intent_rules."""
