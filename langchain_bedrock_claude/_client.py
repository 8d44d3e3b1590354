"""``AnthropicBedrock`` and ``AsyncAnthropicBedrock``: the bedrock_anthropic interface, on boto3.

```python
anthropic = AnthropicBedrock(access_key=..., secret_key=..., region=...)
for completion in anthropic.Completion.create(model=..., prompt=..., stream=True):
    print(completion, end="", flush=True)
```

Both clients share request building, parsing, retry decisions and error mapping; they differ
only in how they wait.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, ClassVar, Literal, overload

from ._boto import AsyncTransport, ClientSettings, RuntimeHandle, have_aiohttp
from ._bridge import Workers, run_blocking
from ._errors import BedrockClaudeError, InvalidParameterError
from ._exchange import Exchange, aborted_here
from ._models import Completion
from ._native import NativeStreamSession, acount_once, ainvoke_once
from ._option_types import CompletionOptions
from ._options import OPTION_NAMES, check_switch
from ._params import DEFAULT_MAX_TOKENS, check_options, check_params, reject_unknown
from ._preparing import preparing
from ._request import (
    PreparedRequest,
    check_guardrail,
    completion_of,
    count_tokens_kwargs,
    prepare,
)
from ._retry import DEFAULT_MAX_RETRIES, RetryPolicy, Tries
from ._streaming import AsyncStream, Stream, StreamSession
from ._translate import map_aws_errors
from ._types import T

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
    from typing_extensions import Required, Self, Unpack

    from ._aio_transport import AiohttpTransport
    from .batch import AsyncBatchJobs, BatchJobs

__all__ = [
    "AnthropicBedrock",
    "AsyncAnthropicBedrock",
    "AsyncCompletions",
    "CompletionOptions",
    "Completions",
]


class CreateArguments(CompletionOptions, total=False):
    """Every keyword argument of ``Completion.create`` but ``stream``.

    One list for all six signatures (two overloads and the implementation, sync and async).
    """

    model: Required[str]
    """A Claude model id, inference profile id (``us.anthropic...``) or ARN."""
    prompt: Required[str]
    r"""The prompt: plain text, or ``\n\nHuman: ... \n\nAssistant:`` turns."""
    max_tokens_to_sample: int
    """The most tokens to generate (default 256)."""
    stop_sequences: Sequence[str] | None
    """Strings that stop generation when produced."""
    temperature: float | None
    """Randomness, 0-1 (sent only if set)."""
    top_p: float | None
    """Nucleus sampling, 0-1 (sent only if set)."""
    top_k: int | None
    """Sample only from the top K tokens, 0-500 (sent only if set)."""


_BEDROCK_ANTHROPIC = {
    "model": "model",
    "prompt": "prompt",
    "max_tokens_to_sample": "max_tokens",
    "stop_sequences": "stop_sequences",
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
}
"""The bedrock_anthropic parameters -> ``check_params``' names."""

CREATE_PARAMETERS = (*_BEDROCK_ANTHROPIC, "stream", *CompletionOptions.__annotations__)
"""Every parameter ``Completion.create`` takes, for the "unknown parameter" message."""


def _checked(arguments: Mapping[str, Any], stream: bool) -> PreparedRequest:
    """Check everything the caller passed to ``create`` and build the request (pure)."""
    reject_unknown(
        {key: value for key, value in arguments.items() if key not in CREATE_PARAMETERS},
        CREATE_PARAMETERS,
    )
    for required in ("model", "prompt"):
        if required not in arguments:
            raise InvalidParameterError(f"{required!r} is required (got no {required}=).")
    features = check_options(**{key: arguments[key] for key in OPTION_NAMES if key in arguments})
    sampling = {
        ours: arguments[theirs]
        for theirs, ours in _BEDROCK_ANTHROPIC.items()
        if theirs in arguments
    }
    params = check_params(
        **sampling,
        system=arguments.get("system"),
        api=arguments.get("api"),
        extra_body=arguments.get("extra_body"),
        options=features,
    )
    return prepare(params, stream=stream)


def invoke_once(runtime: RuntimeHandle, request: PreparedRequest) -> Completion:
    """One InvokeModel request, read to the end (blocking)."""
    client = runtime.get(request.model_id)
    with map_aws_errors(request.model_id, region=runtime.region):
        with preparing():
            response = client.invoke_model(**request.boto_kwargs())
        raw = response["body"].read()
    return completion_of(request, response, raw)


