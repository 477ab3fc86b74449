"""sockgate.streams."""
