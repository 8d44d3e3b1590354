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
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from typing import IO, TYPE_CHECKING, Any

from ._batch_format import (
    BatchJobInfo,
    BatchQuotas,
    BatchResult,
    FilePlan,
    VpcConfig,
    check_batch_request,
    index_of,
    job_kwargs,
    missing_result,
    parse_output_line,
    parse_s3_uri,
    record_line,
    result_from,
)
from ._boto import ClientSettings, build_client
from ._client import _checked, _seed_kwargs
from ._errors import (
    BatchJobError,
    BatchJobTimeoutError,
    InvalidParameterError,
)
from ._translate import map_aws_errors
from ._params import DEFAULT_MAX_TOKENS
from ._request import PreparedRequest
from ._streaming import run_blocking

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from ._client import AnthropicBedrock, AsyncAnthropicBedrock
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
    "LLMBatchJobs",
    "VpcConfig",
]

DEFAULT_POLL_INTERVAL = 30.0
"""Seconds between status checks in ``wait()``: jobs take minutes to hours."""
_PART_SIZE = 8 * 1024 * 1024
"""S3 multipart part size (boto3's default): upload memory is parts x concurrency."""
_UPLOAD_CONCURRENCY = 4
_READ_CHUNK = 1 << 16
_ASYNC_RESULTS_BATCH = 256
"""Results fetched per worker-thread hop by the async results iterator."""
# Bedrock's control plane may answer "too many requests": let botocore's standard retries
# take care of the few control-plane and S3 calls a job makes.
_JOB_RETRIES = {"max_attempts": 5, "mode": "standard"}
_INPUT_FILE = "records-{:05d}.jsonl"
_OUTPUT_SUFFIX = ".jsonl.out"
_MANIFEST = "manifest.json.out"


@dataclass(frozen=True)
class BatchJobConfig:
    """Where a batch job's files go, who runs it, and its settings.

    The input files go to ``<s3_uri>/<job_name>/input/`` and Bedrock writes the output under
    ``<output_s3_uri>/<job id>/`` (default ``<s3_uri>/<job_name>/output/``).
    """

    s3_uri: str
    """An S3 prefix for the job's files, e.g. ``s3://my-bucket/batch/``."""
    role_arn: str
    """The IAM service role Bedrock assumes to read the input and write the output."""
    job_name: str | None = None
    """The job's name (default: ``bedrock-claude-<time>-<random>``)."""
    output_s3_uri: str | None = None
    """Where Bedrock writes the output (default: beside the input)."""
    timeout_hours: int | None = None
    """Hours before Bedrock gives up on the job, 24 to 168 (Bedrock's default: 24)."""
    kms_key_id: str | None = None
    """A KMS key (id, ARN or alias) to encrypt the output with."""
    vpc_config: VpcConfig | None = None
    """Subnets and security groups for the job's S3 access."""
    tags: Mapping[str, str] | None = None
    """Tags on the job (cost allocation, ownership)."""
    client_request_token: str | None = None
    """An idempotency token: the same token twice creates the job once."""
    quotas: BatchQuotas = field(default_factory=BatchQuotas)
    """Bedrock's quotas to check against (raise them to match your account's)."""

    def __post_init__(self) -> None:
        # Every setting is checked now, at construction: before any record is built.
        parse_s3_uri(self.s3_uri, "s3_uri")
        if self.output_s3_uri is not None:
            parse_s3_uri(self.output_s3_uri, "output_s3_uri")
        if not isinstance(self.quotas, BatchQuotas):
            raise InvalidParameterError(f"'quotas' must be a BatchQuotas (got {self.quotas!r}).")
        self.kwargs("anthropic.claude-haiku-4-5-20251001-v1:0", "s3://bucket/in/")

    def named(self) -> BatchJobConfig:
        """This config with a job name (a fresh one if none was given)."""
        if self.job_name is not None:
            return self
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        return replace(self, job_name=f"bedrock-claude-{stamp}-{uuid.uuid4().hex[:6]}")

    def input_uri(self) -> str:
        """The S3 prefix the input files go to."""
        return f"{self.s3_uri.rstrip('/')}/{self.job_name}/input/"

    def output_uri(self) -> str:
        """The S3 prefix Bedrock writes under."""
        if self.output_s3_uri is not None:
            return self.output_s3_uri
        return f"{self.s3_uri.rstrip('/')}/{self.job_name}/output/"

    def kwargs(self, model_id: str, input_uri: str | None = None) -> dict[str, Any]:
        """``create_model_invocation_job``'s arguments (every setting checked)."""
        return job_kwargs(
            job_name=self.job_name or "check",
            role_arn=self.role_arn,
            model_id=model_id,
            input_uri=input_uri or self.input_uri(),
            output_uri=self.output_uri(),
            timeout_hours=self.timeout_hours,
            kms_key_id=self.kms_key_id,
            vpc_config=self.vpc_config,
            tags=self.tags,
            client_request_token=self.client_request_token,
        )


