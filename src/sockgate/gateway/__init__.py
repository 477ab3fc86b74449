"""sockgate.gateway."""
