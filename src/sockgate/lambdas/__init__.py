"""sockgate.lambdas."""
