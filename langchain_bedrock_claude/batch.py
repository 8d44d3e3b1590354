"""Bedrock batch inference jobs: many prompts as one job, at half the on-demand price.

```python
jobs = client.batch_jobs
job = jobs.create(prompts, BatchJobConfig(s3_uri="s3://my-bucket/jobs/", role_arn=ROLE),
                  model="anthropic.claude-haiku-4-5-20251001-v1:0", max_tokens_to_sample=200)
job.wait(poll_interval=60)
for result in job.results():        # in input order, streamed from S3
    print(result.index, result.text if result.ok else result.error)
```

Every record is the InvokeModel body a call with the same arguments would send, checked the
same way, and Bedrock's batch rules are checked before anything is uploaded. Records go to
temporary files first (never all in memory), then to S3; results are read back the same way.

The LangChain models have the same jobs: ``llm.batch_jobs`` (prompts, :class:`BatchResult`)
and ``chat.batch_jobs`` (conversations, :class:`ChatBatchResult` with the answer as an
``AIMessage``), both a :class:`ModelBatchJobs` over the model's own request building.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ._batch_format import BatchJobInfo, BatchQuotas, BatchResult, ResultT, VpcConfig
from ._batch_jobs import BatchJobConfig, Jobs, check_wait, next_poll
from ._bridge import run_blocking
from ._client import AsyncAnthropicBedrock, _checked
from ._errors import BedrockClaudeError, InvalidParameterError
from ._params import DEFAULT_MAX_TOKENS
from ._request import PreparedRequest

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import AIMessage, BaseMessage
    from typing_extensions import Self, Unpack

    from ._client import AnthropicBedrock, CompletionOptions
    from ._formats import ParsedResponse
    from ._lc_base import BedrockClaudeFields
    from .chat_models import ChatBedrockClaude
    from .llms import BedrockClaude

__all__ = [
    "AsyncBatchJob",
    "AsyncBatchJobs",
    "BatchJob",
    "BatchJobConfig",
    "BatchJobInfo",
    "BatchJobs",
    "BatchQuotas",
    "BatchResult",
    "ChatBatchJobs",
    "ChatBatchResult",
    "LLMBatchJobs",
    "ModelBatchJobs",
    "VpcConfig",
]

DEFAULT_POLL_INTERVAL = 30.0
"""Seconds between status checks in ``wait()``: jobs take minutes to hours."""
_ASYNC_RESULTS_BATCH = 256
"""Results fetched per worker-thread hop by the async results iterator."""


# --- what users hold ------------------------------------------------------------------------


class _Handle(Generic[ResultT]):
    """What both job twins share: the last look at the job, and the type of its results."""

    def __init__(self, jobs: Jobs, info: BatchJobInfo, kind: type[ResultT]) -> None:
        self._jobs = jobs
        self._kind = kind
        self.info = info
        """What Bedrock said about the job at the last look (``refresh()`` looks again)."""

    @property
    def job_arn(self) -> str:
        """The job's ARN: ``client.batch_jobs.get(arn)`` re-attaches to it from anywhere."""
        return self.info.job_arn

    @property
    def job_id(self) -> str:
        """The job's id."""
        return self.info.job_id

    @property
    def status(self) -> str:
        """The job's status at the last look."""
        return self.info.status

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.job_arn!r}, {self.info.progress()!r})"


class BatchJob(_Handle[ResultT]):
    """A batch inference job: its status, ``wait()``, ``stop()`` and its ``results()``.

    Its results are :class:`BatchResult` (a chat model's jobs: :class:`ChatBatchResult`).
    """

    def refresh(self) -> BatchJobInfo:
        """Ask Bedrock for the job's status and record counts now."""
        self.info = self._jobs.describe(self.job_arn)
        return self.info

    def wait(
        self,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,
        on_progress: Callable[[BatchJobInfo], None] | None = None,
    ) -> BatchJobInfo:
        """Check the job every ``poll_interval`` seconds until it ends.

        Args:
            poll_interval: Seconds between checks.
            timeout: Give up after this many seconds (``None``: wait as long as it takes).
            on_progress: Called with the job's info after every check.

        Returns:
            The job's final info (``Completed``, ``PartiallyCompleted``, ``Failed``,
            ``Stopped`` or ``Expired``).

        Raises:
            BatchJobTimeoutError: the job was still running at ``timeout``.
        """
        deadline = check_wait(poll_interval, timeout)
        while True:
            info = self.refresh()
            if on_progress is not None:
                on_progress(info)
            delay = next_poll(info, deadline, poll_interval)
            if delay is None:
                return info
            time.sleep(delay)

    def stop(self) -> None:
        """Ask Bedrock to stop the job; records already processed keep their results."""
        self._jobs.stop(self.job_arn)
        self.refresh()

    def results(self) -> Generator[ResultT, None, None]:
        """Every record's result in input order, read from S3 as it is iterated.

        Raises:
            BatchJobError: the job has not ended, or ended without results (Failed, Expired).
        """
        info = self.info if self.info.done else self.refresh()
        return self._jobs.results(info, self._kind)


