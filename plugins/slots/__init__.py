"""Built-in plugin: slots."""
