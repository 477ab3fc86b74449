"""In a worker: carry every `apigatewaymanagementapi` request to the local gateway.

Handlers build their management client the way AWS samples do, from the event's
`https://{domainName}/{stage}`, or from `https://{apiId}.execute-api.{region}.amazonaws.com/...`,
or with no endpoint at all. Whatever they built, the request keeps its path (`/dev/@connections/ID`)
and goes to SOCKGATE_GATEWAY_URL over plain HTTP.

The rewrite is a botocore `before-sign` event handler, added to `botocore.handlers.BUILTIN_HANDLERS`
so that every botocore Session registers it when created: boto3's default session,
`boto3.session.Session()`, `botocore.session.Session()`/`get_session()`, aiobotocore's. Rewriting
before signing keeps the signature consistent with the URL actually sent, and everything else of
boto3 stays: parameter validation, modelled exceptions (GoneException), retries. botocore is
patched when it is first imported, so a handler that never imports it pays nothing.

With the gateway's local channel (SOCKGATE_GATEWAY_SOCKET), requests go over that Unix socket
(`client.py`) instead, unsigned (the local gateway checks no signature), and each management
client answers its calls at `before-call`, the last handler of that event, once boto3 has
validated and serialised the parameters and resolved the endpoint. Building, signing and sending
an HTTP request is most of what boto3 spends per call, and the channel needs none of it: the
answer is the serialised request's method, path and body sent as one frame. From the reply on,
the call is botocore's own: the reply becomes an `AWSResponse` that the client's response parser
turns into the parsed dict (modelled error fields included), and retries are not re-implemented
but decided by the client's own `needs-retry` handlers, emitted after each attempt as the
endpoint emits them (standard or legacy mode, max attempts, 429, 5xx and connection errors
alike, with their backoff and retry quota). The retry context and `RetryAttempts` are kept as
the endpoint keeps them, and a call that fails emits `after-call-error`. So the named
exceptions, their `.response`, ResponseMetadata (`MaxAttemptsReached` included) and the number
of attempts (no more and no fewer requests than over HTTP: no off-by-one) are the pipeline's,
and `after-call` handlers run as usual. Skipped per attempt are the pipeline's other events
(`request-created`, `choose-signer`, `before-sign`, `before-send`, `response-received`,
`before-parse`), debug logging and the history recorder; the only `request-created` effect on
the call's context, the retries context's `max`, is applied the same.

A call steps aside to the full pipeline (which itself answers from the channel at `before-send`,
the earlier transport) whenever that pipeline could behave differently:
- a handler other than botocore's known ones and ours is registered on a skipped event (a user
  hook, adaptive mode's rate limiter on `before-send`, moto), or on `before-call` after ours;
- the call would be signed: our `choose-signer` handler is not the first to answer;
- botocore's history recorder is on, the operation compresses its body, has checksums or
  streams its output, or the body is a file (HTTP streams it and rewinds it on retries);
- the client is not botocore's own (aiobotocore's async clients keep the `before-send` path),
  or its botocore's Endpoint lacks one of the (private) methods each attempt goes through.
Handlers registered on `before-call` before ours still run first, so `botocore.stub.Stubber`
(on `before-call.*.*`) answers its client's calls as it always does. An attempt whose channel
cannot be reached takes botocore's own way for that attempt (`before-send`, then HTTP); a channel
that fails mid-request is the error urllib3 would have raised (ConnectionClosedError,
ReadTimeoutError), which the retry handlers see as they would over HTTP.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sockgate._compat import botocore as compat
from sockgate.channel.client import ChannelBrokenError, ChannelClient, ChannelTimeoutError
from sockgate.channel.wire import SOCKET_ENV

__all__ = [
    "CALL_EVENT_NAME",
    "EVENT_NAME",
    "SEND_EVENT_NAME",
    "answer_calls_from_channel",
    "answer_from_channel",
    "install",
    "redirect_url",
    "use_local_channel",
]

EVENT_NAME = "before-sign.apigatewaymanagementapi"
SEND_EVENT_NAME = "before-send.apigatewaymanagementapi"
SIGNER_EVENT_NAME = "choose-signer.apigatewaymanagementapi"
CLIENT_CLASS_EVENT_NAME = "creating-client-class.apigatewaymanagementapi"
# Registered on each management client, in the `last` section: after every other handler.
CALL_EVENT_NAME = "before-call"
_CALL_HANDLER_ID = "sockgate-local-channel-call"
_HOOKED_MODULE = "botocore.handlers"
# The pipeline's per-attempt events that a call answered at before-call does not emit
# (and `choose-signer`, judged apart: only its first answer counts).
_SKIPPED_EVENTS = (
    "request-created",
    "before-sign",
    "before-send",
    "response-received",
    "before-parse",
)


def redirect_url(url: str, gateway_url: str) -> str:
    """`url` sent to the gateway: its scheme and host, the gateway's; path and query, kept."""
    target = urlsplit(gateway_url)
    original = urlsplit(url)
    path = target.path.rstrip("/") + original.path
    return urlunsplit((target.scheme, target.netloc, path, original.query, ""))