class AsyncBatchJob(_Handle[ResultT]):
    """The async twin of :class:`BatchJob`: blocking work runs on the client's worker threads."""

    def __init__(
        self, jobs: Jobs, info: BatchJobInfo, kind: type[ResultT], executor: Executor
    ) -> None:
        super().__init__(jobs, info, kind)
        self._executor = executor

    async def refresh(self) -> BatchJobInfo:
        """Ask Bedrock for the job's status and record counts now."""
        info: BatchJobInfo = await run_blocking(
            self._executor, partial(self._jobs.describe, self.job_arn)
        )
        self.info = info
        return info

    async def wait(
        self,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float | None = None,
        on_progress: Callable[[BatchJobInfo], None] | None = None,
    ) -> BatchJobInfo:
        """The async twin of :meth:`BatchJob.wait` (sleeps on the event loop)."""
        deadline = check_wait(poll_interval, timeout)
        while True:
            info = await self.refresh()
            if on_progress is not None:
                on_progress(info)
            delay = next_poll(info, deadline, poll_interval)
            if delay is None:
                return info
            await asyncio.sleep(delay)

    async def stop(self) -> None:
        """Ask Bedrock to stop the job."""
        await run_blocking(self._executor, partial(self._jobs.stop, self.job_arn))
        await self.refresh()

    async def results(self) -> AsyncIterator[ResultT]:
        """Every record's result in input order (``async for``), read from S3 as iterated."""
        info = self.info if self.info.done else await self.refresh()
        results = self._jobs.results(info, self._kind)  # read and parsed on worker threads
        try:
            while True:
                some: list[ResultT] = await run_blocking(
                    self._executor, partial(_take, results, _ASYNC_RESULTS_BATCH)
                )
                for result in some:
                    yield result
                if len(some) < _ASYNC_RESULTS_BATCH:
                    return
        finally:
            await run_blocking(self._executor, results.close)


_T = TypeVar("_T")


def _take(results: Iterator[_T], count: int) -> list[_T]:
    return list(islice(results, count))


# --- building the records ------------------------------------------------------------------


def _client_request(item: str | Mapping[str, Any], shared: Mapping[str, Any]) -> PreparedRequest:
    """One prompt (or a mapping of ``prompt`` and per-record arguments) -> its request."""
    values = {**shared, **({"prompt": item} if isinstance(item, str) else dict(item))}
    if "stream" in values:
        raise InvalidParameterError("'stream' has no meaning in a batch job; leave it out.")
    return _checked(values, False)  # exactly what Completion.create checks and sends


def _shared(
    model: str,
    max_tokens_to_sample: int,
    stop_sequences: Iterable[str] | None,
    temperature: float | None,
    top_p: float | None,
    top_k: int | None,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens_to_sample": max_tokens_to_sample,
        "stop_sequences": stop_sequences,
        "temperature": temperature,
        "top_p": top_p,
        "top_k": top_k,
        **options,
    }


def _each_request(
    items: Iterable[_T], build: Callable[[_T], PreparedRequest], what: str
) -> Iterator[PreparedRequest]:
    """Each item's request, in order; an item's error names its index (the record's)."""
    if isinstance(items, str | bytes):
        raise InvalidParameterError(
            f"{what!r} must be a list (or any iterable) of {what}, not one string."
        )
    for index, item in enumerate(items):
        try:
            request = build(item)
        except Exception as error:  # ours, or langchain-core's (ValueError on a bad message)
            _name_record(error, index)
            raise
        yield request


def _name_record(error: Exception, index: int) -> None:
    """Say in ``error``'s message which record it is about: the same error the call raises."""
    prefix = f"Record {index}: "
    if isinstance(error, BedrockClaudeError):
        error.message = prefix + error.message
    if error.args and isinstance(error.args[0], str):
        error.args = (prefix + error.args[0], *error.args[1:])


