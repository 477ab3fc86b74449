"""sockgate.service."""