def count_once(runtime: RuntimeHandle, request: PreparedRequest) -> int:
    """One CountTokens request (blocking)."""
    kwargs = count_tokens_kwargs(request)
    client = runtime.get(request.model_id)
    with map_aws_errors(kwargs["modelId"], region=runtime.region), preparing():
        return int(client.count_tokens(**kwargs)["inputTokens"])


def retry_policy_for(max_retries: int | None, retry_policy: RetryPolicy | None) -> RetryPolicy:
    """The one retry policy of a client.

    ``max_retries``, when given, is the number of retries whatever ``retry_policy`` says (its
    backoff is kept); without it, ``retry_policy``'s own count applies, else 2.
    """
    if max_retries is not None and (
        isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
    ):
        raise InvalidParameterError(
            f"'max_retries' must be an integer of at least 0 (got {max_retries!r})."
        )
    if retry_policy is None:
        return RetryPolicy(max_retries=DEFAULT_MAX_RETRIES if max_retries is None else max_retries)
    if not isinstance(retry_policy, RetryPolicy):
        raise InvalidParameterError(
            f"'retry_policy' must be a RetryPolicy (got {type(retry_policy).__name__})."
        )
    return retry_policy if max_retries is None else replace(retry_policy, max_retries=max_retries)


class _BaseClient:
    """What both clients share: settings, the lazily built boto3 client, the retry policy."""

    _ASYNC: ClassVar[bool] = False
    """Whether the client makes async calls (and so takes ``async_transport``)."""

    def __init__(
        self,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        *,
        session_token: str | None = None,
        profile: str | None = None,
        api_key: str | None = None,
        endpoint_url: str | None = None,
        client: BedrockRuntimeClient | None = None,
        max_retries: int | None = None,
        timeout: float | tuple[float, float] | None = None,
        max_connections: int | None = None,
        retry_policy: RetryPolicy | None = None,
        auto_inference_profile: bool = False,
        verify: bool | str | None = None,
        async_transport: AsyncTransport = "auto",
    ) -> None:
        if async_transport != "auto" and not self._ASYNC:
            raise InvalidParameterError(
                f"'async_transport' is for AsyncAnthropicBedrock: {type(self).__name__} makes "
                f"no async calls (got async_transport={async_transport!r})."
            )
        settings = ClientSettings(
            access_key=access_key,
            secret_key=secret_key,
            session_token=session_token,
            profile=profile,
            api_key=api_key,
            region=region,
            endpoint_url=endpoint_url,
            timeout=timeout,
            verify=verify,
            async_transport=async_transport,
            **({"max_connections": max_connections} if max_connections is not None else {}),
        )
        self._setup(
            RuntimeHandle(settings, client),
            retry_policy_for(max_retries, retry_policy),
            auto_inference_profile=auto_inference_profile,
        )

    @classmethod
    def sharing(
        cls,
        runtime: RuntimeHandle,
        *,
        retry_policy: RetryPolicy,
        auto_inference_profile: bool = False,
    ) -> Self:
        """A client over an existing :class:`RuntimeHandle`: one boto3 client and pool for many.

        ``BedrockClaude`` builds its sync and async clients this way.
        """
        client = cls.__new__(cls)
        client._setup(runtime, retry_policy, auto_inference_profile=auto_inference_profile)
        return client

    def _setup(
        self, runtime: RuntimeHandle, policy: RetryPolicy, *, auto_inference_profile: bool
    ) -> None:
        self._runtime = runtime
        self._policy = policy
        check_switch("auto_inference_profile", auto_inference_profile)
        self.auto_inference_profile = auto_inference_profile
        """Retry once with the inference profile Bedrock asks for (on-demand not supported)."""
        self._executor: Workers | None = None
        self._native: AiohttpTransport | None = None

    def __getstate__(self) -> dict[str, Any]:
        # Worker threads and connections stay behind: the copy makes its own on first use.
        return {**self.__dict__, "_executor": None, "_native": None}

    @property
    def executor(self) -> Workers:
        """The worker threads that run blocking boto3 calls and read streams.

        Made on first use; one thread per call or stream in flight, up to ``max_connections``,
        each ended after 10 s idle.
        """
        if self._executor is None:
            self._executor = Workers(self._runtime.settings.max_connections, name="bedrock-claude")
        return self._executor

    @property
    def max_retries(self) -> int:
        """Retries after the first request for transient failures."""
        return self._policy.max_retries

    @property
    def boto3_client(self) -> BedrockRuntimeClient:
        """The underlying boto3 ``bedrock-runtime`` client (built on first access)."""
        return self._runtime.get()

    def _tries(self) -> Tries:
        """A fresh record of one call's retries and reroute."""
        return Tries(self._policy, auto_inference_profile=self.auto_inference_profile)

    def __repr__(self) -> str:
        settings = self._runtime.settings
        return (
            f"{type(self).__name__}(region={self._runtime.region!r}, "
            f"endpoint_url={settings.endpoint_url!r}, max_retries={self.max_retries})"
        )


