"""The inspector (#18): a live page on the gateway's port, at /_sockgate/, showing connections,
frames, invocations, stream batches and tables, and acting on them as a backend would.

`Recorder` keeps bounded records (recorder.py), `recording` wraps the invoke port (invoke.py),
`Inspector` serves the page, its JSON API and its event stream (server.py); `sockgate dev`
wires them (runner.py), `--no-inspector` leaves all of it out.
"""

from sockgate.inspector.invoke import recording
from sockgate.inspector.overview import describe_service
from sockgate.inspector.recorder import DEFAULT_HISTORY, Recorder
from sockgate.inspector.server import PREFIX, Inspector

__all__ = ["DEFAULT_HISTORY", "PREFIX", "Inspector", "Recorder", "describe_service", "recording"]
