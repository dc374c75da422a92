"""Built-in plugin: guidance."""