def _handler(gateway_url: str) -> Callable[..., None]:
    def to_gateway(request: Any, **kwargs: Any) -> None:
        request.url = redirect_url(request.url, gateway_url)

    return to_gateway


class _Body:
    """The raw body of a channel reply, read the way botocore reads urllib3's."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._data


def _frame_body(body: Any) -> bytes | None:
    """A request body as the channel carries it; None for a file-like body (HTTP streams it)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body  # botocore has encoded a str Data as UTF-8 already
    if isinstance(body, bytearray):
        return bytes(body)
    return None


def _channel_sender(channel: ChannelClient) -> Callable[[str, str, str, bytes], Any]:
    """send(method, url, path, body): the channel's reply as botocore's AWSResponse, or None when
    the channel cannot be reached.

    A channel that fails mid-request raises what urllib3 would have (ReadTimeoutError,
    ConnectionClosedError), which botocore's retry handlers treat as they would over HTTP.
    """
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import ConnectionClosedError, ReadTimeoutError

    def send(method: str, url: str, path: str, body: bytes) -> Any:
        try:
            reply = channel.request(method, path, body)
        except ChannelTimeoutError as exc:
            raise ReadTimeoutError(endpoint_url=url, error=exc) from exc
        except ChannelBrokenError as exc:
            raise ConnectionClosedError(endpoint_url=url, error=exc) from exc
        if reply is None:
            return None
        # botocore wraps a plain dict of headers in its HeadersDict itself; the stubs want the
        # urllib3 type HTTP would have given.
        return AWSResponse(url, reply.status, reply.headers, _Body(reply.body))  # type: ignore[arg-type]

    return send


def answer_from_channel(channel: ChannelClient) -> Callable[..., Any]:
    """A botocore `before-send` handler answering requests over `channel` (None: use HTTP)."""

    send = _channel_sender(channel)

    def from_channel(request: Any, **kwargs: Any) -> Any:
        body = _frame_body(request.body)
        if body is None:
            return None  # botocore rewinds a file-like Data on retries; HTTP streams it
        url = request.url
        # None when the channel is unavailable: botocore then sends the request over HTTP.
        return send(request.method, url, urlsplit(url).path, body)

    return from_channel


class _RequestContext:
    """What a `request-created` handler reads of a request when only its context matters."""

    __slots__ = ("context",)

    def __init__(self, context: dict[str, Any]) -> None:
        self.context = context


Seeders = tuple[Callable[..., Any], ...]


