"""Built-in plugin: office_hours."""