class _Entry:
    """What both entry points share: the job operations on the client's settings."""

    def __init__(
        self,
        client: AnthropicBedrock | AsyncAnthropicBedrock,
        *,
        endpoint_url: str | None = None,
        s3_endpoint_url: str | None = None,
        bedrock_client: Any | None = None,
        s3_client: Any | None = None,
    ) -> None:
        self._client = client
        self._jobs = Jobs(
            client._runtime.settings,
            endpoint_url=endpoint_url,
            s3_endpoint_url=s3_endpoint_url,
            bedrock_client=bedrock_client,
            s3_client=s3_client,
        )


class BatchJobs(_Entry):
    """``client.batch_jobs``: submit prompts as a Bedrock batch inference job, or re-attach.

    Args:
        client: The client whose credentials, region and checks the jobs use.
        endpoint_url: The ``bedrock`` control plane's endpoint (default: boto3's, which reads
            ``AWS_ENDPOINT_URL_BEDROCK``).
        s3_endpoint_url: S3's endpoint (default: boto3's, which reads ``AWS_ENDPOINT_URL_S3``).
        bedrock_client: A ready boto3 ``bedrock`` client instead.
        s3_client: A ready boto3 ``s3`` client instead.
    """

    def create(
        self,
        prompts: Iterable[str | Mapping[str, Any]],
        config: BatchJobConfig,
        *,
        model: str,
        max_tokens_to_sample: int = DEFAULT_MAX_TOKENS,
        stop_sequences: Iterable[str] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        **options: Unpack[CompletionOptions],
    ) -> BatchJob:
        """Check every prompt, upload the records and create the job.

        Args:
            prompts: Prompts, or mappings of ``prompt`` and per-record arguments of
                ``Completion.create`` (e.g. ``{"prompt": ..., "system": ...}``).
            config: Where the files go, the IAM role and the job's settings.
            model: The model every record runs on (id, inference profile or ARN).
            max_tokens_to_sample: The most tokens each record may generate.
            stop_sequences: Strings that stop generation.
            temperature: Randomness, 0-1.
            top_p: Nucleus sampling, 0-1.
            top_k: Sample only from the top K tokens.
            **options: The ``CompletionOptions`` that a record's body can carry (``system``,
                ``thinking_budget_tokens``, ``cache_system``, ``extra_body``, ``api``).

        Returns:
            The job, already ``Submitted``.

        Raises:
            InvalidParameterError: a prompt, option or setting Bedrock would refuse, or a
                quota it would exceed: raised before anything is uploaded.
        """
        shared = _shared(
            model, max_tokens_to_sample, stop_sequences, temperature, top_p, top_k, options
        )
        requests = _each_request(prompts, partial(_client_request, shared=shared), "prompts")
        return BatchJob(self._jobs, self._jobs.submit(requests, model, config), BatchResult)

    def get(self, job_arn: str) -> BatchJob:
        """Re-attach to a job by its ARN (or id), e.g. in a later process."""
        return BatchJob(self._jobs, self._jobs.describe(job_arn), BatchResult)

    def list(
        self, *, status: str | None = None, name_contains: str | None = None
    ) -> list[BatchJobInfo]:
        """The account's batch jobs in this region, newest first."""
        return self._jobs.list(status, name_contains)


class AsyncBatchJobs(_Entry):
    """``async_client.batch_jobs``: the async twin of :class:`BatchJobs`."""

    @property
    def _executor(self) -> Executor:
        client = self._client
        assert isinstance(client, AsyncAnthropicBedrock)  # the only kind AsyncBatchJobs takes
        return client.executor

    async def create(
        self,
        prompts: Iterable[str | Mapping[str, Any]],
        config: BatchJobConfig,
        *,
        model: str,
        max_tokens_to_sample: int = DEFAULT_MAX_TOKENS,
        stop_sequences: Iterable[str] | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        top_k: int | None = None,
        **options: Unpack[CompletionOptions],
    ) -> AsyncBatchJob:
        """The async twin of :meth:`BatchJobs.create` (records are built on a worker thread)."""
        shared = _shared(
            model, max_tokens_to_sample, stop_sequences, temperature, top_p, top_k, options
        )
        requests = _each_request(prompts, partial(_client_request, shared=shared), "prompts")
        submit = partial(self._jobs.submit, requests, model, config)
        info: BatchJobInfo = await run_blocking(self._executor, submit)
        return AsyncBatchJob(self._jobs, info, BatchResult, self._executor)

    async def get(self, job_arn: str) -> AsyncBatchJob:
        """Re-attach to a job by its ARN (or id)."""
        info = await run_blocking(self._executor, partial(self._jobs.describe, job_arn))
        return AsyncBatchJob(self._jobs, info, BatchResult, self._executor)

    async def list(
        self, *, status: str | None = None, name_contains: str | None = None
    ) -> list[BatchJobInfo]:
        """The account's batch jobs in this region, newest first."""
        found: list[BatchJobInfo] = await run_blocking(
            self._executor, partial(self._jobs.list, status, name_contains)
        )
        return found