class _CallAnswerer:
    """One management client's `before-call` handler: its calls over the channel, answered as
    botocore's pipeline answers them (see the module docstring)."""

    def __init__(self, endpoint: Any, channel: ChannelClient, gateway_url: str | None) -> None:
        from botocore.endpoint import convert_to_response_dict
        from botocore.exceptions import ConnectionClosedError, ReadTimeoutError
        from botocore.history import get_global_history_recorder
        from botocore.hooks import EventAliaser, HierarchicalEmitter

        self._recorder = get_global_history_recorder()
        self._endpoint = endpoint
        self._over_channel = _channel_sender(channel)
        self._gateway = urlsplit(gateway_url) if gateway_url is not None else None
        self._response_dict = convert_to_response_dict
        self._closed_error = ConnectionClosedError
        self._timeout_error = ReadTimeoutError
        events = compat.endpoint_events(endpoint)
        self._events = events
        self._aliaser = events if isinstance(events, EventAliaser) else None
        emitter = compat.unaliased_emitter(events) if self._aliaser is not None else events
        self._emitter = emitter if type(emitter) is HierarchicalEmitter else None
        # operation name -> (the emitter's lookup cache when judged, Seeders or None)
        self._verdicts: dict[str, tuple[object, Seeders | None]] = {}

    def __call__(self, model: Any, params: dict[str, Any], **kwargs: Any) -> Any:
        seeders = self._judged(model)
        if seeders is None:
            return None
        context = params["context"]
        if context.get("checksum") or self._recorder_on():
            return None
        body = _frame_body(params["body"])
        if body is None:
            return None
        url, path = self._target(params["url"])
        try:
            return self._send(model, params, url, path, body, seeders)
        except Exception as exc:
            # What `BaseClient._make_request` does when the endpoint raises.
            service_id = model.service_model.service_id.hyphenize()
            self._events.emit(
                f"after-call-error.{service_id}.{model.name}", exception=exc, context=context
            )
            raise

    def _recorder_on(self) -> bool:
        # botocore records the HTTP request and response only when something listens.
        recorder = self._recorder
        return compat.history_recorder_on(recorder)

    def _target(self, url: str) -> tuple[str, str]:
        """The URL the request goes to (`redirect_url`'s) and its path: one urlsplit, as
        urlsplit's cache misses for each new connection id."""
        original = urlsplit(url)
        gateway = self._gateway
        if gateway is None:
            return url, original.path
        path = gateway.path.rstrip("/") + original.path
        return urlunsplit((gateway.scheme, gateway.netloc, path, original.query, "")), path

    def _send(
        self,
        model: Any,
        params: dict[str, Any],
        url: str,
        path: str,
        body: bytes,
        seeders: Seeders,
    ) -> Any:
        # `Endpoint._send_request`, with `_attempt` for `create_request` + `_get_response`.
        endpoint = self._endpoint
        context = params["context"]
        attempts = 1
        compat.update_retries_context(endpoint, context, attempts)
        response, exception = self._attempt(model, params, url, path, body, seeders)
        while compat.needs_retry(endpoint, attempts, model, params, response, exception):
            attempts += 1
            compat.update_retries_context(endpoint, context, attempts, response)
            response, exception = self._attempt(model, params, url, path, body, seeders)
        if response is not None and "ResponseMetadata" in response[1]:
            response[1]["ResponseMetadata"]["RetryAttempts"] = attempts - 1
        if exception is not None:
            raise exception
        return response

    def _attempt(
        self,
        model: Any,
        params: dict[str, Any],
        url: str,
        path: str,
        body: bytes,
        seeders: Seeders,
    ) -> tuple[Any, Exception | None]:
        """One attempt: ((http_response, parsed), None) or (None, the exception)."""
        context = params["context"]
        for seed in seeders:
            seed(request=_RequestContext(context))
        try:
            http = self._over_channel(params["method"], url, path, body)
        except (self._timeout_error, self._closed_error) as exc:
            return None, exc
        endpoint = self._endpoint
        if http is None:  # the channel cannot be reached: this attempt goes botocore's way
            request = endpoint.create_request(params, model)
            return compat.get_response(endpoint, request, model, context)
        response_dict = self._response_dict(http, model)
        parser = compat.create_parser(endpoint, _protocol(model))
        parsed = parser.parse(response_dict, model.output_shape)
        if http.status_code >= 300:
            compat.add_modeled_error_fields(endpoint, response_dict, parsed, model, parser)
        return (http, parsed), None

    def _judged(self, model: Any) -> Seeders | None:
        """The `request-created` handlers to apply, or None when this call must step aside;
        judged again whenever the client's handlers change (botocore then drops its cache)."""
        emitter = self._emitter
        if emitter is None:
            return None
        cache = compat.lookup_cache(emitter)
        known = self._verdicts.get(model.name)
        if known is not None and known[0] is cache:
            return known[1]
        verdict = self._judge(model)
        self._verdicts[model.name] = (cache, verdict)
        return verdict

    def _judge(self, model: Any) -> Seeders | None:
        if model.has_streaming_output or model.has_event_stream_output or model.request_compression:
            return None
        service_id = model.service_model.service_id.hyphenize()
        calls = self._handlers(f"{CALL_EVENT_NAME}.{service_id}.{model.name}")
        if not calls or calls[-1] is not self:
            return None  # a handler after ours could answer the call
        signers = self._handlers(f"choose-signer.{service_id}.{model.name}")
        if not signers or signers[0] is not _unsigned:
            # The pipeline would sign (resolve credentials, maybe fail on them). With ours
            # first, UNSIGNED is the answer and no other choose-signer handler runs.
            return None
        known = _known_pipeline_handlers()
        seeders = []
        for event in _SKIPPED_EVENTS:
            for handler in self._handlers(f"{event}.{service_id}.{model.name}"):
                if known.seeder is not None and getattr(handler, "__func__", None) is known.seeder:
                    seeders.append(handler)
                elif not _is_known(handler, known):
                    return None
        return tuple(seeders)

    def _handlers(self, event_name: str) -> list[Any]:
        assert self._emitter is not None
        if self._aliaser is not None:
            event_name = compat.alias_event_name(self._aliaser, event_name)
        return compat.handlers_for(self._emitter, event_name)