# --- the blocking core both twins drive --------------------------------------------------------


def next_poll(info: BatchJobInfo, deadline: float | None, poll_interval: float) -> float | None:
    """Seconds to wait before the next status check; ``None`` once the job has ended.

    Raises:
        BatchJobTimeoutError: the deadline has passed and the job is still running.
    """
    if info.done:
        return None
    if deadline is None:
        return poll_interval
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise BatchJobTimeoutError(
            f"Batch job {info.job_arn} is still {info.status} ({info.progress()}) at the "
            "deadline; it goes on running: wait() again, or stop() it.",
            status=info.status,
            job_arn=info.job_arn,
            model_id=info.model_id,
        )
    return min(poll_interval, remaining)


def _check_wait(poll_interval: float, timeout: float | None) -> float | None:
    if isinstance(poll_interval, bool) or not isinstance(poll_interval, int | float):
        raise InvalidParameterError(f"'poll_interval' must be seconds (got {poll_interval!r}).")
    if poll_interval <= 0:
        raise InvalidParameterError(f"'poll_interval' must be positive (got {poll_interval!r}).")
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
        raise InvalidParameterError(f"'timeout' must be seconds, or None (got {timeout!r}).")
    return time.monotonic() + timeout


class _Staged:
    """The records of one job, written to temporary files within Bedrock's quotas."""

    def __init__(self, model_id: str, quotas: BatchQuotas) -> None:
        self.model_id = model_id
        self.plan = FilePlan(quotas)
        self.files: list[IO[bytes]] = []

    def write(self, requests: Iterable[PreparedRequest]) -> _Staged:
        try:
            for index, request in enumerate(requests):
                check_batch_request(request, self.model_id)
                line = record_line(index, request.body)
                if self.plan.add(len(line)):
                    self.files.append(tempfile.TemporaryFile())
                self.files[-1].write(line)
            self.plan.finish()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        for file in self.files:
            file.close()
        self.files.clear()


class _Joiner:
    """Output records in, results in input order out; records out of order wait on disk."""

    def __init__(self, info: BatchJobInfo) -> None:
        self.info = info
        self.next = 0
        self._waiting: dict[int, int] = {}
        self._spool: IO[bytes] | None = None
        self._foreign = 0

    def feed(self, line: bytes) -> Iterator[BatchResult]:
        record = parse_output_line(line)
        if record is None:
            return
        index = index_of(record.get("recordId"))
        if index is None:
            # Not one of ours (a job made by other tools): its input order is unknown here.
            yield result_from(self._foreign, record, self.info.model_id)
            self._foreign += 1
            return
        if index == self.next:
            yield result_from(index, record, self.info.model_id)
            self.next += 1
            yield from self._drain()
        elif index > self.next and index not in self._waiting:
            if self._spool is None:
                self._spool = tempfile.TemporaryFile()
            self._spool.seek(0, os.SEEK_END)
            self._waiting[index] = self._spool.tell()
            self._spool.write(line.rstrip(b"\r\n") + b"\n")
        # else: a repeat of a record already given (Bedrock writes each record once)

    def _drain(self) -> Iterator[BatchResult]:
        while self.next in self._waiting and self._spool is not None:
            self._spool.seek(self._waiting.pop(self.next))
            record = parse_output_line(self._spool.readline())
            assert record is not None
            yield result_from(self.next, record, self.info.model_id)
            self.next += 1

    def finish(self, total: int) -> Iterator[BatchResult]:
        """The rest, in order; records with no output are :class:`RecordNotProcessedError`."""
        last = max([total, *(index + 1 for index in self._waiting)])
        while self.next < last:
            if self.next in self._waiting:
                yield from self._drain()
            else:
                yield missing_result(self.next, self.info)
                self.next += 1

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