class Completions:
    """``client.Completion``: the bedrock_anthropic ``Completion.create`` interface."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client

    @overload
    def create(
        self, *, stream: Literal[False] = ..., **arguments: Unpack[CreateArguments]
    ) -> Completion: ...

    @overload
    def create(self, *, stream: Literal[True], **arguments: Unpack[CreateArguments]) -> Stream: ...

    def create(
        self, *, stream: bool = False, **arguments: Unpack[CreateArguments]
    ) -> Completion | Stream:
        r"""Complete ``prompt`` with ``model``; with ``stream=True``, yield pieces as they arrive.

        Args:
            model: A Claude model id, inference profile id (``us.anthropic...``) or ARN.
            prompt: The prompt: plain text, or ``\n\nHuman: ... \n\nAssistant:`` turns.
            max_tokens_to_sample: The most tokens to generate (default 256).
            stop_sequences: Strings that stop generation when produced.
            temperature: Randomness, 0-1 (sent only if set).
            top_p: Nucleus sampling, 0-1 (sent only if set).
            top_k: Sample only from the top K tokens, 0-500 (sent only if set).
            stream: Return a :class:`Stream` of pieces instead of a :class:`Completion`.
            **arguments: the rest, as :class:`CreateArguments` lists them (the system prompt,
                guardrails, service tier, thinking, caching, ...); anything else is refused
                with a clear error.

        Raises:
            InvalidParameterError: an argument is wrong, before any request is sent.
            BedrockClaudeError: a subclass says what Bedrock or the network did.
        """
        request = _checked(arguments, stream)
        if stream:
            return self._client._open_stream(request)
        return self._client._invoke(request)


class AnthropicBedrock(_BaseClient):
    """A Claude-on-Bedrock client with the ``bedrock_anthropic`` interface.

    Args:
        access_key: AWS access key id (with ``secret_key``); else ``profile``, else boto3's
            default credential chain.
        secret_key: AWS secret access key.
        region: AWS region; else the profile's or the environment's.
        session_token: Session token for temporary credentials.
        profile: A named profile from ``~/.aws/config``.
        api_key: A Bedrock API key (bearer token) instead of SigV4 credentials; boto3 also
            reads ``AWS_BEARER_TOKEN_BEDROCK``.
        endpoint_url: Another endpoint (a VPC endpoint, the emulator); boto3's
            ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` / ``AWS_ENDPOINT_URL`` are honoured too.
        client: A ready boto3 ``bedrock-runtime`` client to use instead of building one.
        max_retries: Retries for throttling, 5xx and connection failures (default 2); when
            given with ``retry_policy``, it sets the policy's count.
        timeout: Seconds for connect and read, or a ``(connect, read)`` pair.
        max_connections: The most HTTP connections at once, and async worker threads
            (default 1024; made as calls need them).
        retry_policy: Full control over retries and backoff (its ``max_retries`` applies
            unless ``max_retries`` is given too).
        auto_inference_profile: When Bedrock answers that a model needs an inference
            profile, retry once with the profile of the client's region.
        verify: TLS verification: ``False``, or a CA bundle path (boto3's ``verify``).
    """

    def _setup(
        self, runtime: RuntimeHandle, policy: RetryPolicy, *, auto_inference_profile: bool
    ) -> None:
        super()._setup(runtime, policy, auto_inference_profile=auto_inference_profile)
        self.Completion = Completions(self)
        """``Completion.create(...)``, as in bedrock_anthropic."""

    @cached_property
    def batch_jobs(self) -> BatchJobs:
        """Bedrock batch inference jobs, with this client's credentials and checks."""
        from .batch import BatchJobs

        return BatchJobs(self)

    def _retrying(self, request: PreparedRequest, call: Callable[[PreparedRequest], T]) -> T:
        """``call(request)``, retried (and rerouted) as the policy says; waits by sleeping."""
        tries: Tries | None = None  # made at the first error: most calls never need one
        while True:
            try:
                return call(request)
            except BedrockClaudeError as error:
                tries = tries or self._tries()
                following = tries.after(request, error)
                if following is None or aborted_here():  # aborted: by a batch's first error
                    raise
                request, delay = following
                time.sleep(delay)

    def _invoke(self, request: PreparedRequest) -> Completion:
        completion = self._retrying(request, partial(invoke_once, self._runtime))
        check_guardrail(request, completion)
        return completion

    def _open_stream(self, request: PreparedRequest) -> Stream:
        session = StreamSession(
            self._runtime, request, self._policy, auto_inference_profile=self.auto_inference_profile
        )
        session.open()
        return Stream(session, self.executor)

    def count_tokens(
        self,
        *,
        model: str,
        prompt: str,
        max_tokens_to_sample: int = DEFAULT_MAX_TOKENS,
        **options: Unpack[CompletionOptions],
    ) -> int:
        """Count the input tokens ``prompt`` would use, with Bedrock's CountTokens operation.

        The body counted is the one ``Completion.create`` would send with the same arguments.

        Raises:
            InvalidParameterError: the model does not support CountTokens (before any request).
        """
        arguments = {"model": model, "prompt": prompt, "max_tokens_to_sample": max_tokens_to_sample}
        request = _checked({**arguments, **options}, False)
        return self._count(request)

    def _count(self, request: PreparedRequest) -> int:
        return self._retrying(request, lambda sent: count_once(self._runtime, sent))

    def close(self) -> None:
        """Close the connections of the boto3 client this client built.

        Threads still reading streams end with their streams.
        """
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)
        self._runtime.close()

    def __enter__(self) -> AnthropicBedrock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncCompletions:
    """``client.Completion`` of :class:`AsyncAnthropicBedrock`: ``await create(...)``."""

    def __init__(self, client: AsyncAnthropicBedrock) -> None:
        self._client = client

    @overload
    async def create(
        self, *, stream: Literal[False] = ..., **arguments: Unpack[CreateArguments]
    ) -> Completion: ...

    @overload
    async def create(
        self, *, stream: Literal[True], **arguments: Unpack[CreateArguments]
    ) -> AsyncStream: ...

    async def create(
        self, *, stream: bool = False, **arguments: Unpack[CreateArguments]
    ) -> Completion | AsyncStream:
        """The async twin of :meth:`Completions.create`; streams are ``async for`` iterators."""
        request = _checked(arguments, stream)
        if stream:
            return await self._client._open_stream(request)
        return await self._client._invoke(request)


class AsyncAnthropicBedrock(_BaseClient):
    """The async twin of :class:`AnthropicBedrock`: same arguments, ``await`` and ``async for``.

    With ``async_transport="aiohttp"`` (the default ``"auto"`` picks it when aiohttp is
    installed and the boto3 client is this package's own), requests and streams run on the
    event loop itself: no thread per call, botocore still signing each request and reading each
    answer. With ``"threads"``, blocking boto3 calls run on the client's own worker threads,
    never on the event loop: one thread per call in flight (an open stream included), started
    when every thread is busy, up to ``max_connections``, and ended after 10 s idle. Either
    way, cancelling a call (or a stream still opening) aborts its request: its connection is
    closed at once. Call ``aclose()`` (or use ``async with``) when done.

    Args:
        async_transport: ``"auto"`` (default), ``"aiohttp"`` or ``"threads"``; the other
            arguments are :class:`AnthropicBedrock`'s.
    """

    _ASYNC = True

    def _setup(
        self, runtime: RuntimeHandle, policy: RetryPolicy, *, auto_inference_profile: bool
    ) -> None:
        super()._setup(runtime, policy, auto_inference_profile=auto_inference_profile)
        self.Completion = AsyncCompletions(self)
        """``await Completion.create(...)``."""

    @cached_property
    def batch_jobs(self) -> AsyncBatchJobs:
        """Bedrock batch inference jobs, with this client's credentials and checks."""
        from .batch import AsyncBatchJobs

        return AsyncBatchJobs(self)

    @property
    def transport(self) -> Literal["aiohttp", "threads"]:
        """The transport async calls use: ``async_transport``, with ``"auto"`` decided."""
        return "threads" if self._transport() is None else "aiohttp"

    def _transport(self) -> AiohttpTransport | None:
        """The native transport, made on first use; ``None`` for worker threads."""
        if self._native is not None:
            return self._native
        runtime = self._runtime
        choice = runtime.settings.async_transport
        if choice == "threads" or (choice == "auto" and (not runtime.owned or not have_aiohttp())):
            return None
        from ._aio_transport import AiohttpTransport

        settings = runtime.settings
        if not runtime.owned:  # a passed client's own timeouts and pool size apply
            config: Any = runtime.get().meta.config  # botocore-stubs omit these attributes
            settings = replace(
                settings,
                timeout=(float(config.connect_timeout), float(config.read_timeout)),
                max_connections=int(config.max_pool_connections),
            )
        self._native = AiohttpTransport(settings)
        return self._native

    async def _retrying(
        self, request: PreparedRequest, attempt: Callable[[PreparedRequest], Awaitable[T]]
    ) -> T:
        """``await attempt(request)``, retried (and rerouted) as the policy says."""
        tries = self._tries()
        while True:
            try:
                return await attempt(request)
            except BedrockClaudeError as error:
                following = tries.after(request, error)
                if following is None:
                    raise
                request, delay = following
                await asyncio.sleep(delay)

    def _attempt(
        self,
        blocking: Callable[[RuntimeHandle, PreparedRequest], T],
        native: Callable[[AiohttpTransport, RuntimeHandle, PreparedRequest], Awaitable[T]],
    ) -> Callable[[PreparedRequest], Awaitable[T]]:
        """One try of a call on this client's transport.

        ``native`` on the loop, or else the ``blocking`` call on a worker thread.

        On a thread, a cancelled caller aborts the request in flight, so its thread and
        connection are free at once rather than after the read timeout.
        """
        transport = self._transport()
        if transport is not None:
            return partial(native, transport, self._runtime)

        async def on_thread(request: PreparedRequest) -> T:
            exchange = Exchange()
            return await run_blocking(
                self.executor,
                partial(exchange.run, partial(blocking, self._runtime, request), finish=True),
                on_cancel=exchange.abort,
            )

        return on_thread

    async def _invoke(self, request: PreparedRequest) -> Completion:
        completion = await self._retrying(request, self._attempt(invoke_once, ainvoke_once))
        check_guardrail(request, completion)
        return completion

    async def _open_stream(self, request: PreparedRequest) -> AsyncStream:
        transport = self._transport()
        if transport is not None:
            native = NativeStreamSession(
                transport,
                self._runtime,
                request,
                self._policy,
                auto_inference_profile=self.auto_inference_profile,
            )
            try:
                await native.open()
            except BaseException:  # cancelled while opening: the connection is closed now
                native.close()
                raise
            return AsyncStream(native, None)
        session = StreamSession(
            self._runtime, request, self._policy, auto_inference_profile=self.auto_inference_profile
        )
        await run_blocking(self.executor, session.open, on_cancel=session.close)
        return AsyncStream(session, self.executor)

    async def count_tokens(
        self,
        *,
        model: str,
        prompt: str,
        max_tokens_to_sample: int = DEFAULT_MAX_TOKENS,
        **options: Unpack[CompletionOptions],
    ) -> int:
        """The async twin of :meth:`AnthropicBedrock.count_tokens`."""
        arguments = {"model": model, "prompt": prompt, "max_tokens_to_sample": max_tokens_to_sample}
        request = _checked({**arguments, **options}, False)
        return await self._retrying(request, self._attempt(count_once, acount_once))

    async def aclose(self) -> None:
        """Stop the worker threads and close the connections (this loop's, the boto3 client's).

        The boto3 client's only if this client built it.
        """
        executor, self._executor = self._executor, None
        native, self._native = self._native, None
        if native is not None:
            await native.aclose()
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown)
        self._runtime.close()

    async def __aenter__(self) -> AsyncAnthropicBedrock:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