def _protocol(model: Any) -> str:
    service = model.service_model
    protocol: str = getattr(service, "resolved_protocol", None) or service.metadata["protocol"]
    return protocol


class _KnownHandlers:
    """botocore's handlers on the skipped events that only shape the HTTP request (headers,
    signature); `choose-signer` is judged apart."""

    def __init__(self) -> None:
        import botocore.handlers
        import botocore.retries.standard
        import botocore.signers
        import botocore.useragent

        self.functions = {getattr(botocore.handlers, "add_retry_headers", None)} - {None}
        user_agent = botocore.useragent.UserAgentString
        self.methods = {
            botocore.signers.RequestSigner.handler,
            getattr(user_agent, "rebuild_and_replace_user_agent_handler", None),
        } - {None}
        seeder = getattr(botocore.retries.standard, "MaxAttemptsSeeder", None)
        self.seeder = getattr(seeder, "seed_max_attempts", None)


_known: _KnownHandlers | None = None


def _known_pipeline_handlers() -> _KnownHandlers:
    global _known
    if _known is None:
        _known = _KnownHandlers()
    return _known


def _is_known(handler: Any, known: _KnownHandlers) -> bool:
    if getattr(handler, "__module__", None) == __name__:
        return True  # ours: the URL rewrite, the unsigned choice, the before-send channel
    if getattr(handler, "__func__", None) in known.methods:
        return True
    try:
        return handler in known.functions
    except TypeError:  # an unhashable callable: not one of botocore's
        return False