class _Jobs:
    """Blocking job operations on boto3's ``bedrock`` and ``s3`` clients (built on first use)."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        endpoint_url: str | None = None,
        s3_endpoint_url: str | None = None,
        bedrock_client: Any | None = None,
        s3_client: Any | None = None,
    ) -> None:
        self._settings = settings
        self._endpoints = {"bedrock": endpoint_url, "s3": s3_endpoint_url}
        self._clients: dict[str, Any] = {}
        if bedrock_client is not None:
            self._clients["bedrock"] = bedrock_client
        if s3_client is not None:
            self._clients["s3"] = s3_client
        self._lock = threading.Lock()

    def _client(self, service: str) -> Any:
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                with map_aws_errors(None):
                    client = build_client(
                        self._settings,
                        service,
                        endpoint_url=self._endpoints[service],
                        retries=_JOB_RETRIES,
                    )
                self._clients[service] = client
            return client

    @property
    def bedrock(self) -> Any:
        """The boto3 ``bedrock`` (control plane) client."""
        return self._client("bedrock")

    @property
    def s3(self) -> Any:
        """The boto3 ``s3`` client."""
        return self._client("s3")

    def submit(
        self, requests: Iterable[PreparedRequest], model_id: str, config: BatchJobConfig
    ) -> BatchJobInfo:
        config = config.named()
        create = config.kwargs(model_id)
        bucket, prefix = parse_s3_uri(config.input_uri(), "s3_uri")
        staged = _Staged(model_id, config.quotas).write(requests)  # every check, no S3 yet
        try:
            with map_aws_errors(model_id):
                listed = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
            if listed.get("KeyCount", 0):
                raise InvalidParameterError(
                    f"{config.input_uri()} already holds files, which Bedrock would read as part "
                    "of this job; choose another job_name or s3_uri."
                )
            keys = self._upload(staged, bucket, prefix)
        finally:
            staged.close()
        try:
            with map_aws_errors(model_id):
                arn = self.bedrock.create_model_invocation_job(**create)["jobArn"]
        except BaseException:
            self._delete(bucket, keys)  # no job reads them
            raise
        return self.describe(arn)

    def _upload(self, staged: _Staged, bucket: str, prefix: str) -> list[str]:
        from boto3.s3.transfer import TransferConfig

        transfer = TransferConfig(
            multipart_threshold=_PART_SIZE,
            multipart_chunksize=_PART_SIZE,
            max_concurrency=_UPLOAD_CONCURRENCY,
        )
        keys: list[str] = []
        try:
            for number, file in enumerate(staged.files):
                file.seek(0)
                key = prefix + _INPUT_FILE.format(number)
                keys.append(key)
                with map_aws_errors(staged.model_id):
                    self.s3.upload_fileobj(file, bucket, key, Config=transfer)
        except BaseException:
            self._delete(bucket, keys)
            raise
        return keys

    def _delete(self, bucket: str, keys: list[str]) -> None:
        with contextlib.suppress(Exception):  # best effort: the error being raised matters more
            for key in keys:
                self.s3.delete_object(Bucket=bucket, Key=key)

    def describe(self, job_arn: str) -> BatchJobInfo:
        if not isinstance(job_arn, str) or not job_arn:
            raise InvalidParameterError(f"'job_arn' must be a job's ARN or id (got {job_arn!r}).")
        with map_aws_errors(None):
            response = self.bedrock.get_model_invocation_job(jobIdentifier=job_arn)
        return BatchJobInfo.from_response(response)

    def stop(self, job_arn: str) -> None:
        with map_aws_errors(None):
            self.bedrock.stop_model_invocation_job(jobIdentifier=job_arn)

    def list(self, status: str | None, name_contains: str | None) -> list[BatchJobInfo]:
        query: dict[str, Any] = {"sortBy": "CreationTime", "sortOrder": "Descending"}
        if status is not None:
            query["statusEquals"] = status
        if name_contains is not None:
            query["nameContains"] = name_contains
        jobs: list[BatchJobInfo] = []
        with map_aws_errors(None):
            pages = self.bedrock.get_paginator("list_model_invocation_jobs").paginate(**query)
            for page in pages:
                jobs += [BatchJobInfo.from_response(job) for job in page["invocationJobSummaries"]]
        return jobs

    def results(self, info: BatchJobInfo) -> Generator[BatchResult, None, None]:
        if not info.has_results:
            raise BatchJobError(
                f"Batch job {info.job_arn} is {info.status}"
                + (f": {info.message}" if info.message else "")
                + (
                    "; wait() for it to end first."
                    if not info.done
                    else "; it has no results to read."
                ),
                status=info.status,
                job_arn=info.job_arn,
                model_id=info.model_id,
            )
        bucket, prefix = parse_s3_uri(info.output_s3_uri, "output_s3_uri")
        prefix += f"{info.job_id}/"
        with map_aws_errors(info.model_id):
            keys = sorted(
                item["Key"]
                for page in self.s3.get_paginator("list_objects_v2").paginate(
                    Bucket=bucket, Prefix=prefix
                )
                for item in page.get("Contents", ())
                if item["Key"].endswith(_OUTPUT_SUFFIX)
            )
        total = info.total_record_count
        if total is None:
            total = self._manifest_total(bucket, prefix, info)
        joiner = _Joiner(info)
        try:
            for key in keys:
                with map_aws_errors(info.model_id):
                    body = self.s3.get_object(Bucket=bucket, Key=key)["Body"]
                try:
                    for line in _lines(body):
                        yield from joiner.feed(line)
                finally:
                    body.close()
            yield from joiner.finish(total)
        finally:
            joiner.close()

    def _manifest_total(self, bucket: str, prefix: str, info: BatchJobInfo) -> int:
        import json

        with map_aws_errors(info.model_id):
            body = self.s3.get_object(Bucket=bucket, Key=prefix + _MANIFEST)["Body"]
            try:
                return int(json.loads(body.read())["totalRecordCount"])
            finally:
                body.close()


def _lines(body: Any) -> Iterator[bytes]:
    """The lines of a streaming S3 body, read a chunk at a time."""
    pending = b""
    for chunk in body.iter_chunks(_READ_CHUNK):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from complete
    if pending:
        yield pending


# --- what users hold ------------------------------------------------------------------------


class BatchJob:
    """A batch inference job: its status, ``wait()``, ``stop()`` and its ``results()``."""

    def __init__(self, jobs: _Jobs, info: BatchJobInfo) -> None:
        self._jobs = jobs
        self.info = info
        """What Bedrock said about the job at the last look (:meth:`refresh` looks again)."""

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
        deadline = _check_wait(poll_interval, timeout)
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

    def results(self) -> Generator[BatchResult, None, None]:
        """Every record's result in input order, read from S3 as it is iterated.

        Raises:
            BatchJobError: the job has not ended, or ended without results (Failed, Expired).
        """
        info = self.info if self.info.done else self.refresh()
        return self._jobs.results(info)

    def __repr__(self) -> str:
        return f"BatchJob({self.job_arn!r}, {self.info.progress()!r})"


class AsyncBatchJob:
    """The async twin of :class:`BatchJob`: blocking work runs on the client's worker threads."""

    def __init__(self, jobs: _Jobs, info: BatchJobInfo, executor: Executor) -> None:
        self._jobs = jobs
        self._executor = executor
        self.info = info
        """What Bedrock said about the job at the last look."""

    @property
    def job_arn(self) -> str:
        """The job's ARN."""
        return self.info.job_arn

    @property
    def job_id(self) -> str:
        """The job's id."""
        return self.info.job_id

    @property
    def status(self) -> str:
        """The job's status at the last look."""
        return self.info.status

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
        deadline = _check_wait(poll_interval, timeout)
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

    async def results(self) -> AsyncIterator[BatchResult]:
        """Every record's result in input order (``async for``), read from S3 as iterated."""
        info = self.info if self.info.done else await self.refresh()
        results = self._jobs.results(info)
        try:
            while True:
                some: list[BatchResult] = await run_blocking(
                    self._executor, partial(_take, results, _ASYNC_RESULTS_BATCH)
                )
                for result in some:
                    yield result
                if len(some) < _ASYNC_RESULTS_BATCH:
                    return
        finally:
            await run_blocking(self._executor, results.close)

    def __repr__(self) -> str:
        return f"AsyncBatchJob({self.job_arn!r}, {self.info.progress()!r})"


