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
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, overload

from ._boto import ClientSettings, RuntimeHandle
from ._errors import BedrockClaudeError, map_aws_errors
from ._models import Completion
from ._params import CREATE_PARAMETERS, DEFAULT_MAX_TOKENS, check_params, reject_unknown
from ._request import PreparedRequest, completion_from, prepare
from ._retry import DEFAULT_MAX_RETRIES, RetryPolicy
from ._streaming import AsyncStream, Stream, StreamSession, run_blocking
from ._types import Api

__all__ = ["AnthropicBedrock", "AsyncAnthropicBedrock", "AsyncCompletions", "Completions"]


def invoke_once(runtime: RuntimeHandle, request: PreparedRequest) -> Completion:
    """One InvokeModel request, read to the end (blocking)."""
    with map_aws_errors(request.model_id, region=runtime.region):
        response = runtime.get().invoke_model(**request.boto_kwargs())
        request_id = response["ResponseMetadata"].get("RequestId")
        raw = response["body"].read()
        headers = response["ResponseMetadata"].get("HTTPHeaders", {})
    return completion_from(
        request.parse_body(raw, headers), model_id=request.model_id, request_id=request_id
    )


class _BaseClient:
    """What both clients share: settings, the lazily built boto3 client, the retry policy."""

    def __init__(
        self,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        *,
        session_token: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        client: Any | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: float | tuple[float, float] | None = None,
        max_connections: int | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        settings = ClientSettings(
            access_key=access_key,
            secret_key=secret_key,
            session_token=session_token,
            profile=profile,
            region=region,
            endpoint_url=endpoint_url,
            timeout=timeout,
            **({"max_connections": max_connections} if max_connections is not None else {}),
        )
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            from ._errors import InvalidParameterError

            raise InvalidParameterError(
                f"'max_retries' must be an integer of at least 0 (got {max_retries!r})."
            )
        self._runtime = RuntimeHandle(settings, client)
        self._policy = retry_policy or RetryPolicy(max_retries=max_retries)

    @property
    def max_retries(self) -> int:
        """Retries after the first request for transient failures."""
        return self._policy.max_retries

    @property
    def boto3_client(self) -> Any:
        """The underlying boto3 ``bedrock-runtime`` client (built on first access)."""
        return self._runtime.get()

    def _prepare(self, kwargs: dict[str, Any], unknown: Mapping[str, object]) -> PreparedRequest:
        reject_unknown(unknown, CREATE_PARAMETERS)
        return prepare(check_params(**kwargs))

    def __repr__(self) -> str:
        settings = self._runtime.settings
        return (
            f"{type(self).__name__}(region={self._runtime.region!r}, "
            f"endpoint_url={settings.endpoint_url!r}, max_retries={self.max_retries})"
        )


def _create_kwargs(
    model: str,
    prompt: str,
    max_tokens_to_sample: int,
    stop_sequences: Sequence[str] | None,
    temperature: float | None,
    top_p: float | None,
    top_k: int | None,
    system: str | None,
    api: Api | None,
    extra_body: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return {
        "model": model,
        "prompt": prompt,
        "max_tokens": max_tokens_to_sample,
        "stop_sequences": stop_sequences,
        "temperature": temperature,
        "top_p": top_p,
        "top_k": top_k,
        "system": system,
        "api": api,
        "extra_body": extra_body,
    }


class Completions:
    """``client.Completion``: the bedrock_anthropic ``Completion.create`` interface."""

    def __init__(self, client: AnthropicBedrock) -> None:
        self._client = client

    @overload
    def create(
        self,
        *,
        model: str,
        prompt: str,
        max_tokens_to_sample: int = ...,
        stop_sequences: Sequence[str] | None = ...,
        temperature: float | None = ...,
        top_p: float | None = ...,
        top_k: int | None = ...,
        stream: Literal[False] = ...,
        system: str | None = ...,
        api: Api | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
        **unknown: object,
    ) -> Completion: ...

    @overload
    def create(
        self,
        *,
        model: str,
        prompt: str,
        max_tokens_to_sample: int = ...,
        stop_sequences: Sequence[str] | None = ...,
        temperature: float | None = ...,
        top_p: float | None = ...,
        top_k: int | None = ...,
        stream: Literal[True],
        system: str | None = ...,
        api: Api | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
        **unknown: object,
    ) -> Stream: ...

    def create(
        self,
        *,
        model: str,
        prompt: str,
        max_tokens_to_sample: int = DEFAULT_MAX_TOKENS,
        stop_sequences: Sequence[str] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        stream: bool = False,
        system: str | None = None,
        api: Api | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **unknown: object,
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
            system: A system prompt.
            api: Force ``"messages"`` or ``"text_completions"`` instead of routing by model id.
            extra_body: Extra request body fields, sent as given.
            **unknown: Rejected with a clear error (they catch typos).

        Raises:
            InvalidParameterError: an argument is wrong, before any request is sent.
            BedrockClaudeError: a subclass says what Bedrock or the network did.
        """
        request = self._client._prepare(
            _create_kwargs(
                model,
                prompt,
                max_tokens_to_sample,
                stop_sequences,
                temperature,
                top_p,
                top_k,
                system,
                api,
                extra_body,
            ),
            unknown,
        )
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
        endpoint_url: Another endpoint (a VPC endpoint, the emulator); boto3's
            ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME`` / ``AWS_ENDPOINT_URL`` are honoured too.
        client: A ready boto3 ``bedrock-runtime`` client to use instead of building one.
        max_retries: Retries for throttling, 5xx and connection failures (default 2).
        timeout: Seconds for connect and read, or a ``(connect, read)`` pair.
        max_connections: HTTP connections kept open (default 64).
        retry_policy: Full control over retries and backoff.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.Completion = Completions(self)
        """``Completion.create(...)``, as in bedrock_anthropic."""

    def _invoke(self, request: PreparedRequest) -> Completion:
        attempt = 0
        while True:
            try:
                return invoke_once(self._runtime, request)
            except BedrockClaudeError as error:
                delay = self._policy.delay(error, attempt)
                if delay is None:
                    raise
                attempt += 1
                time.sleep(delay)

    def _open_stream(self, request: PreparedRequest) -> Stream:
        session = StreamSession(self._runtime, request, self._policy)
        session.open()
        return Stream(session)

    def close(self) -> None:
        """Close the connections of the boto3 client this client built."""
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
        self,
        *,
        model: str,
        prompt: str,
        max_tokens_to_sample: int = ...,
        stop_sequences: Sequence[str] | None = ...,
        temperature: float | None = ...,
        top_p: float | None = ...,
        top_k: int | None = ...,
        stream: Literal[False] = ...,
        system: str | None = ...,
        api: Api | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
        **unknown: object,
    ) -> Completion: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        prompt: str,
        max_tokens_to_sample: int = ...,
        stop_sequences: Sequence[str] | None = ...,
        temperature: float | None = ...,
        top_p: float | None = ...,
        top_k: int | None = ...,
        stream: Literal[True],
        system: str | None = ...,
        api: Api | None = ...,
        extra_body: Mapping[str, Any] | None = ...,
        **unknown: object,
    ) -> AsyncStream: ...

    async def create(
        self,
        *,
        model: str,
        prompt: str,
        max_tokens_to_sample: int = DEFAULT_MAX_TOKENS,
        stop_sequences: Sequence[str] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        stream: bool = False,
        system: str | None = None,
        api: Api | None = None,
        extra_body: Mapping[str, Any] | None = None,
        **unknown: object,
    ) -> Completion | AsyncStream:
        """The async twin of :meth:`Completions.create`; streams are ``async for`` iterators."""
        request = self._client._prepare(
            _create_kwargs(
                model,
                prompt,
                max_tokens_to_sample,
                stop_sequences,
                temperature,
                top_p,
                top_k,
                system,
                api,
                extra_body,
            ),
            unknown,
        )
        if stream:
            return await self._client._open_stream(request)
        return await self._client._invoke(request)


class AsyncAnthropicBedrock(_BaseClient):
    """The async twin of :class:`AnthropicBedrock`: same arguments, ``await`` and ``async for``.

    Blocking boto3 calls run on the client's own worker threads (as many as
    ``max_connections``), never on the event loop. Call ``aclose()`` (or use ``async with``)
    when done.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.Completion = AsyncCompletions(self)
        """``await Completion.create(...)``."""
        self._executor: ThreadPoolExecutor | None = None

    @property
    def executor(self) -> ThreadPoolExecutor:
        """The worker threads that run boto3's blocking calls (created on first use)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self._runtime.settings.max_connections,
                thread_name_prefix="bedrock-claude",
            )
        return self._executor

    async def _invoke(self, request: PreparedRequest) -> Completion:
        attempt = 0
        while True:
            try:
                result: Completion = await run_blocking(
                    self.executor, lambda: invoke_once(self._runtime, request)
                )
                return result
            except BedrockClaudeError as error:
                delay = self._policy.delay(error, attempt)
                if delay is None:
                    raise
                attempt += 1
                await asyncio.sleep(delay)

    async def _open_stream(self, request: PreparedRequest) -> AsyncStream:
        session = StreamSession(self._runtime, request, self._policy)
        try:
            await run_blocking(self.executor, session.open)
        except asyncio.CancelledError:
            session.close()
            raise
        return AsyncStream(session, self.executor)

    async def aclose(self) -> None:
        """Stop the worker threads and close the connections of the boto3 client it built."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.get_running_loop().run_in_executor(None, executor.shutdown)
        self._runtime.close()

    async def __aenter__(self) -> AsyncAnthropicBedrock:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
