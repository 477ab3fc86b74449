"""Tests of sockgate.lambdas."""