def _take(results: Iterator[BatchResult], count: int) -> list[BatchResult]:
    return list(islice(results, count))


# --- building the records ------------------------------------------------------------------

_SEED = ("model", "prompt", "max_tokens_to_sample", "stop_sequences", "temperature", "top_p")


def _client_request(item: str | Mapping[str, Any], shared: Mapping[str, Any]) -> PreparedRequest:
    """One prompt (or a mapping of ``prompt`` and per-record arguments) -> its request."""
    values = {**shared, **({"prompt": item} if isinstance(item, str) else dict(item))}
    if "stream" in values:
        raise InvalidParameterError("'stream' has no meaning in a batch job; leave it out.")
    model, prompt, max_tokens, stops, temperature, top_p = (
        values.pop(name, None) for name in _SEED
    )
    seed = _seed_kwargs(
        model, prompt, max_tokens, stops, temperature, top_p, values.pop("top_k", None)
    )
    return _checked(seed, values, False)


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


def _requests(
    prompts: Iterable[str | Mapping[str, Any]], shared: Mapping[str, Any]
) -> Iterator[PreparedRequest]:
    if isinstance(prompts, str | bytes):
        raise InvalidParameterError(
            "'prompts' must be a list (or any iterable) of prompts, not one string."
        )
    for item in prompts:
        yield _client_request(item, shared)


