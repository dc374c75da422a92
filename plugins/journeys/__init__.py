"""Built-in plugin: journeys."""
