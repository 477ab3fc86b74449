"""sockgate's benchmarks: each row measured side by side with a peer in the same run."""