class BatchJobs:
    """``client.batch_jobs``: submit prompts as a Bedrock batch inference job, or re-attach.

    Args:
        client: The client whose credentials, region and checks the jobs use.
        endpoint_url: The ``bedrock`` control plane's endpoint (default: boto3's, which reads
            ``AWS_ENDPOINT_URL_BEDROCK``).
        s3_endpoint_url: S3's endpoint (default: boto3's, which reads ``AWS_ENDPOINT_URL_S3``).
        bedrock_client: A ready boto3 ``bedrock`` client instead.
        s3_client: A ready boto3 ``s3`` client instead.
    """

    def __init__(
        self,
        client: AnthropicBedrock | AsyncAnthropicBedrock,
        *,
        endpoint_url: str | None = None,
        s3_endpoint_url: str | None = None,
        bedrock_client: Any | None = None,
        s3_client: Any | None = None,
    ) -> None:
        self._jobs = _Jobs(
            client._runtime.settings,
            endpoint_url=endpoint_url,
            s3_endpoint_url=s3_endpoint_url,
            bedrock_client=bedrock_client,
            s3_client=s3_client,
        )

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
        **options: Any,
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
        return BatchJob(self._jobs, self._jobs.submit(_requests(prompts, shared), model, config))

    def get(self, job_arn: str) -> BatchJob:
        """Re-attach to a job by its ARN (or id), e.g. in a later process."""
        return BatchJob(self._jobs, self._jobs.describe(job_arn))

    def list(
        self, *, status: str | None = None, name_contains: str | None = None
    ) -> list[BatchJobInfo]:
        """The account's batch jobs in this region, newest first."""
        return self._jobs.list(status, name_contains)


