"""DynamoDB Streams event source mappings: poll streams, deliver batches like Lambda."""

from sockgate.streams.context import PollSettings
from sockgate.streams.mappings import EventSourceMappings

__all__ = ["EventSourceMappings", "PollSettings"]