# --- a LangChain model's calls as a job ------------------------------------------------------

_InputT = TypeVar("_InputT")
RequestBuilder = Callable[[_InputT, "list[str] | None", Mapping[str, Any]], PreparedRequest]
"""``(input, stop, call options) -> the request the model's ``invoke`` would send``."""


class ModelBatchJobs(Generic[_InputT, ResultT]):
    """What ``llm.batch_jobs`` and ``chat.batch_jobs`` share: a model's calls as one job.

    Args:
        model: The LangChain model whose settings, clients and checks the jobs use.
        request: Builds the request ``model.invoke(input, stop=..., **kwargs)`` would send.
        kind: The type of the results: how a record's output is read.
    """

    def __init__(
        self,
        model: BedrockClaudeFields,
        request: RequestBuilder[_InputT],
        kind: type[ResultT],
    ) -> None:
        self._model = model
        self._request = request
        self._kind = kind
        self._sync = BatchJobs(model._sync_client)
        self._async = AsyncBatchJobs(model._async_client)
        self._bound: Mapping[str, Any] = {}

    def with_arguments(self, arguments: Mapping[str, Any]) -> Self:
        """These jobs, each record sent with ``arguments`` too (under the call's own).

        What ``model.bind(**arguments).batch_jobs`` (``bind_tools`` included) is: the
        arguments a bound runnable passes to every ``invoke``.
        """
        bound = copy.copy(self)
        bound._bound = {**self._bound, **arguments}
        return bound

    def _submit(
        self,
        jobs: Jobs,
        inputs: Iterable[_InputT],
        config: BatchJobConfig,
        stop: list[str] | None,
        options: Mapping[str, Any],
    ) -> BatchJobInfo:
        """Build, check and upload every record, then create the job (blocking)."""
        # As a bound runnable's invoke merges them: the call's arguments win, stop included.
        options = {**self._bound, **options}
        bound_stop = options.pop("stop", None)
        stop = bound_stop if stop is None else stop
        requests = _each_request(inputs, lambda item: self._request(item, stop, options), "inputs")
        return jobs.submit(requests, options.get("model", self._model.model), config)

    def create(
        self,
        inputs: Iterable[_InputT],
        config: BatchJobConfig,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> BatchJob[ResultT]:
        """Submit ``inputs`` as one job, with the model's settings and per-call ``kwargs``.

        Each record is the body ``invoke(input, stop=stop, **kwargs)`` would send.

        Raises:
            InvalidParameterError: before anything is uploaded: an input ``invoke`` would
                refuse (the message names the record), or a job setting or quota Bedrock
                would refuse (see :meth:`BatchJobs.create`).
        """
        jobs = self._sync._jobs
        return BatchJob(jobs, self._submit(jobs, inputs, config, stop, kwargs), self._kind)

    async def acreate(
        self,
        inputs: Iterable[_InputT],
        config: BatchJobConfig,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncBatchJob[ResultT]:
        """The async twin of :meth:`create` (records are built on a worker thread)."""
        jobs = self._async._jobs
        executor = self._model._async_client.executor
        submit = partial(self._submit, jobs, inputs, config, stop, kwargs)
        info: BatchJobInfo = await run_blocking(executor, submit)
        return AsyncBatchJob(jobs, info, self._kind, executor)

    def get(self, job_arn: str) -> BatchJob[ResultT]:
        """Re-attach to a job by its ARN (or id), e.g. in a later process."""
        jobs = self._sync._jobs
        return BatchJob(jobs, jobs.describe(job_arn), self._kind)

    async def aget(self, job_arn: str) -> AsyncBatchJob[ResultT]:
        """Re-attach to a job by its ARN (or id), async."""
        jobs, executor = self._async._jobs, self._model._async_client.executor
        info: BatchJobInfo = await run_blocking(executor, partial(jobs.describe, job_arn))
        return AsyncBatchJob(jobs, info, self._kind, executor)


class LLMBatchJobs(ModelBatchJobs[str, BatchResult]):
    """``llm.batch_jobs``: run prompts through :class:`BedrockClaude` as a batch job.

    Each record is the body ``llm.invoke(prompt, stop=..., **kwargs)`` would send; the
    results are :class:`BatchResult`.
    """

    def __init__(self, llm: BedrockClaude) -> None:
        super().__init__(llm, llm._request, BatchResult)


@dataclass(frozen=True)
class ChatBatchResult(BatchResult):
    """One conversation's outcome in a chat model's batch job: its answer, or its error.

    ``message`` is the :class:`~langchain_core.messages.AIMessage` ``chat.invoke`` would
    return for the record's answer; ``completion`` and ``text`` are there too.
    """

    message: AIMessage | None = field(init=False, default=None)
    """The answer as ``chat.invoke`` returns it: text or content blocks, ``tool_calls``,
    ``usage_metadata``, and ``response_metadata`` (``stop_reason``, ``model``, ...); ``None``
    for a failed record."""

    _output_version: ClassVar[str | None] = None
    """The chat model's ``output_version`` when it asks for standard blocks (``"v1"``)."""

    def __post_init__(self) -> None:
        if self.completion is not None:
            from .chat_models import message_from  # the one reader of a chat answer

            message = message_from(self.completion)
            if self._output_version is not None:
                message = _in_output_version(message, self._output_version)
            object.__setattr__(self, "message", message)

    @classmethod
    def _parse(cls, output: Mapping[str, Any], model_id: str) -> ParsedResponse:
        from ._formats.chat import ChatWire  # the chat model's own wire: it keeps the blocks

        parsed: ParsedResponse = ChatWire.parse_response(output, {})
        return parsed


class _ChatBatchResultV1(ChatBatchResult):
    """The results of a chat model with ``output_version="v1"``: content as standard blocks."""

    _output_version = "v1"


def _in_output_version(message: AIMessage, version: str) -> AIMessage:
    """``message`` as langchain-core's ``generate`` hands it out for ``output_version``."""
    from langchain_core.language_models._utils import _update_message_content_to_blocks

    return _update_message_content_to_blocks(message, version)


_TRACING_ONLY = ("ls_structured_output_format", "structured_output_format")
"""Call options langchain-core's ``generate`` takes out before the model sees them."""


def _as_invoked(messages: list[BaseMessage]) -> list[BaseMessage]:
    """The messages as langchain-core's ``generate`` hands them to the model."""
    try:
        from langchain_core.language_models._utils import _normalize_messages
    except ImportError:  # pragma: no cover - langchain-core before 1.0 passes them as given
        return messages
    return _normalize_messages(messages)


def _chat_request(
    chat: ChatBedrockClaude,
    item: LanguageModelInput,
    stop: list[str] | None,
    options: Mapping[str, Any],
) -> PreparedRequest:
    """The request ``chat.invoke(item, stop=stop, **options)`` sends."""
    messages = _as_invoked(chat._convert_input(item).to_messages())
    options = {key: value for key, value in options.items() if key not in _TRACING_ONLY}
    request, _ = chat._request(messages, stop, options)
    return request


class ChatBatchJobs(ModelBatchJobs["LanguageModelInput", ChatBatchResult]):
    """``chat.batch_jobs``: run conversations through :class:`ChatBedrockClaude` as a job.

    Each input is what ``chat.invoke`` takes (a list of messages, a string, a prompt value),
    and each record is the body ``chat.invoke(input, stop=..., **kwargs)`` would send: tools
    go as ``tools=[...]`` and ``tool_choice=...``, or bound (``chat.bind_tools([...])`` and any
    ``bind(...)`` have their own ``batch_jobs``, which sends the bound arguments). The results
    are :class:`ChatBatchResult`, each with its answer as an ``AIMessage``.
    """

    def __init__(self, chat: ChatBedrockClaude) -> None:
        # langchain-core (1.x) turns content into standard blocks for output_version="v1".
        v1 = getattr(chat, "output_version", None) == "v1"
        kind = _ChatBatchResultV1 if v1 else ChatBatchResult
        super().__init__(chat, partial(_chat_request, chat), kind)