class AsyncBatchJobs:
    """``async_client.batch_jobs``: the async twin of :class:`BatchJobs`."""

    def __init__(
        self,
        client: AsyncAnthropicBedrock,
        *,
        endpoint_url: str | None = None,
        s3_endpoint_url: str | None = None,
        bedrock_client: Any | None = None,
        s3_client: Any | None = None,
    ) -> None:
        self._client = client
        self._jobs = _Jobs(
            client._runtime.settings,
            endpoint_url=endpoint_url,
            s3_endpoint_url=s3_endpoint_url,
            bedrock_client=bedrock_client,
            s3_client=s3_client,
        )

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
        **options: Any,
    ) -> AsyncBatchJob:
        """The async twin of :meth:`BatchJobs.create` (records are built on a worker thread)."""
        shared = _shared(
            model, max_tokens_to_sample, stop_sequences, temperature, top_p, top_k, options
        )
        submit = partial(self._jobs.submit, _requests(prompts, shared), model, config)
        info: BatchJobInfo = await run_blocking(self._client.executor, submit)
        return AsyncBatchJob(self._jobs, info, self._client.executor)

    async def get(self, job_arn: str) -> AsyncBatchJob:
        """Re-attach to a job by its ARN (or id)."""
        info = await run_blocking(self._client.executor, partial(self._jobs.describe, job_arn))
        return AsyncBatchJob(self._jobs, info, self._client.executor)

    async def list(
        self, *, status: str | None = None, name_contains: str | None = None
    ) -> list[BatchJobInfo]:
        """The account's batch jobs in this region, newest first."""
        found: list[BatchJobInfo] = await run_blocking(
            self._client.executor, partial(self._jobs.list, status, name_contains)
        )
        return found


class LLMBatchJobs:
    """``llm.batch_jobs``: run prompts through :class:`BedrockClaude` as a batch job.

    Each record is the body ``llm.invoke(prompt, stop=..., **kwargs)`` would send.
    """

    def __init__(self, llm: BedrockClaude) -> None:
        self._llm = llm
        self._sync = BatchJobs(llm._sync_client)
        self._async = AsyncBatchJobs(llm._async_client)

    def _requests(
        self, prompts: Iterable[str], stop: list[str] | None, options: Mapping[str, Any]
    ) -> Iterator[PreparedRequest]:
        if isinstance(prompts, str | bytes):
            raise InvalidParameterError("'prompts' must be a list of prompts, not one string.")
        for prompt in prompts:
            yield self._llm._request(prompt, stop, options)

    def create(
        self,
        prompts: Iterable[str],
        config: BatchJobConfig,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> BatchJob:
        """Submit ``prompts`` as one job, with the LLM's settings and per-call ``kwargs``.

        Raises:
            InvalidParameterError: before anything is uploaded (see :meth:`BatchJobs.create`).
        """
        jobs = self._sync._jobs
        info = jobs.submit(self._requests(prompts, stop, kwargs), self._llm.model, config)
        return BatchJob(jobs, info)

    async def acreate(
        self,
        prompts: Iterable[str],
        config: BatchJobConfig,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncBatchJob:
        """The async twin of :meth:`create`."""
        jobs = self._async._jobs
        submit = partial(
            jobs.submit, self._requests(prompts, stop, kwargs), self._llm.model, config
        )
        executor = self._llm._async_client.executor
        info: BatchJobInfo = await run_blocking(executor, submit)
        return AsyncBatchJob(jobs, info, executor)

    def get(self, job_arn: str) -> BatchJob:
        """Re-attach to a job by its ARN."""
        return self._sync.get(job_arn)

    async def aget(self, job_arn: str) -> AsyncBatchJob:
        """Re-attach to a job by its ARN (async)."""
        return await self._async.get(job_arn)
