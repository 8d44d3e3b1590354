"""Bedrock's batch inference control plane: model invocation jobs, run against a real S3 API.

Serves ``CreateModelInvocationJob``, ``GetModelInvocationJob``, ``ListModelInvocationJobs`` and
``StopModelInvocationJob`` at the REST-JSON paths of botocore's ``bedrock`` service model::

    POST /model-invocation-job                      create
    GET  /model-invocation-job/{jobIdentifier}      get (id or percent-encoded ARN)
    GET  /model-invocation-jobs                     list
    POST /model-invocation-job/{jobIdentifier}/stop stop

A job moves through ``Submitted``, ``Validating``, ``Scheduled``, ``InProgress`` and ends
``Completed`` / ``PartiallyCompleted`` / ``Failed`` / ``Stopped`` (``Stopping`` on the way), by
itself within a fraction of a second, or one step at a time under a test's control
(``emu.jobs.auto = False``, then :meth:`JobService.advance`). Validation reads the input from S3
as Bedrock's does ("Validating": ``.jsonl`` files, one JSON object per record, the record and
size quotas); each record then runs through the emulator's own InvokeModel logic (scripted
replies and faults included), and the output goes back to S3 as Bedrock writes it:
``<output>/<job id>/<input file>.out`` with ``modelOutput`` or ``error`` per record, and
``manifest.json.out`` (AWS, "View the results of a batch inference job",
docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-results.html).
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import IO, Any, Literal
from urllib.parse import unquote

from ._catalog import resolve_model
from ._errors import BedrockError, make_error, validation_error
from ._request import EmulatedRequest
from ._s3 import S3Client, S3Error

__all__ = ["CONTROL_PLANE_PREFIX", "JobService", "JobStatus", "RecordRunner"]

CONTROL_PLANE_PREFIX = "/model-invocation-job"
"""Every batch-job path starts with this (``/model-invocation-job`` and ``-jobs``)."""

RecordRunner = Callable[[str, bytes], bytes]
"""Runs one record: ``(model id, modelInput JSON) -> InvokeModel response body``; raises
:class:`BedrockError` for a failed invocation."""

JobStatus = Literal[
    "Submitted",
    "Validating",
    "Scheduled",
    "InProgress",
    "Stopping",
    "Completed",
    "PartiallyCompleted",
    "Failed",
    "Stopped",
    "Expired",
]
_ENDS = frozenset({"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"})
_NEXT: dict[str, str] = {
    "Submitted": "Validating",
    "Validating": "Scheduled",
    "Scheduled": "InProgress",
}

# The emulator's own copy of Bedrock's default batch quotas (AWS General Reference, "Amazon
# Bedrock endpoints and quotas"; their names in "Format and upload your batch inference data").
MIN_RECORDS = 100
MAX_RECORDS_PER_FILE = 50_000
MAX_RECORDS_PER_JOB = 50_000
MAX_FILE_BYTES = 1_000_000_000
MAX_JOB_BYTES = 5_000_000_000

# Constraints from botocore's ``bedrock`` service model (CreateModelInvocationJobRequest).
_PATTERNS = {
    "jobName": (r"[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}", 1, 63),
    "roleArn": (r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+", 0, 2048),
    "clientRequestToken": (r"[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}", 1, 256),
    "s3Uri": (
        r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?",
        1,
        1024,
    ),
}
_TIMEOUT_HOURS = (24, 168)
_MAX_TAGS = 200
_DEFAULT_TIMEOUT_HOURS = 24
_JOB_ID = re.compile(
    r"(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?(?P<id>[a-z0-9]{12})"
)
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_LIST_MAX = 1000
_CHUNK_RECORDS = 200
"""Records processed between looks at a stop request (and count updates) in auto mode."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(moment: datetime | None) -> str | None:
    # Bedrock's REST-JSON timestamps are ISO 8601 strings (botocore parses them to datetime).
    return (
        None if moment is None else moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def _constraint(member: str, value: object, rule: str) -> BedrockError:
    # AWS's constraint-violation text (as in "1 validation error detected: Value at 'body'
    # failed to satisfy constraint: Member must have length less than or equal to 25000000",
    # langchain-ai/langchain-aws#419).
    return validation_error(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: Member must {rule}"
    )


def _check_pattern(member: str, path: str, value: object) -> str:
    pattern, low, high = _PATTERNS[member]
    if not isinstance(value, str):
        raise _constraint(path, value, "be a string")
    if not low <= len(value) <= high:
        raise _constraint(path, value, f"have length between {low} and {high}")
    if not re.fullmatch(pattern, value):
        raise _constraint(path, value, f"satisfy regular expression pattern: {pattern}")
    return value


def _split_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


@dataclass
class Job:
    """One emulated batch inference job (what ``GetModelInvocationJob`` reports)."""

    job_arn: str
    """The job's ARN."""
    job_name: str
    """Its name."""
    model_id: str
    """The model its records run on."""
    role_arn: str
    """The service role."""
    input_uri: str
    """Where its input is."""
    output_uri: str
    """Where its output goes."""
    request: dict[str, Any]
    """The Create request's body."""
    s3_endpoint: str | None = None
    """The S3 API the job reads and writes."""
    status: str = "Submitted"
    """Its status."""
    message: str | None = None
    """Why it failed, if it did."""
    submit_time: datetime = field(default_factory=_now)
    last_modified_time: datetime = field(default_factory=_now)
    end_time: datetime | None = None
    total: int | None = None
    """Records found by validation."""
    processed: int = 0
    """Records run so far."""
    errors: int = 0
    """Records that failed."""
    input_tokens: int = 0
    output_tokens: int = 0
    stop_requested: bool = False
    files: list[tuple[str, int]] = field(default_factory=list)
    """The validated input files: ``(key, records)``."""
    _cursor: Iterator[tuple[str, dict[str, Any]]] | None = None
    _outputs: dict[str, list[bytes]] = field(default_factory=dict)
    _spool: IO[bytes] | None = None

    @property
    def job_id(self) -> str:
        """The 12-character id at the end of the ARN."""
        return self.job_arn.rsplit("/", 1)[-1]

    def describe(self) -> dict[str, Any]:
        """The ``GetModelInvocationJob`` (and summary) members."""
        request = self.request
        info: dict[str, Any] = {
            "jobArn": self.job_arn,
            "jobName": self.job_name,
            "modelId": self.model_id,
            "clientRequestToken": request.get("clientRequestToken"),
            "roleArn": self.role_arn,
            "status": self.status,
            "message": self.message,
            "submitTime": _iso(self.submit_time),
            "lastModifiedTime": _iso(self.last_modified_time),
            "endTime": _iso(self.end_time),
            "inputDataConfig": request["inputDataConfig"],
            "outputDataConfig": request["outputDataConfig"],
            "vpcConfig": request.get("vpcConfig"),
            "timeoutDurationInHours": request.get("timeoutDurationInHours", _DEFAULT_TIMEOUT_HOURS),
            "modelInvocationType": request.get("modelInvocationType", "InvokeModel"),
        }
        if self.total is not None:
            info.update(
                totalRecordCount=self.total,
                processedRecordCount=self.processed,
                successRecordCount=self.processed - self.errors,
                errorRecordCount=self.errors,
            )
        return {key: value for key, value in info.items() if value is not None}


class JobService:
    """The emulator's batch jobs: ``emu.jobs``.

    Args:
        run_record: Runs one record through the emulator's InvokeModel logic.
        region: The region in job ARNs.
        account: The account id in job ARNs.
    """

    def __init__(
        self, run_record: RecordRunner, *, region: str = "us-east-1", account: str = "123456789012"
    ) -> None:
        self._run_record = run_record
        self._region = region
        self._account = account
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}
        self._tokens: dict[str, str] = {}
        self._threads: list[threading.Thread] = []
        self._closed = threading.Event()
        self._record_errors: dict[str, BedrockError] = {}
        self.s3_endpoint_url: str | None = None
        """The S3 API jobs read and write (default: ``AWS_ENDPOINT_URL_S3`` at job creation)."""
        self.auto = True
        """Move new jobs along by themselves; ``False``: only :meth:`advance` moves them."""
        self.step_delay = 0.02
        """Seconds each automatic step takes."""
        self.instant = False
        """Run each new job to its end before Create answers (for examples that poll slowly)."""
        self.output_order: Literal["input", "shuffled"] = "input"
        """Order of records in output files: Bedrock does not promise the input order
        ("Format and upload your batch inference data"), so ``"shuffled"`` tests the join."""
        self.max_records_per_job = MAX_RECORDS_PER_JOB
        """The account's "Records per batch inference job" quota (adjustable on AWS too)."""
        self.max_records_per_file = MAX_RECORDS_PER_FILE
        """The "Records per input file per batch inference job" quota."""
        self.min_records = MIN_RECORDS
        """The "Minimum number of records per batch inference job" quota."""

    # -- test controls ------------------------------------------------------------------

    def fail_record(
        self,
        record_id: str,
        error: str = "ValidationException",
        *,
        status: int | None = None,
        message: str | None = None,
    ) -> None:
        """Make the record with this id fail in every job, with this error."""
        self._record_errors[record_id] = make_error(error, status=status, message=message)

    def job(self, identifier: str) -> Job:
        """A job by id or ARN (for assertions)."""
        return self._find(identifier)

    @property
    def jobs(self) -> list[Job]:
        """Every job, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def advance(self, identifier: str, *, records: int | None = None) -> str:
        """Move a job one step on (or, when ``InProgress``, run ``records`` more records).

        Returns:
            The job's status afterwards.
        """
        job = self._find(identifier)
        if records is not None and job.status == "InProgress":
            self._process(job, records)
        else:
            self._step(job)
        return job.status

    def finish(self, identifier: str, status: str = "PartiallyCompleted") -> None:
        """End an ``InProgress`` job now with ``status`` (e.g. it ran out of time)."""
        job = self._find(identifier)
        self._end(job, status)

    def reset(self) -> None:
        """Forget every job and per-record error; restore the defaults."""
        with self._lock:
            self._jobs.clear()
            self._tokens.clear()
            self._record_errors.clear()
        self.auto, self.instant, self.output_order = True, False, "input"
        self.s3_endpoint_url = None
        self.max_records_per_job = MAX_RECORDS_PER_JOB
        self.max_records_per_file = MAX_RECORDS_PER_FILE
        self.min_records = MIN_RECORDS

    def close(self) -> None:
        """Stop the jobs' background threads."""
        self._closed.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        self._closed.clear()

    # -- HTTP ---------------------------------------------------------------------------

    def handle(self, request: EmulatedRequest) -> tuple[int, bytes]:
        """Answer one control-plane request: ``(status, JSON body)``.

        Raises:
            BedrockError: what Bedrock would answer instead.
        """
        parts = [unquote(part) for part in request.path.split("/")[1:]]
        method = request.method
        if parts == ["model-invocation-job"] and method == "POST":
            return 200, _json(self._create(request.json))
        if parts == ["model-invocation-jobs"] and method == "GET":
            return 200, _json(self._list(request.query))
        if len(parts) == 2 and parts[0] == "model-invocation-job" and method == "GET":
            return 200, _json(self._find(parts[1]).describe())
        stop = len(parts) == 3 and parts[0] == "model-invocation-job" and parts[2] == "stop"
        if stop and method == "POST":
            self._stop(self._find(parts[1]))
            return 200, b"{}"
        raise BedrockError(404, "UnknownOperationException", "Unknown operation")

    def _find(self, identifier: str) -> Job:
        match = _JOB_ID.fullmatch(identifier)
        if not match:
            raise _constraint(
                "jobIdentifier",
                identifier,
                f"satisfy regular expression pattern: {_JOB_ID.pattern}",
            )
        with self._lock:
            job = self._jobs.get(match.group("id"))
        if job is None:
            raise make_error(
                "ResourceNotFoundException",
                message=f"The specified job {identifier} could not be found.",  # stand-in
            )
        return job

    def _create(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise validation_error("The request body must be a JSON object.")
        for member in ("jobName", "roleArn", "modelId", "inputDataConfig", "outputDataConfig"):
            if member not in body:
                raise _constraint(member, None, "not be null")
        name = _check_pattern("jobName", "jobName", body["jobName"])
        role = _check_pattern("roleArn", "roleArn", body["roleArn"])
        token = body.get("clientRequestToken")
        if token is not None:
            _check_pattern("clientRequestToken", "clientRequestToken", token)
            with self._lock:
                earlier = self._tokens.get(token)
            if earlier is not None:  # idempotent: the same token, the same job
                return {"jobArn": earlier}
        try:
            input_uri = body["inputDataConfig"]["s3InputDataConfig"]["s3Uri"]
            output_uri = body["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"]
        except (KeyError, TypeError):
            raise validation_error(
                "inputDataConfig.s3InputDataConfig.s3Uri and outputDataConfig.s3OutputDataConfig"
                ".s3Uri are required."
            ) from None
        _check_pattern("s3Uri", "inputDataConfig.s3InputDataConfig.s3Uri", input_uri)
        _check_pattern("s3Uri", "outputDataConfig.s3OutputDataConfig.s3Uri", output_uri)
        hours = body.get("timeoutDurationInHours")
        low, high = _TIMEOUT_HOURS
        if hours is not None and (not isinstance(hours, int) or not low <= hours <= high):
            raise _constraint(
                "timeoutDurationInHours", hours, f"be between {low} and {high} (inclusive)"
            )
        if len(body.get("tags") or ()) > _MAX_TAGS:
            raise _constraint("tags", "...", f"have length less than or equal to {_MAX_TAGS}")
        kind = body.get("modelInvocationType", "InvokeModel")
        if kind != "InvokeModel":
            raise validation_error(
                f"The emulator runs InvokeModel records only (got modelInvocationType {kind!r})."
            )
        model_id = self._check_model(body["modelId"])
        job_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        arn = f"arn:aws:bedrock:{self._region}:{self._account}:model-invocation-job/{job_id}"
        endpoint = self.s3_endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3")
        job = Job(arn, name, model_id, role, input_uri, output_uri, body, endpoint)
        with self._lock:
            self._jobs[job_id] = job
            if token is not None:
                self._tokens[token] = arn
        if self.instant:
            while job.status not in _ENDS:
                self._step(job)
        elif self.auto:
            thread = threading.Thread(target=self._run, args=(job,), daemon=True)
            thread.name = f"emulated-batch-job-{job_id}"
            self._threads.append(thread)
            thread.start()
        return {"jobArn": arn}

    @staticmethod
    def _check_model(model_id: object) -> str:
        if not isinstance(model_id, str) or not model_id:
            raise _constraint("modelId", model_id, "have length greater than or equal to 1")
        if ":provisioned-model/" in model_id:
            # "Batch inference isn't supported for provisioned models." (AWS, "Process
            # multiple prompts with batch inference"); the answer's text is a stand-in.
            raise validation_error("Batch inference isn't supported for provisioned models.")
        resolved = resolve_model(
            model_id, opaque_arn_model="anthropic.claude-sonnet-4-5-20250929-v1:0"
        )
        if resolved is None:
            raise validation_error("The provided model identifier is invalid.")
        if resolved.spec.legacy:
            # Not in "Supported Regions and models for batch inference"; text is a stand-in.
            raise validation_error(
                f"The model {model_id} doesn't support batch inference. Choose another model."
            )
        return model_id

    def _list(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        def first(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        with self._lock:
            jobs = list(self._jobs.values())
        status, name = first("statusEquals"), first("nameContains")
        after, before = first("submitTimeAfter"), first("submitTimeBefore")
        if status is not None:
            jobs = [job for job in jobs if job.status == status]
        if name is not None:
            jobs = [job for job in jobs if name in job.job_name]
        if after is not None:
            jobs = [job for job in jobs if job.submit_time > _parse_time(after)]
        if before is not None:
            jobs = [job for job in jobs if job.submit_time < _parse_time(before)]
        jobs.sort(key=lambda job: job.submit_time, reverse=first("sortOrder") != "Ascending")
        size = int(first("maxResults") or _LIST_MAX)
        if not 1 <= size <= _LIST_MAX:
            raise _constraint("maxResults", size, f"be between 1 and {_LIST_MAX} (inclusive)")
        start = int(first("nextToken") or 0)
        page = jobs[start : start + size]
        answer: dict[str, Any] = {"invocationJobSummaries": [job.describe() for job in page]}
        if start + size < len(jobs):
            answer["nextToken"] = str(start + size)
        return answer

    def _stop(self, job: Job) -> None:
        with self._lock:
            if job.status in _ENDS or job.status == "Stopping":
                raise validation_error(  # stand-in text
                    f"The job {job.job_arn} can't be stopped: its status is {job.status}."
                )
            job.stop_requested = True
            if job.status == "InProgress":
                self._set(job, "Stopping")
                return
        self._end(job, "Stopped")

    # -- running ------------------------------------------------------------------------

    def _set(self, job: Job, status: str, message: str | None = None) -> None:
        with self._lock:
            if job.status in _ENDS:  # an ended job never changes again
                return
            job.status = status
            job.message = message
            job.last_modified_time = _now()
            if status in _ENDS:
                job.end_time = job.last_modified_time

    def _run(self, job: Job) -> None:
        while job.status not in _ENDS and not self._closed.is_set():
            if job.status == "InProgress":
                self._process(job, _CHUNK_RECORDS)
                if job.status == "InProgress" and job._cursor is None:
                    self._step(job)
                continue
            time.sleep(self.step_delay)
            self._step(job)

    def _step(self, job: Job) -> None:
        status = job.status
        if status in _ENDS:
            return
        if status == "Stopping":
            self._end(job, "Stopped")
        elif status == "Validating":
            problem = self._validate(job)
            if problem is not None:
                self._set(job, "Failed", problem)
            else:
                self._set(job, "Scheduled")
        elif status == "InProgress":
            self._process(job, None)
            if job.status == "InProgress":
                self._end(job, "Completed")
        else:
            self._set(job, _NEXT[status])

    def _s3(self, job: Job) -> S3Client:
        endpoint = job.s3_endpoint
        if not endpoint:
            raise S3Error(
                0,
                "NoEndpoint",
                "the emulator has no S3 endpoint: set emu.jobs.s3_endpoint_url or "
                "AWS_ENDPOINT_URL_S3",
            )
        return S3Client(endpoint, region=self._region)

    def _validate(self, job: Job) -> str | None:
        """Bedrock's checks while ``Validating``: the message it fails with, or ``None``."""
        bucket, prefix = _split_uri(job.input_uri)
        try:
            s3 = self._s3(job)
            objects = [item for item in s3.list(bucket, prefix) if item.key.endswith(".jsonl")]
        except S3Error as error:
            return f"Unable to access the input data at {job.input_uri}: {error.message}"
        if not objects:
            return f"No .jsonl files were found at {job.input_uri}."
        total, size = 0, 0
        files: list[tuple[str, int]] = []
        for item in sorted(objects, key=lambda item: item.key):
            if item.size > MAX_FILE_BYTES:
                return f"The input file {item.key} exceeds the input file size quota."
            size += item.size
            if size > MAX_JOB_BYTES:
                return "The input files exceed the batch inference job size quota."
            count = 0
            try:
                for _ in _records(s3, bucket, item.key):
                    count += 1
            except ValueError as error:
                return f"The input file {item.key} is not valid: {error}"
            if count > self.max_records_per_file:
                return (
                    f"The input file {item.key} has {count} records, more than the "
                    f"{self.max_records_per_file} records per input file quota."
                )
            files.append((item.key, count))
            total += count
        if total < self.min_records:
            return (
                f"The job has {total} records, fewer than the minimum of {self.min_records} "
                "records per batch inference job."
            )
        if total > self.max_records_per_job:
            return (
                f"The job has {total} records, more than the {self.max_records_per_job} "
                "records per batch inference job quota."
            )
        with self._lock:
            job.files, job.total = files, total
        return None

    def _process(self, job: Job, limit: int | None) -> None:
        """Run up to ``limit`` more records (``None``: all), unless a stop was asked."""
        if job._cursor is None and job.processed == 0:
            job._cursor = self._cursor(job)
        if job._cursor is None:
            return
        done = 0
        while limit is None or done < limit:
            if job.stop_requested:
                break
            item = next(job._cursor, None)
            if item is None:
                job._cursor = None
                break
            key, record = item
            line, failed, tokens = self._one(job, record)
            job._outputs.setdefault(key, []).append(line)
            with self._lock:
                job.processed += 1
                job.errors += failed
                job.input_tokens += tokens[0]
                job.output_tokens += tokens[1]
            done += 1
        if job.status == "Stopping":
            self._end(job, "Stopped")

    def _cursor(self, job: Job) -> Iterator[tuple[str, dict[str, Any]]]:
        bucket, _ = _split_uri(job.input_uri)
        s3 = self._s3(job)
        for key, _count in job.files:
            generated = 0
            for record in _records(s3, bucket, key):
                if "recordId" not in record:  # "If you omit the recordId field, Amazon
                    generated += 1  # Bedrock adds it in the output."
                    record = {"recordId": f"{generated:011d}", **record}
                yield key, record

    def _one(self, job: Job, record: dict[str, Any]) -> tuple[bytes, int, tuple[int, int]]:
        identifier = str(record.get("recordId"))
        model_input = record["modelInput"]
        head = {"recordId": identifier, "modelInput": model_input}
        error = self._record_errors.get(identifier)
        if error is None:
            try:
                raw = self._run_record(job.model_id, json.dumps(model_input).encode())
            except BedrockError as failure:
                error = failure
        if error is not None:
            line = {**head, "error": {"errorCode": error.status, "errorMessage": error.message}}
            return _json(line), 1, (0, 0)
        output = json.loads(raw)
        usage = output.get("usage") or {}
        tokens = (int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0)))
        return _json({**head, "modelOutput": output}), 0, tokens

    def _end(self, job: Job, status: str) -> None:
        """Write the output files and the manifest, then end the job with ``status``."""
        with self._lock:
            if job.status in _ENDS:
                return
        if job.total is not None:
            try:
                self._write_output(job)
            except S3Error as error:
                self._set(
                    job,
                    "Failed",
                    f"Unable to write the output to {job.output_uri}: {error.message}",
                )
                return
        self._set(job, status)

    def _write_output(self, job: Job) -> None:
        bucket, prefix = _split_uri(job.output_uri)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        prefix += f"{job.job_id}/"
        _, input_prefix = _split_uri(job.input_uri)
        s3 = self._s3(job)
        for key, _count in job.files:
            lines = job._outputs.pop(key, [])
            if self.output_order == "shuffled":
                random.Random(job.job_id + key).shuffle(lines)
            name = key[len(input_prefix) :].lstrip("/") if key.startswith(input_prefix) else key
            with tempfile.TemporaryFile() as spool:
                for line in lines:
                    spool.write(line + b"\n")
                size = spool.tell()
                spool.seek(0)
                s3.upload(bucket, f"{prefix}{name}.out", spool, size)
        manifest = _json(
            {
                "totalRecordCount": job.total,
                "processedRecordCount": job.processed,
                "successRecordCount": job.processed - job.errors,
                "errorRecordCount": job.errors,
                "inputTokenCount": job.input_tokens,
                "outputTokenCount": job.output_tokens,
            }
        )
        with tempfile.TemporaryFile() as spool:
            spool.write(manifest)
            spool.seek(0)
            s3.upload(bucket, f"{prefix}manifest.json.out", spool, len(manifest))


def _records(s3: S3Client, bucket: str, key: str) -> Iterator[dict[str, Any]]:
    """The records of one input file (downloaded to disk first, then read line by line).

    Raises:
        ValueError: a line is not a JSON object with a ``modelInput`` object.
    """
    with tempfile.TemporaryFile() as spool:
        s3.download(bucket, key, spool)
        spool.seek(0)
        for number, line in enumerate(spool, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise ValueError(f"line {number} is not JSON") from None
            if not isinstance(record, dict) or not isinstance(record.get("modelInput"), dict):
                raise ValueError(f"line {number} has no modelInput object")
            yield record


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = datetime.fromtimestamp(float(text), timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
