"""sockgate.testing."""
