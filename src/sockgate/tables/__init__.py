"""sockgate.tables."""
