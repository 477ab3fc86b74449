"""sockgate.cloudformation."""
