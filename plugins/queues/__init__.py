"""Built-in plugin: queues."""
