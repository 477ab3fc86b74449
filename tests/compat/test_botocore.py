"""sockgate._compat.botocore against the installed botocore: every private name it uses is there,
with the signature it calls it with, and does what the local channel relies on.

A failure here after an upgrade means botocore moved an internal: update _compat/botocore.py
(and the bound in pyproject.toml) before lifting the bound.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import botocore
import botocore.handlers
import botocore.history
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.endpoint import Endpoint
from botocore.hooks import EventAliaser, HierarchicalEmitter

from sockgate._compat import botocore as compat

from .names import missing_names

OPERATION = "PostToConnection"
EVENT = f"before-call.apigatewaymanagementapi.{OPERATION}"


def _incompatible(what: str) -> str:
    return (
        f"botocore {botocore.__version__} is not what sockgate._compat.botocore was written "
        f"for: {what}. Update src/sockgate/_compat/botocore.py and botocore's bound in "
        "pyproject.toml."
    )


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    session = botocore.session.get_session()
    made = session.create_client(
        "apigatewaymanagementapi",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9/dev",
        aws_access_key_id="compat",
        aws_secret_access_key="compat",
    )
    yield made
    made.close()


def _owners(client: Any) -> dict[str, Any]:
    """An instance (or module) of each owner named in PRIVATE_NAMES."""
    endpoint = client._endpoint
    emitter = endpoint._event_emitter._emitter
    return {
        "botocore.client.BaseClient": client,
        "botocore.endpoint.Endpoint": endpoint,
        "botocore.hooks.EventAliaser": endpoint._event_emitter,
        "botocore.hooks.HierarchicalEmitter": emitter,
        "botocore.hooks._PrefixTrie": emitter._handlers,
        "botocore.history.HistoryRecorder": botocore.history.get_global_history_recorder(),
        "botocore.handlers": importlib.import_module("botocore.handlers"),
    }


def test_every_private_name_is_there(client: Any) -> None:
    owners = _owners(client)
    missing = missing_names(compat.PRIVATE_NAMES, owners)
    assert not missing, _incompatible(f"missing {', '.join(missing)}")


@pytest.mark.parametrize(
    ("method", "parameters"),
    [
        ("_update_retries_context", ["self", "context", "attempt", "success_response"]),
        (
            "_needs_retry",
            ["self", "attempts", "operation_model", "request_dict", "response", "caught_exception"],
        ),
        ("_get_response", ["self", "request", "operation_model", "context"]),
        (
            "_add_modeled_error_fields",
            ["self", "response_dict", "parsed_response", "operation_model", "parser"],
        ),
        ("create_request", ["self", "params", "operation_model"]),
    ],
)
def test_endpoint_methods_take_what_we_pass(method: str, parameters: list[str]) -> None:
    found = list(inspect.signature(getattr(Endpoint, method)).parameters)
    assert found == parameters, _incompatible(f"Endpoint.{method}{tuple(found)}")


def test_emitter_methods_take_what_we_pass() -> None:
    found = list(inspect.signature(EventAliaser._alias_event_name).parameters)
    assert found == ["self", "event_name"], _incompatible(f"_alias_event_name{tuple(found)}")


def test_client_endpoint_and_its_events(client: Any) -> None:
    endpoint = compat.client_endpoint(client)
    assert type(endpoint) is Endpoint, _incompatible("client._endpoint is not an Endpoint")
    assert compat.endpoint_supported(endpoint)
    events = compat.endpoint_events(endpoint)
    assert events is client.meta.events, _incompatible("_event_emitter is not meta.events")
    assert isinstance(events, EventAliaser)
    assert type(compat.unaliased_emitter(events)) is HierarchicalEmitter
    assert compat.client_endpoint(object()) is None
    assert not compat.endpoint_supported(None)


def test_handlers_for_an_event_and_the_lookup_cache(client: Any) -> None:
    events = client.meta.events
    emitter = compat.unaliased_emitter(events)
    name = compat.alias_event_name(events, EVENT)
    assert isinstance(name, str)
    before = compat.lookup_cache(emitter)

    def ours(**kwargs: Any) -> None:
        return None

    # As channel.botocore_hook does: on the bare event, in the `last` section, so that it comes
    # after every handler of the operation.
    events.register_last("before-call", ours, unique_id="sockgate-compat-test")
    try:
        assert compat.lookup_cache(emitter) is not before, _incompatible(
            "registering a handler no longer replaces the emitter's _lookup_cache"
        )
        found = compat.handlers_for(emitter, name)
        assert found and found[-1] is ours, _incompatible("_handlers.prefix_search order")
    finally:
        events.unregister("before-call", unique_id="sockgate-compat-test")


def test_retries_context_and_needs_retry(client: Any) -> None:
    endpoint = compat.client_endpoint(client)
    model = client.meta.service_model.operation_model(OPERATION)
    context: dict[str, Any] = {}
    compat.update_retries_context(endpoint, context, 1)
    assert context["retries"]["attempt"] == 1, _incompatible("the retries context")
    ok = AWSResponse("http://127.0.0.1:9/dev", 200, {}, _Raw())
    parsed: dict[str, Any] = {"ResponseMetadata": {}}
    assert compat.needs_retry(endpoint, 1, model, {"context": context}, (ok, parsed)) is False


def test_parser_and_modeled_error_fields(client: Any) -> None:
    endpoint = compat.client_endpoint(client)
    model = client.meta.service_model.operation_model(OPERATION)
    parser = compat.create_parser(endpoint, "rest-json")
    response_dict = {"status_code": 410, "headers": {}, "body": b'{"message": "gone"}'}
    parsed = parser.parse(response_dict, model.output_shape)
    compat.add_modeled_error_fields(endpoint, response_dict, parsed, model, parser)
    assert parsed["Error"]["Code"] == "410", parsed  # no x-amzn-errortype: the status code


def test_history_recorder_and_builtin_handlers() -> None:
    recorder = botocore.history.get_global_history_recorder()
    assert compat.history_recorder_on(recorder) is False, _incompatible(
        "the history recorder is on with nothing listening"
    )
    handlers = compat.builtin_handlers(botocore.handlers)
    assert isinstance(handlers, list) and handlers, _incompatible("BUILTIN_HANDLERS")
    assert all(isinstance(spec, tuple) and isinstance(spec[0], str) for spec in handlers)


class _Raw:
    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield b""
