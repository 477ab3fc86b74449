"""Test helpers: run a service under `sockgate dev` in a child process and talk to it for real."""

from sockgate.testing.process import DevProcess, ServiceUrls

__all__ = ["DevProcess", "ServiceUrls"]
