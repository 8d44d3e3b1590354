"""The blocking core of batch jobs: stage records, upload, create, describe, join results.

Both twins of :mod:`.batch` drive these; the async one on its client's worker threads.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import IO, Any, Generic

from ._batch_format import (
    BatchJobInfo,
    BatchQuotas,
    FilePlan,
    ResultT,
    VpcConfig,
    check_batch_request,
    index_of,
    job_kwargs,
    missing_result,
    parse_output_line,
    parse_s3_uri,
    record_line,
)
from ._boto import ClientSettings, build_client
from ._errors import (
    APIStatusError,
    BatchJobError,
    BatchJobTimeoutError,
    InvalidParameterError,
    ModelNotFoundError,
)
from ._request import PreparedRequest
from ._translate import map_aws_errors

__all__ = ["BatchJobConfig", "Jobs", "check_wait", "next_poll"]

_PART_SIZE = 8 * 1024 * 1024
"""S3 multipart part size (boto3's default): upload memory is parts x concurrency."""
_UPLOAD_CONCURRENCY = 4
_READ_CHUNK = 1 << 16
# Bedrock's control plane may answer "too many requests": let botocore's standard retries
# take care of the few control-plane and S3 calls a job makes.
_JOB_RETRIES = {"max_attempts": 5, "mode": "standard"}
_INPUT_FILE = "records-{:05d}.jsonl"
_OUTPUT_SUFFIX = ".jsonl.out"
_MANIFEST = "manifest.json.out"
_NOT_FOUND = 404


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


def check_wait(poll_interval: float, timeout: float | None) -> float | None:
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
                    self.files.append(tempfile.TemporaryFile())  # noqa: SIM115 (closed in close())
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


class _Joiner(Generic[ResultT]):
    """Output records in, ``kind`` results in input order out; records out of order wait on disk."""

    def __init__(self, info: BatchJobInfo, kind: type[ResultT]) -> None:
        self.info = info
        self.kind = kind
        self.next = 0
        self._waiting: dict[int, int] = {}
        self._spool: IO[bytes] | None = None
        self._foreign = 0

    def feed(self, line: bytes) -> Iterator[ResultT]:
        record = parse_output_line(line)
        if record is None:
            return
        index = index_of(record.get("recordId"))
        if index is None:
            # Not one of ours (a job made by other tools): its input order is unknown here.
            yield self.kind.from_record(self._foreign, record, self.info.model_id)
            self._foreign += 1
            return
        if index == self.next:
            yield self.kind.from_record(index, record, self.info.model_id)
            self.next += 1
            yield from self._drain()
        elif index > self.next and index not in self._waiting:
            if self._spool is None:
                self._spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
            self._spool.seek(0, os.SEEK_END)
            self._waiting[index] = self._spool.tell()
            self._spool.write(line.rstrip(b"\r\n") + b"\n")
        # else: a repeat of a record already given (Bedrock writes each record once)

    def _drain(self) -> Iterator[ResultT]:
        while self.next in self._waiting and self._spool is not None:
            self._spool.seek(self._waiting.pop(self.next))
            record = parse_output_line(self._spool.readline())
            assert record is not None
            yield self.kind.from_record(self.next, record, self.info.model_id)
            self.next += 1

    def finish(self, total: int) -> Iterator[ResultT]:
        """The rest, in order; records with no output are :class:`RecordNotProcessedError`."""
        last = max([total, *(index + 1 for index in self._waiting)])
        while self.next < last:
            if self.next in self._waiting:
                yield from self._drain()
            else:
                yield missing_result(self.next, self.info, self.kind)
                self.next += 1

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


class Jobs:
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
        self._given = bool(self._clients)
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # As RuntimeHandle: a copy carries the settings and builds its own boto3 clients.
        if self._given:
            raise TypeError(
                "cannot pickle or copy batch jobs made with a ready boto3 client: pass "
                "endpoint_url / s3_endpoint_url instead"
            )
        return {"settings": self._settings, "endpoints": self._endpoints}

    def __setstate__(self, state: dict[str, Any]) -> None:
        endpoints = state["endpoints"]
        self.__init__(  # type: ignore[misc]
            state["settings"], endpoint_url=endpoints["bedrock"], s3_endpoint_url=endpoints["s3"]
        )

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
        try:
            with map_aws_errors(None):
                response = self.bedrock.get_model_invocation_job(jobIdentifier=job_arn)
        except ModelNotFoundError as error:
            # The one table reads ResourceNotFoundException as a model; here it is the job.
            raise BatchJobError(
                f"No batch job {job_arn} in this account and region ({error.message}). Check "
                "the ARN and the region.",
                job_arn=job_arn,
                status_code=error.status_code,
                request_id=error.request_id,
                error_code=error.error_code,
            ) from error
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

    def results(self, info: BatchJobInfo, kind: type[ResultT]) -> Generator[ResultT, None, None]:
        """Every record's result (a ``kind``) in input order, read from S3 as iterated."""
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
        joiner = _Joiner(info, kind)
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
        try:
            with map_aws_errors(info.model_id):
                body = self.s3.get_object(Bucket=bucket, Key=prefix + _MANIFEST)["Body"]
        except APIStatusError as error:
            if error.status_code != _NOT_FOUND:
                raise
            raise BatchJobError(
                f"Batch job {info.job_arn} is {info.status} with no record count and no "
                f"{_MANIFEST}: it ended before processing any record.",
                status=info.status,
                job_arn=info.job_arn,
                model_id=info.model_id,
            ) from error
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
