"""sockgate: run a serverless.yml API Gateway WebSocket service on any machine, faithfully."""

__version__ = "0.1.0"
__all__ = ["__version__"]
