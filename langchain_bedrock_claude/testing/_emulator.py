"""``BedrockEmulator``: Bedrock Runtime's InvokeModel API for Claude, on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import get_args
from urllib.parse import parse_qs, unquote

from . import _wire
from ._cache import PromptCache
from ._catalog import ResolvedModel
from ._completion import build_completion
from ._errors import (
    CORAL_SERVICE,
    THROTTLING_MESSAGE,
    BedrockError,
    make_error,
    stream_exception_message,
    validation_error,
)
from ._eventstream import encode_chunk, encode_exception
from ._guardrails import (
    DEFAULT_BLOCKED_MESSAGE,
    Guardrail,
    GuardrailCall,
    GuardrailRegistry,
    guardrail_call,
    make_guardrail,
)
from ._http import LAST_CHUNK, HttpError, HttpRequest, chunk
from ._jobs import CONTROL_PLANE_PREFIX, JobService
from ._request import (
    GUARDRAIL_CONFIG_KEY,
    REQUEST_LOG_BYTES,
    REQUEST_LOG_SIZE,
    EmulatedRequest,
    Headers,
    RequestLog,
)
from ._script import (
    Hang,
    Interruption,
    RawReply,
    Reply,
    ReplyContent,
    Responder,
    Script,
    StreamMode,
    raw_reply,
)
from ._server import (
    BODY_TIMEOUT,
    HEADER_TIMEOUT,
    IDLE_TIMEOUT,
    LOG,
    Connection,
    HttpServer,
    ServerLimits,
)
from ._tls import CERT_FILE, server_context
from ._validation import (
    check_auth,
    check_invoke_headers,
    count_tokens,
    parse_invocation,
    resolve,
)

_OPERATIONS = ("invoke", "invoke-with-response-stream", "count-tokens")
_ECHOED_HEADERS = (
    "X-Amzn-Bedrock-PerformanceConfig-Latency",
    "X-Amzn-Bedrock-Service-Tier",
)
"""InvokeModel output members carried in headers (botocore's service model)."""
_MAX_PADDING = 60
_TOKEN_EVENT_PREFIXES = (b'{"type":"content_block_delta"', b'{"type":"completion"')
DEFAULT_OPAQUE_ARN_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"
MAX_BODY_BYTES = 25_000_000
"""InvokeModel's largest ``body``: ``max: 25000000`` on the member in botocore's
``bedrock-runtime`` service model (``InvokeModelRequest.body``), the same for the stream
and CountTokens' ``invokeModel.body``."""
BODY_TOO_LARGE_MESSAGE = (
    "1 validation error detected: Value at 'body' failed to satisfy constraint: "
    f"Member must have length less than or equal to {MAX_BODY_BYTES}"
)
"""Bedrock's text for a body over the limit, as quoted from a real InvokeModel call in
langchain-ai/langchain-aws#419 (status not quoted; sent here with 413, see below)."""


class BedrockEmulator:
    """A local Bedrock Runtime for Claude, with Bedrock's wire format, errors and faults.

    Serves InvokeModel, InvokeModelWithResponseStream and CountTokens.
    Standard library only; HTTP/1.1 (or HTTPS with ``tls=True``) on loopback from a
    background thread::

        with BedrockEmulator() as emu:
            client = boto3.client(
                "bedrock-runtime",
                region_name="us-east-1",
                endpoint_url=emu.endpoint_url,
                aws_access_key_id="AKIDEXAMPLE",
                aws_secret_access_key="secret",
            )
            emu.reply("Hello there")
            client.invoke_model(modelId="anthropic.claude-3-haiku-20240307-v1:0", body=...)
            assert emu.requests[-1].json["max_tokens"] == 100

    Without scripted replies a deterministic default text answers (the same prompt
    always gets the same few dozen tokens). Every method is thread-safe.

    Bedrock API keys need HTTPS (botocore refuses to send a bearer token over HTTP)::

        with BedrockEmulator(tls=True, api_keys=["my-key"]) as emu:
            os.environ["AWS_BEARER_TOKEN_BEDROCK"] = "my-key"
            client = boto3.client(
                "bedrock-runtime",
                region_name="us-east-1",
                endpoint_url=emu.endpoint_url,  # https://127.0.0.1:PORT
                verify=emu.ca_bundle,
            )

    Args:
        host: A loopback address to bind.
        port: The port; 0 picks a free one.
        responder: Computes replies for requests no scripted reply answers.
        first_byte_latency: Seconds before the first byte of each answer.
        token_latency: Seconds between tokens (stream events; invoke waits the sum).
        legacy_end_of_life: Answer legacy ids (claude-v2, v2:1, instant-v1) with the
            real end-of-life 404 ``ResourceNotFoundException``, as Bedrock does since
            their retirement (default). ``False`` serves them, for offline demos.
        require_inference_profile: Answer bare regional ids of models that need an
            inference profile with the real "on-demand throughput isn't supported" 400, as
            Bedrock does (default). ``False`` serves them on demand, for offline demos.
        verify_signatures: Refuse thinking blocks of earlier turns whose signature this
            emulator did not issue, as Bedrock refuses forged, foreign or empty ones
            (default). ``False`` accepts any non-empty one, for replaying recorded traffic.
        padding: Put the ``"p"`` padding in chunk payloads (as Bedrock does since 2025).
        cache_minimum: Apply each model's minimum cacheable prefix (1024 tokens; 2048 for
            Haiku 3/3.5, 4096 for Haiku/Opus 4.5): shorter ``cache_control`` prefixes
            report 0 cache reads and writes, as recorded. ``False`` caches any prefix.
        opaque_arn_model: The model behind application-inference-profile and
            provisioned-model ARNs, whose ARNs don't name one.
        tls: Serve HTTPS with the package's test-only certificate for ``127.0.0.1``,
            ``::1`` and ``localhost``; clients verify it with :attr:`ca_bundle`.
        api_keys: Accept only these Bedrock API keys as bearer tokens (others get
            Bedrock's 403); ``None`` accepts any. SigV4 requests are unaffected.
        header_timeout: Seconds a request's head may take from its first byte (from the
            accept, for a connection's first request); then the connection is closed.
        body_timeout: Seconds a request body may pause between two reads.
        idle_timeout: Seconds a keep-alive connection may sit idle between requests.
        request_log_size: Requests :attr:`requests` keeps at most (the newest).
        request_log_bytes: Request body bytes :attr:`requests` keeps at most (the newest
            request is kept whatever its size).

    Whatever a client sends, it gets an answer in Bedrock's shape, and the emulator keeps
    serving: malformed HTTP gets a 400 ``ValidationException``, a body over Bedrock's
    25,000,000-byte limit a 413, and a request the emulator itself fails on a 500
    ``InternalServerException`` (with a warning in the ``langchain_bedrock_claude.testing``
    log). Each answered request is logged there at INFO, in one line.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        responder: Responder | None = None,
        first_byte_latency: float = 0.0,
        token_latency: float = 0.0,
        legacy_end_of_life: bool = True,
        require_inference_profile: bool = True,
        verify_signatures: bool = True,
        padding: bool = True,
        cache_minimum: bool = True,
        opaque_arn_model: str = DEFAULT_OPAQUE_ARN_MODEL,
        tls: bool = False,
        api_keys: Iterable[str] | None = None,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
        request_log_size: int = REQUEST_LOG_SIZE,
        request_log_bytes: int = REQUEST_LOG_BYTES,
    ) -> None:
        limits = ServerLimits(
            max_body=MAX_BODY_BYTES,
            header_timeout=header_timeout,
            body_timeout=body_timeout,
            idle_timeout=idle_timeout,
        )
        self._server = HttpServer(
            self._handle,
            limits=limits,
            host=host,
            port=port,
            ssl_context=server_context() if tls else None,
            on_error=_answer_http_error,
        )
        self._host = host
        self._defaults = (
            responder,
            first_byte_latency,
            token_latency,
            legacy_end_of_life,
            require_inference_profile,
            _key_set(api_keys),
        )
        self._requests = RequestLog(request_log_size, request_log_bytes)
        self._script = Script()
        self._cache = PromptCache()
        self._guardrails = GuardrailRegistry()
        self._padding = padding
        self._verify_signatures = verify_signatures
        self._cache_minimum = cache_minimum
        self._opaque_arn_model = opaque_arn_model
        self._release: asyncio.Event | None = None
        self._jobs = JobService(self._run_record)
        self._restore_defaults()

    def _restore_defaults(self) -> None:
        (
            self._responder,
            self.first_byte_latency,
            self.token_latency,
            self.legacy_end_of_life,
            self.require_inference_profile,
            self._api_keys,
        ) = self._defaults

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> BedrockEmulator:
        """Start serving (no-op when running); returns ``self``."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection (hung responses too)."""
        self._server.stop()
        self._release = None
        self._jobs.close()

    def __enter__(self) -> BedrockEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (0 before :meth:`start`)."""
        return self._server.port

    @property
    def endpoint_url(self) -> str:
        """E.g. ``http://127.0.0.1:54321``: boto3's ``endpoint_url``, the SDK's ``base_url``.

        ``https://`` with ``tls=True``.
        """
        if not self._server.running:
            raise RuntimeError("the emulator is not running; use start() or a with block")
        host = f"[{self._host}]" if ":" in self._host else self._host
        scheme = "https" if self._server.tls else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def tls(self) -> bool:
        """Whether the emulator serves HTTPS."""
        return self._server.tls

    @property
    def ca_bundle(self) -> str:
        """Path of the PEM certificate the emulator serves with ``tls=True``.

        It is self-signed: pass it as boto3's ``verify=``, requests' ``verify=`` or
        ``ssl.create_default_context(cafile=...)``. Test-only; its key is public.
        """
        return str(CERT_FILE)

    @property
    def api_keys(self) -> frozenset[str] | None:
        """The accepted Bedrock API keys, or ``None`` when any bearer token passes."""
        return self._api_keys

    # -- inspection ---------------------------------------------------------------------

    @property
    def requests(self) -> list[EmulatedRequest]:
        """The requests received so far, oldest first (a copy).

        Bounded: the newest ``request_log_size`` (default 1000), and of those no more than
        ``request_log_bytes`` of bodies (default 32 MiB; the newest is always kept). Older
        ones are forgotten; :attr:`request_count` still counts them. Requests that were not
        well-formed HTTP are answered but not kept.
        """
        return self._requests.snapshot()

    @property
    def request_count(self) -> int:
        """How many requests were received since the start or :meth:`reset`, kept or not."""
        return self._requests.total

    @property
    def connection_count(self) -> int:
        """How many TCP connections the emulator accepted since it started.

        A client that keeps its connections alive between requests (as boto3 does) opens one
        per request in flight at once, not one per request: compare this with
        :attr:`request_count` to see whether connections are reused.
        """
        return self._server.accepted

    def reset(self) -> None:
        """Start over: forget requests, queued replies, faults, cached prompts and guardrails.

        Also restores the constructor's responder, latencies, flags and API keys, and
        releases hung responses.
        """
        self._requests.clear()
        self._script.clear()
        self._cache.clear()
        self._guardrails.clear()
        self._jobs.reset()
        self._restore_defaults()
        if self._server.running and self._release is not None:
            self._server.loop.call_soon_threadsafe(self._release.set)

    # -- replies ------------------------------------------------------------------------

    def reply(
        self,
        content: ReplyContent | Responder,
        *,
        times: int = 1,
        first_byte_latency: float | None = None,
        token_latency: float | None = None,
    ) -> None:
        """Queue what the model answers to the next ``times`` invoke or stream requests.

        Args:
            content: A ``str`` (split into word-ish tokens), a list of exact token pieces,
                a :class:`Reply`, or a callable taking the :class:`EmulatedRequest` and
                returning one of those.
            times: How many requests get this reply.
            first_byte_latency: Seconds before the first byte, for these replies.
            token_latency: Seconds between tokens, for these replies.
        """
        self._script.add_reply(
            content, times=times, first_byte_latency=first_byte_latency, token_latency=token_latency
        )

    def reply_raw(
        self,
        status: int,
        headers: Mapping[str, str] | Sequence[tuple[str, str]],
        body: bytes,
        *,
        times: int = 1,
    ) -> None:
        """Serve exact bytes to the next ``times`` requests, whatever they ask.

        For replaying recordings. ``Content-Length`` is set from ``body``; with a
        ``Transfer-Encoding: chunked`` header the body is sent as one chunk. ``Date`` is
        added unless ``headers`` has one.
        """
        self._script.add_reply(raw_reply(status, headers, body), times=times)

    def set_responder(self, responder: Responder | None) -> None:
        """Answer requests no scripted reply answers with ``responder``.

        ``None`` restores the deterministic default text.
        """
        self._responder = responder

    # -- account ------------------------------------------------------------------------

    def set_api_keys(self, api_keys: Iterable[str] | None) -> None:
        """Accept only these Bedrock API keys (bearer tokens); ``None`` accepts any.

        A bearer token not in the list gets Bedrock's 403 (``{"Message": "Authentication
        failed: Please make sure your API Key is valid."}``). :meth:`reset` restores the
        constructor's ``api_keys``.
        """
        self._api_keys = _key_set(api_keys)

    def add_guardrail(
        self,
        identifier: str,
        version: str = "DRAFT",
        *,
        blocked_words: Iterable[str] = (),
        blocked_input_message: str = DEFAULT_BLOCKED_MESSAGE,
        blocked_output_message: str = DEFAULT_BLOCKED_MESSAGE,
    ) -> Guardrail:
        """Create a guardrail version requests can name (until :meth:`reset`).

        Requests name it with ``guardrailIdentifier`` (the id, or an ARN ending in
        ``guardrail/<id>``) and ``guardrailVersion``; naming any other guardrail or version
        gets a 400 ``ValidationException``. When the prompt, or the model's answer,
        contains a blocked word (case-insensitive, whole words), the guardrail intervenes
        as Bedrock's do: the answer is the blocked message, with
        ``"amazon-bedrock-guardrailAction": "INTERVENED"`` (``"NONE"`` otherwise) and, with
        ``trace="ENABLED"``, the ``amazon-bedrock-trace`` (``wordPolicy.customWords``).

        Args:
            identifier: The guardrail id (lower-case letters and digits) or its ARN.
            version: ``"DRAFT"`` or a version number such as ``"1"``.
            blocked_words: Words and phrases the guardrail blocks.
            blocked_input_message: The answer when the prompt is blocked.
            blocked_output_message: The answer when the model's answer is blocked.

        Returns:
            The guardrail.

        Raises:
            ValueError: When ``identifier`` or ``version`` doesn't fit Bedrock's patterns.
        """
        guardrail = make_guardrail(
            identifier, version, blocked_words, blocked_input_message, blocked_output_message
        )
        self._guardrails.add(guardrail)
        return guardrail

    # -- faults -------------------------------------------------------------------------

    def throttle(
        self, times: int = 1, *, message: str = THROTTLING_MESSAGE, operation: str | None = None
    ) -> None:
        """Answer the next ``times`` requests with 429 ``ThrottlingException``.

        Args:
            times: How many requests.
            message: The error text (default: Bedrock's).
            operation: Only requests to this operation (``invoke``,
                ``invoke-with-response-stream``, ``count-tokens``) count.
        """
        self.fail_next("ThrottlingException", message=message, times=times, operation=operation)

    def fail_next(
        self,
        error: str = "ServiceUnavailableException",
        status: int | None = None,
        message: str | None = None,
        *,
        times: int = 1,
        operation: str | None = None,
        namespace: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests with a Bedrock error.

        Args:
            error: The ``x-amzn-ErrorType`` name, e.g. ``ModelNotReadyException``.
            status: HTTP status (default: the one botocore's model gives ``error``).
            message: The text (default: Bedrock's, or a stand-in).
            times: How many requests.
            operation: Only requests to this operation count.
            namespace: ``com.amazon.bedrock`` or ``com.amazon.coral.service``
                (default: by ``error``).
        """
        failure = make_error(error, status=status, message=message, namespace=namespace)
        self._script.add_fault(failure, times=times, operation=operation)

    def hang(
        self, times: int = 1, *, timeout: float | None = None, operation: str | None = None
    ) -> None:
        """Accept the next ``times`` requests and never answer them.

        The connection closes after ``timeout`` seconds, on :meth:`reset` or when the
        emulator stops.
        """
        self._script.add_fault(Hang(timeout), times=times, operation=operation)

    def interrupt_stream(
        self,
        after_events: int = 1,
        mode: StreamMode = "exception",
        *,
        exception_type: str = "modelStreamErrorException",
        message: str | None = None,
        times: int = 1,
    ) -> None:
        """Break the next ``times`` streams after ``after_events`` events.

        Args:
            after_events: Events sent normally first (``message_start`` counts).
            mode: ``"exception"``: an exception frame (``:message-type`` =
                ``exception``, ``:exception-type`` = ``exception_type``, payload
                ``{"message": ...}``) then a clean end; ``"drop"``: close the connection
                without the terminating chunk; ``"early_end"``: end the body cleanly
                without the remaining events (no ``message_stop``); ``"cut_frame"``: send
                half of the next frame, then close the connection.
            exception_type: lowerCamel name for ``"exception"``, e.g.
                ``throttlingException``, ``internalServerException``.
            message: Exception text (default: Bedrock's for ``exception_type``).
            times: How many streams.
        """
        if after_events < 0:
            raise ValueError(f"after_events must be >= 0 (got {after_events})")
        if mode not in get_args(StreamMode):
            raise ValueError(f"unknown mode {mode!r}")
        action = Interruption(after_events, mode, exception_type, message)
        self._script.add_fault(action, times=times, operation=None)

    # -- batch jobs ---------------------------------------------------------------------

    @property
    def jobs(self) -> JobService:
        """Batch inference jobs (Bedrock's ``bedrock`` control plane): see :class:`JobService`."""
        return self._jobs

    def _run_record(self, model_id: str, body: bytes) -> bytes:
        """One batch record through InvokeModel's logic (no latency): the response body."""
        request = EmulatedRequest(
            "POST", f"/model/{model_id}/invoke", "invoke", model_id, Headers(), body
        )
        fault = self._script.take_fault(request, interruption=False)
        if isinstance(fault, BedrockError):
            raise fault
        resolved = resolve(model_id, opaque_arn_model=self._opaque_arn_model)
        invocation = parse_invocation(resolved.spec, request.json, empty=not body)
        reply, _, _ = self._reply_for(request)
        completion = build_completion(
            request, invocation, reply, cache=self._cache, cache_minimum=self._cache_minimum
        )
        return _wire.body(completion)

    def _answer_jobs(self, request: EmulatedRequest, conn: Connection) -> str:
        """Answer a control-plane request; the error's name, or ``""``."""
        try:
            check_auth(request.headers, api_keys=self._api_keys)
            status, body = self.jobs.handle(request)
        except BedrockError as error:
            _send_error(conn, error)
            return error.name
        conn.send(status, _json_headers(), body)
        return ""

    # -- serving ------------------------------------------------------------------------

    async def _handle(self, http: HttpRequest, conn: Connection) -> None:
        started = time.monotonic()
        request = _parse(http)
        self._requests.append(request)
        error_name = ""
        try:
            if request.path.startswith(CONTROL_PLANE_PREFIX):  # batch jobs (testing/_jobs.py)
                error_name = self._answer_jobs(request, conn)
                return
            raw = self._script.take_raw()
            if raw is not None:
                _send_raw(conn, raw)
                return
            try:
                await self._answer(request, conn)
            except BedrockError as error:
                error_name = error.name
                _send_error(conn, error)
        finally:
            # Unanswered (the handler failed): the server's 500 is logged where it is sent.
            if conn.status is not None and LOG.isEnabledFor(logging.INFO):
                operation = request.operation or request.path
                LOG.info(
                    _access_line(
                        request.method,
                        operation,
                        request.model_id,
                        conn.status,
                        error_name,
                        _ms_since(started),
                    )
                )

    async def _answer(self, request: EmulatedRequest, conn: Connection) -> None:
        if request.operation == "" or request.method != "POST":
            raise BedrockError(404, "UnknownOperationException", "Unknown operation", CORAL_SERVICE)
        check_auth(request.headers, api_keys=self._api_keys)
        fault = self._script.take_fault(request, interruption=False)
        if isinstance(fault, BedrockError):
            raise fault
        if isinstance(fault, Hang):
            await self._hang(fault, conn)
            return
        resolved = resolve(request.model_id, opaque_arn_model=self._opaque_arn_model)
        if self.legacy_end_of_life and resolved.spec.legacy:
            raise make_error("ResourceNotFoundException")  # its text: END_OF_LIFE_MESSAGE
        if request.operation == "count-tokens":
            tokens = count_tokens(resolved, request.body)
            conn.send(200, _json_headers(), b'{"inputTokens":%d}' % tokens)
            return
        self._check_on_demand(resolved)
        check_invoke_headers(request.headers)
        guardrail = guardrail_call(request.headers, request.json, self._guardrails)
        ignore = (GUARDRAIL_CONFIG_KEY,) if guardrail is not None else ()
        invocation = parse_invocation(
            resolved.spec,
            request.json,
            empty=not request.body,
            ignore=ignore,
            verify_signatures=self._verify_signatures,
        )
        reply, first_byte, per_token = self._reply_for(request)
        completion = build_completion(
            request,
            invocation,
            reply,
            cache=self._cache,
            cache_minimum=self._cache_minimum,
            guardrail=guardrail,
        )
        echoed = [
            (name, request.headers[name]) for name in _ECHOED_HEADERS if name in request.headers
        ]
        if request.stream:
            interruption = self._script.take_fault(request, interruption=True)
            assert interruption is None or isinstance(interruption, Interruption)
            hold = _holds_text(guardrail)
            await self._stream(conn, completion, echoed, first_byte, per_token, interruption, hold)
        else:
            await self._invoke(conn, completion, echoed, first_byte, per_token)

    def _check_on_demand(self, resolved: ResolvedModel) -> None:
        if (
            self.require_inference_profile
            and not resolved.spec.on_demand
            and not resolved.via_profile
        ):
            raise validation_error(
                f"Invocation of model ID {resolved.base_id} with on-demand throughput isn\u2019t "
                "supported. Retry your request with the ID or ARN of an inference profile that "
                "contains this model."
            )

    async def _hang(self, hang: Hang, conn: Connection) -> None:
        if self._release is None or self._release.is_set():
            self._release = asyncio.Event()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._release.wait(), hang.timeout)
        conn.close()

    def _reply_for(self, request: EmulatedRequest) -> tuple[Reply, float, float]:
        scripted = self._script.take_reply()
        content = scripted.content if scripted is not None else self._responder
        first_byte, per_token = self.first_byte_latency, self.token_latency
        if scripted is not None:
            first_byte = _pick(scripted.first_byte_latency, first_byte)
            per_token = _pick(scripted.token_latency, per_token)
        if content is None:
            return Reply(), first_byte, per_token
        if callable(content):
            try:
                content = content(request)
            except Exception as error:
                raise make_error(
                    "InternalServerException", message=f"emulator responder failed: {error!r}"
                ) from error
        reply = content if isinstance(content, Reply) else Reply(text=content)  # type: ignore[arg-type]
        first_byte = _pick(reply.first_byte_latency, first_byte)
        per_token = _pick(reply.token_latency, per_token)
        return reply, first_byte, per_token

    async def _invoke(
        self,
        conn: Connection,
        completion: _wire.Completion,
        echoed: list[tuple[str, str]],
        first_byte: float,
        per_token: float,
    ) -> None:
        started = time.monotonic()
        delay = first_byte + per_token * completion.output_tokens
        if delay > 0:
            await asyncio.sleep(delay)
        latency = _ms_since(started)
        headers = _json_headers() + _wire.token_headers(completion, invocation_latency=latency)
        conn.send(200, headers + echoed, _wire.body(completion))

    async def _stream(
        self,
        conn: Connection,
        completion: _wire.Completion,
        echoed: list[tuple[str, str]],
        first_byte: float,
        per_token: float,
        interruption: Interruption | None,
        hold: bool = False,
    ) -> None:
        started = time.monotonic()
        headers = [
            ("Content-Type", "application/vnd.amazon.eventstream"),
            ("Connection", "keep-alive"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("X-Amzn-Bedrock-Content-Type", "application/json"),
            *echoed,
        ]
        events = _wire.events(completion)
        pad = _padding_sizes(completion.message_id, self._padding)
        if first_byte > 0:
            await asyncio.sleep(first_byte)
        first_byte_ms = _ms_since(started)
        if interruption is not None:
            await self._interrupted(conn, headers, events, pad, interruption, completion)
            return
        if hold and per_token > 0:
            # A synchronous guardrail holds the text back until it has checked all of it.
            await asyncio.sleep(per_token * completion.output_tokens)
        if per_token <= 0 or hold:
            frames = [chunk(encode_chunk(event, next(pad))) for event in events]
            final = self._final_frame(completion, started, first_byte_ms, pad)
            conn.start_chunked(200, headers, b"".join(frames) + chunk(final) + LAST_CHUNK)
            return
        conn.start_chunked(200, headers)
        for event in events:
            if event.startswith(_TOKEN_EVENT_PREFIXES):
                await conn.drain()
                await asyncio.sleep(per_token)
            conn.write(chunk(encode_chunk(event, next(pad))))
        final = self._final_frame(completion, started, first_byte_ms, pad)
        conn.write(chunk(final) + LAST_CHUNK)

    def _final_frame(
        self,
        completion: _wire.Completion,
        started: float,
        first_byte_ms: int,
        pad: _PaddingIterator,
    ) -> bytes:
        invocation_metrics = _wire.metrics(
            completion, invocation_latency=_ms_since(started), first_byte_latency=first_byte_ms
        )
        return encode_chunk(_wire.final_event(completion, invocation_metrics), next(pad))

    async def _interrupted(
        self,
        conn: Connection,
        headers: list[tuple[str, str]],
        events: list[bytes],
        pad: _PaddingIterator,
        interruption: Interruption,
        completion: _wire.Completion,
    ) -> None:
        frames = [encode_chunk(event, next(pad)) for event in events]
        frames.append(self._final_frame(completion, time.monotonic(), 0, pad))
        sent = frames[: interruption.after_events]
        body = b"".join(chunk(frame) for frame in sent)
        conn.start_chunked(200, headers, body)
        mode = interruption.mode
        if mode == "exception":
            message = interruption.message or stream_exception_message(interruption.exception_type)
            payload = BedrockError(0, interruption.exception_type, message).body
            conn.write(chunk(encode_exception(interruption.exception_type, payload)) + LAST_CHUNK)
        elif mode == "early_end":
            conn.write(LAST_CHUNK)
        else:
            if mode == "cut_frame":
                following = frames[interruption.after_events : interruption.after_events + 1]
                frame = following[0] if following else encode_chunk(b"{}", 1)
                conn.write(b"%x\r\n" % len(frame) + frame[: len(frame) // 2])
            await conn.drain()
            conn.close()


class _PaddingIterator:
    """Varying ``"p"`` lengths, 1 to 60, as Bedrock's (or 0 when padding is off)."""

    __slots__ = ("_state",)

    def __init__(self, state: int) -> None:
        self._state = state

    def __iter__(self) -> _PaddingIterator:
        return self

    def __next__(self) -> int:
        if self._state < 0:
            return 0
        self._state = (self._state * 37 + 11) % _MAX_PADDING
        return self._state + 1


def _padding_sizes(seed: str, enabled: bool) -> _PaddingIterator:
    return _PaddingIterator(hash(seed) % _MAX_PADDING if enabled else -1)


def _pick(value: float | None, default: float) -> float:
    return default if value is None else value


def _key_set(api_keys: Iterable[str] | None) -> frozenset[str] | None:
    if isinstance(api_keys, str):
        raise TypeError("api_keys must be a collection of keys, not one string")
    return None if api_keys is None else frozenset(api_keys)


def _holds_text(guardrail: GuardrailCall | None) -> bool:
    return guardrail is not None and guardrail.stream_mode == "SYNCHRONOUS"


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _json_headers() -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/json"),
        ("Connection", "keep-alive"),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]


def _send_error(conn: Connection, error: BedrockError) -> None:
    conn.send(error.status, [*_json_headers(), ("x-amzn-ErrorType", error.error_type)], error.body)


def _send_raw(conn: Connection, raw: RawReply) -> None:
    chunked = any(
        name.lower() == "transfer-encoding" and "chunked" in value.lower()
        for name, value in raw.headers
    )
    headers = [
        (name, value)
        for name, value in raw.headers
        if name.lower() not in ("content-length", "transfer-encoding")
    ]
    date = not any(name.lower() == "date" for name, _ in headers)
    if chunked:
        body = (chunk(raw.body) if raw.body else b"") + LAST_CHUNK
        conn.start_chunked(raw.status, headers, body, date=date)
    else:
        conn.send(raw.status, headers, raw.body, date=date)


def _answer_http_error(conn: Connection, error: HttpError) -> None:
    """Bedrock's answer to a request the HTTP server couldn't hand over.

    That is malformed HTTP (400), a body over the limit (413), or, as a 500, a request the
    emulator failed on before answering.
    """
    if error.status == 413:
        # Bedrock's text (MAX_BODY_BYTES). botocore models ValidationException as a 400,
        # but no public source shows the status of this answer: it is sent as 413 Payload
        # Too Large; clients decide on the x-amzn-ErrorType, which is Bedrock's.
        failure = BedrockError(413, "ValidationException", BODY_TOO_LARGE_MESSAGE)
    elif error.status >= 500:
        failure = make_error("InternalServerException")
        failure = BedrockError(
            500, failure.name, f"{failure.message} (emulator error: {error.message})"
        )
    else:  # stand-in texts: Bedrock's front door answers malformed HTTP before any service
        failure = BedrockError(error.status, "ValidationException", f"Bad request: {error.message}")
    _send_error(conn, failure)
    if LOG.isEnabledFor(logging.INFO):
        path, operation, model_id = _route(error.target)
        LOG.info(
            _access_line(
                error.method or "-",
                operation or path or "-",
                model_id,
                failure.status,
                failure.name,
                None,
            )
        )


def _access_line(
    method: str, operation: str, model_id: str, status: int, error: str, ms: int | None
) -> str:
    """``POST invoke anthropic.claude-3-haiku-20240307-v1:0 200 12ms``: one line per request."""
    took = "-" if ms is None else f"{ms}ms"
    line = f"{method} {operation} {model_id or '-'} {status} {took}"
    return f"{line} {error}" if error else line


def _route(target: str) -> tuple[str, str, str]:
    """The path of ``target``, and its operation and model id when it is a Bedrock route."""
    path = target.partition("?")[0]
    parts = path.split("/")
    # "/model/{modelId}/{operation}": the id may hold percent-encoded "/" but no raw "/"
    if len(parts) == 4 and parts[0] == "" and parts[1] == "model" and parts[3] in _OPERATIONS:
        return path, parts[3], unquote(parts[2])
    return path, "", ""


def _parse(http: HttpRequest) -> EmulatedRequest:
    path, operation, model_id = _route(http.target)
    query = http.target.partition("?")[2]
    return EmulatedRequest(
        method=http.method,
        path=path,
        operation=operation,
        model_id=model_id,
        headers=http.headers,
        body=http.body,
        query=parse_qs(query),
    )
