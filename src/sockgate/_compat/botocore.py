"""botocore below its public API: the management client's endpoint, retries and event emitter.

Used by `sockgate.channel.botocore_hook` to answer a management client's calls at `before-call`
the way botocore's `Endpoint._send_request` would, attempt by attempt (see that module). Every
private name is listed in `PRIVATE_NAMES`; `tests/compat/test_botocore.py` checks each against
the installed botocore.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ENDPOINT_PRIVATE_NAMES",
    "PRIVATE_NAMES",
    "add_modeled_error_fields",
    "alias_event_name",
    "builtin_handlers",
    "client_endpoint",
    "create_parser",
    "endpoint_events",
    "endpoint_supported",
    "get_response",
    "handlers_for",
    "history_recorder_on",
    "lookup_cache",
    "needs_retry",
    "unaliased_emitter",
    "update_retries_context",
]

# What of botocore's Endpoint each attempt goes through (`create_request` is public).
ENDPOINT_PRIVATE_NAMES = (
    "_update_retries_context",
    "_needs_retry",
    "_get_response",
    "_add_modeled_error_fields",
    "_response_parser_factory",
    "_event_emitter",
)
# Every private name used here, by owner: for the compatibility test and for error messages.
PRIVATE_NAMES: dict[str, tuple[str, ...]] = {
    "botocore.client.BaseClient": ("_endpoint",),
    "botocore.endpoint.Endpoint": ENDPOINT_PRIVATE_NAMES,
    "botocore.hooks.EventAliaser": ("_emitter", "_alias_event_name"),
    "botocore.hooks.HierarchicalEmitter": ("_handlers", "_lookup_cache"),
    "botocore.hooks._PrefixTrie": ("prefix_search",),
    "botocore.history.HistoryRecorder": ("_enabled", "_handlers"),
    "botocore.handlers": ("BUILTIN_HANDLERS",),
}


# -- clients and endpoints ---------------------------------------------------------------------


def client_endpoint(client: Any) -> Any:
    """The client's `botocore.endpoint.Endpoint`, or None (aiobotocore, a stub, a mock)."""
    return getattr(client, "_endpoint", None)


def endpoint_supported(endpoint: Any) -> bool:
    """Whether `endpoint` has every private part the functions below use."""
    return endpoint is not None and all(hasattr(endpoint, n) for n in ENDPOINT_PRIVATE_NAMES)


def endpoint_events(endpoint: Any) -> Any:
    """The endpoint's event emitter: the client's `meta.events` (an EventAliaser)."""
    return endpoint._event_emitter


def update_retries_context(
    endpoint: Any, context: dict[str, Any], attempt: int, success_response: Any = None
) -> None:
    """Record attempt number `attempt` in the request context, as the endpoint does."""
    endpoint._update_retries_context(context, attempt, success_response)


def needs_retry(
    endpoint: Any,
    attempts: int,
    operation_model: Any,
    request_dict: dict[str, Any],
    response: Any = None,
    caught_exception: Exception | None = None,
) -> bool:
    """Emit `needs-retry` as the endpoint does after an attempt (sleeping the backoff when one
    is due); whether to try again."""
    return bool(
        endpoint._needs_retry(attempts, operation_model, request_dict, response, caught_exception)
    )


def get_response(
    endpoint: Any, request: Any, operation_model: Any, context: dict[str, Any]
) -> tuple[Any, Exception | None]:
    """Send `request` over HTTP as one attempt of the endpoint: ((http, parsed), None) or
    (None, the exception)."""
    result: tuple[Any, Exception | None] = endpoint._get_response(request, operation_model, context)
    return result


def create_parser(endpoint: Any, protocol: str) -> Any:
    """The endpoint's response parser for `protocol` ("rest-json", ...)."""
    return endpoint._response_parser_factory.create_parser(protocol)


def add_modeled_error_fields(
    endpoint: Any, response_dict: dict[str, Any], parsed: dict[str, Any], model: Any, parser: Any
) -> None:
    """Add a modelled error's fields to `parsed`, as the endpoint does for an error response."""
    endpoint._add_modeled_error_fields(response_dict, parsed, model, parser)


# -- the event emitter -------------------------------------------------------------------------


def unaliased_emitter(events: Any) -> Any:
    """The HierarchicalEmitter an EventAliaser (a client's `meta.events`) wraps."""
    return events._emitter


def alias_event_name(aliaser: Any, event_name: str) -> str:
    """`event_name` with the service's aliases applied, as the aliaser emits it."""
    name: str = aliaser._alias_event_name(event_name)
    return name


def handlers_for(emitter: Any, event_name: str) -> list[Any]:
    """The handlers a HierarchicalEmitter calls for `event_name`, in calling order."""
    return list(emitter._handlers.prefix_search(event_name))


def lookup_cache(emitter: Any) -> object:
    """The HierarchicalEmitter's lookup cache: a new object whenever its handlers change."""
    cache: object = emitter._lookup_cache
    return cache


# -- process-wide state ------------------------------------------------------------------------


def history_recorder_on(recorder: Any) -> bool:
    """Whether botocore's history recorder records (it is enabled and something listens).

    Unknown (the attributes moved): True, the careful answer.
    """
    return bool(getattr(recorder, "_enabled", True) and getattr(recorder, "_handlers", True))


def builtin_handlers(module: Any) -> list[tuple[Any, ...]]:
    """`botocore.handlers.BUILTIN_HANDLERS`: the (event, handler[, section]) list every new
    botocore Session registers. `module` is `botocore.handlers`, passed in by the caller, which
    may hold it before its import has finished."""
    handlers: list[tuple[Any, ...]] = module.BUILTIN_HANDLERS
    return handlers