def answer_calls_from_channel(
    client: Any, channel: ChannelClient, gateway_url: str | None = None
) -> None:
    """Answer `client`'s management calls at `before-call` over `channel` (module docstring).

    `gateway_url`, when given, is where the client's URLs are redirected (as `before-sign`
    does); the channel carries that URL's path. aiobotocore's clients are left as they are.
    """
    from botocore.endpoint import Endpoint

    endpoint = compat.client_endpoint(client)
    if type(endpoint) is not Endpoint or not compat.endpoint_supported(endpoint):
        return  # not botocore's own client, or a botocore whose endpoint we do not know
    client.meta.events.register_last(
        CALL_EVENT_NAME, _CallAnswerer(endpoint, channel, gateway_url), unique_id=_CALL_HANDLER_ID
    )


def use_local_channel(client: Any, channel: ChannelClient, gateway_url: str | None = None) -> Any:
    """`client` as a worker's management clients are: unsigned, its calls answered over
    `channel` at `before-call` and, when a call steps aside, at `before-send`. Returns `client`.

    For one client of a process where `install` did not run (tests, benchmarks); `install`
    gives every management client of a worker the same handlers.
    """
    events = client.meta.events
    events.register(SIGNER_EVENT_NAME, _unsigned)
    events.register(SEND_EVENT_NAME, answer_from_channel(channel))
    answer_calls_from_channel(client, channel, gateway_url)
    return client


def _client_class_hook(channel: ChannelClient, gateway_url: str) -> Callable[..., None]:
    """A `creating-client-class` handler giving management clients the before-call answer."""

    class AnswersOverLocalChannel:
        """Mixed into management clients by sockgate: answers their calls over the channel."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            answer_calls_from_channel(self, channel, gateway_url)

    def add_base(base_classes: list[type], **kwargs: Any) -> None:
        base_classes.insert(0, AnswersOverLocalChannel)

    return add_base


def _register(module: ModuleType, gateway_url: str, socket_path: str | None) -> None:
    handlers = compat.builtin_handlers(module)
    ours = (EVENT_NAME, SEND_EVENT_NAME, SIGNER_EVENT_NAME, CLIENT_CLASS_EVENT_NAME)
    handlers[:] = [spec for spec in handlers if spec[0] not in ours]
    handlers.append((EVENT_NAME, _handler(gateway_url)))
    if socket_path:
        channel = ChannelClient(socket_path)
        handlers.append((SEND_EVENT_NAME, answer_from_channel(channel)))
        # SigV4 is ~40% of a post's cost in the worker and the local gateway checks no
        # signature; validation, parsing, named exceptions and retries all stay.
        handlers.append((SIGNER_EVENT_NAME, _unsigned))
        handlers.append((CLIENT_CLASS_EVENT_NAME, _client_class_hook(channel, gateway_url)))


def _unsigned(**kwargs: Any) -> Any:
    import botocore

    return botocore.UNSIGNED


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs a callback right after one module is first imported."""

    def __init__(self, name: str, callback: Callable[[ModuleType], None]) -> None:
        self._name = name
        self._callback = callback

    def find_spec(
        self, fullname: str, path: Any, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self._name:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module
        callback = self._callback

        def exec_then_call(module: ModuleType) -> None:
            exec_module(module)
            callback(module)

        loader.exec_module = exec_then_call  # type: ignore[method-assign]
        return spec


def install(gateway_url: str, socket_path: str | None = None) -> None:
    """Send every management API request of this process to the gateway at `gateway_url`,
    through its local channel at `socket_path` when it can be reached.

    `socket_path` None reads SOCKGATE_GATEWAY_SOCKET (unset or empty: HTTP only).
    """
    if socket_path is None:
        socket_path = os.environ.get(SOCKET_ENV) or None

    def callback(module: ModuleType) -> None:
        _register(module, gateway_url, socket_path)

    if _HOOKED_MODULE in sys.modules:
        callback(sys.modules[_HOOKED_MODULE])
    else:
        sys.meta_path.insert(0, _AfterImport(_HOOKED_MODULE, callback))
