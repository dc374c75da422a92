"""Built-in plugins. Each registers through the ``switchboard`` entry-point group (setup.cfg),
exactly as a third-party plugin does."""
