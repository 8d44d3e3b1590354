"""Bedrock batch inference: its rules, record lines, job arguments and results (pure, no I/O).

A job's input is JSONL files under one S3 prefix, one record per line::

    {"recordId":"00000000042","modelInput":{...the InvokeModel body...}}

and Bedrock writes ``<output prefix>/<job id>/<input file>.out`` (the record, with
``modelOutput`` or ``error``) and ``manifest.json.out`` beside them. Source: AWS, "Format and
upload your batch inference data" and "View the results of a batch inference job"
(docs.aws.amazon.com/bedrock/latest/userguide/batch-inference-data.html, -results.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from ._errors import BedrockClaudeError, InvalidParameterError, RecordNotProcessedError
from ._formats import ParsedResponse, format_for
from ._models import Completion
from ._request import PreparedRequest, completion_from
from ._routing import resolve_model
from ._translate import status_error as _status_error

if TYPE_CHECKING:
    from typing_extensions import Self, TypeVar

    ResultT = TypeVar("ResultT", bound="BatchResult", default="BatchResult")
else:
    from typing import TypeVar

    ResultT = TypeVar("ResultT", bound="BatchResult")
"""A job's result type: :class:`BatchResult`, or a subclass that reads records its own way."""

__all__ = [
    "MAX_TIMEOUT_HOURS",
    "MIN_TIMEOUT_HOURS",
    "TERMINAL_STATUSES",
    "BatchJobInfo",
    "BatchQuotas",
    "BatchResult",
    "FilePlan",
    "ResultT",
    "VpcConfig",
    "check_batch_request",
    "job_kwargs",
    "parse_output_line",
    "parse_s3_uri",
    "record_id",
    "record_line",
]

# --- Bedrock's quotas -------------------------------------------------------------------------
# Defaults of the Amazon Bedrock service quotas (AWS General Reference, "Amazon Bedrock endpoints
# and quotas", docs.aws.amazon.com/general/latest/gr/bedrock.html; the quota names are listed in
# "Format and upload your batch inference data"). Most are adjustable per account and model in
# Service Quotas: pass a BatchQuotas with the values your account has.
MIN_RECORDS_PER_JOB = 100
"""Minimum number of records per batch inference job."""
MAX_RECORDS_PER_FILE = 50_000
"""Records per input file per batch inference job."""
MAX_RECORDS_PER_JOB = 50_000
"""Records per batch inference job (all input files)."""
MAX_BYTES_PER_FILE = 1_000_000_000
"""Batch inference input file size: 1 GB."""
MAX_BYTES_PER_JOB = 5_000_000_000
"""Batch inference job size (all input files): 5 GB."""

# --- CreateModelInvocationJob's constraints (botocore's ``bedrock`` service model) -----------
MIN_TIMEOUT_HOURS = 24
MAX_TIMEOUT_HOURS = 168
"""``timeoutDurationInHours``: ModelInvocationJobTimeoutDurationInHours, min 24, max 168."""
_JOB_NAME = re.compile(r"[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\+\-\.]){0,63}")
_JOB_NAME_MAX = 63
_ROLE_ARN = re.compile(r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+")
_ROLE_ARN_MAX = 2048
_TOKEN = re.compile(r"[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}")
_TOKEN_MAX = 256
_KMS_KEY = re.compile(
    r"(arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)))"
    r"|([a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)"
)
_S3_URI = re.compile(
    r"s3://[a-z0-9][-.a-z0-9]{1,61}[a-z0-9](?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?"
)
_S3_URI_MAX = 1024
_TAG_TEXT = re.compile(r"[a-zA-Z0-9\s._:/=+@-]*")
_TAG_KEY_MAX, _TAG_VALUE_MAX, _TAGS_MAX = 128, 256, 200
_SUBNETS = (1, 16)
_SECURITY_GROUPS = (1, 5)

TERMINAL_STATUSES = frozenset({"Completed", "PartiallyCompleted", "Failed", "Stopped", "Expired"})
"""ModelInvocationJobStatus values a job never leaves."""
_READABLE_STATUSES = frozenset({"Completed", "PartiallyCompleted", "Stopped"})
"""Statuses whose output files hold results (Stopped and PartiallyCompleted: some of them)."""

_RECORD_ID_DIGITS = 11
"""Record ids are the input index in 11 digits ("11 character alphanumeric string" in the
AWS page's earlier wording): they sort, and they give the input order back."""
# The InvokeModel arguments a batch record can carry: the body. Bedrock runs the record's
# modelInput with the job's model; headers such as a guardrail, the service tier or latency
# optimization have nowhere to go (CreateModelInvocationJob takes none of them).
_BODY_ONLY = frozenset({"modelId", "body", "contentType", "accept"})
_BOTO_TO_OPTION = {
    "guardrailIdentifier": "guardrail_identifier",
    "guardrailVersion": "guardrail_version",
    "trace": "guardrail_trace",
    "serviceTier": "service_tier",
    "performanceConfigLatency": "performance_config_latency",
    "requestMetadata": "request_metadata",
}
# errorCode in an output record is the HTTP status of the failed invocation (AWS's example:
# {"errorCode": 400, "errorMessage": "bad request"}): the one translation table types it by
# that status (and by the message's markers, e.g. a prompt over the context window).


@dataclass(frozen=True)
class BatchQuotas:
    """Bedrock's batch inference quotas, checked before anything is uploaded.

    The defaults are Bedrock's default quotas; pass the values Service Quotas shows for your
    account and model where they were raised.
    """

    min_records_per_job: int = MIN_RECORDS_PER_JOB
    """Fewest records a job may have."""
    max_records_per_file: int = MAX_RECORDS_PER_FILE
    """Most records in one input file: more are split across files."""
    max_records_per_job: int = MAX_RECORDS_PER_JOB
    """Most records in one job."""
    max_bytes_per_file: int = MAX_BYTES_PER_FILE
    """Largest input file in bytes: larger inputs are split across files."""
    max_bytes_per_job: int = MAX_BYTES_PER_JOB
    """Largest total of all input files in bytes."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(
                    f"BatchQuotas.{name} must be a positive integer (got {value!r})."
                )


class VpcConfig(TypedDict):
    """A VPC for the job's S3 access (CreateModelInvocationJob's ``vpcConfig``)."""

    subnetIds: Sequence[str]
    """1 to 16 subnet ids."""
    securityGroupIds: Sequence[str]
    """1 to 5 security group ids."""


def record_id(index: int) -> str:
    """The record id of the input record at ``index`` (0-based)."""
    return f"{index:0{_RECORD_ID_DIGITS}d}"


def index_of(identifier: object) -> int | None:
    """The input index a record id of ours stands for; ``None`` for anyone else's ids."""
    if not isinstance(identifier, str) or len(identifier) != _RECORD_ID_DIGITS:
        return None
    return int(identifier) if identifier.isdigit() else None


def record_line(index: int, body: bytes) -> bytes:
    """One JSONL line: the record id and the exact InvokeModel body as ``modelInput``."""
    return b'{"recordId":"%s","modelInput":%s}\n' % (record_id(index).encode(), body)


def check_batch_request(request: PreparedRequest, model_id: str) -> None:
    """Refuse what a batch record cannot carry, and models batch inference does not run.

    Raises:
        InvalidParameterError: an option outside the body, another model than the job's, or a
            model batch inference does not support.
    """
    if request.model_id != model_id:
        raise InvalidParameterError(
            f"Every record of a batch job uses the job's model {model_id!r} (got "
            f"{request.model_id!r}); submit one job per model."
        )
    extra = sorted(set(request.boto_kwargs()) - _BODY_ONLY)
    if extra:
        names = ", ".join(repr(_BOTO_TO_OPTION.get(name, name)) for name in extra)
        raise InvalidParameterError(
            f"{names} cannot be used in a batch job: Bedrock runs each record's body with the "
            "job's model and takes no guardrail, service tier, latency or request metadata "
            "settings. Drop them, or use batch() for on-demand calls."
        )
    check_batch_model(
        request.params.model.model_id, request.params.api, request.params.model.family
    )


def check_batch_model(model_id: str, api: str, family: str | None) -> None:
    """Batch inference runs Claude 3 and later (the Messages API), not provisioned models.

    Sources: "Supported Regions and models for batch inference" lists Claude 3 and later
    models and their inference profiles; "Process multiple prompts with batch inference":
    "Batch inference isn't supported for provisioned models." The legacy Text Completions
    models (Claude 2.x, Instant) are not listed (and have reached end of life).
    """
    if ":provisioned-model/" in model_id:
        raise InvalidParameterError(
            f"Batch inference does not run provisioned models ({model_id!r}); use the "
            "foundation model's id or an inference profile."
        )
    if api != "messages" or family in ("v", "instant"):
        raise InvalidParameterError(
            f"Batch inference runs Claude 3 and later models (the Messages API), not "
            f"{model_id!r}; use a current model such as 'anthropic.claude-haiku-4-5-20251001-v1:0'."
        )


@dataclass
class FilePlan:
    """Decides how records are split across input files within Bedrock's quotas."""

    quotas: BatchQuotas
    records: int = 0
    """Records planned so far (all files)."""
    bytes: int = 0
    """Bytes planned so far (all files)."""
    files: list[tuple[int, int]] = field(default_factory=list)
    """Each file's ``(records, bytes)``."""

    def add(self, size: int) -> bool:
        """Plan one record line of ``size`` bytes; ``True`` when it starts a new file.

        Raises:
            InvalidParameterError: the job would exceed a quota.
        """
        quotas = self.quotas
        if size > quotas.max_bytes_per_file:
            raise InvalidParameterError(
                f"Record {self.records} is {size} bytes, over the batch input file size quota "
                f"of {quotas.max_bytes_per_file} bytes; shorten it."
            )
        if self.records + 1 > quotas.max_records_per_job:
            raise InvalidParameterError(
                f"A batch job takes at most {quotas.max_records_per_job} records (the 'Records "
                "per batch inference job' quota); split the prompts into several jobs, or pass "
                "BatchQuotas(max_records_per_job=...) if your account's quota is higher."
            )
        if self.bytes + size > quotas.max_bytes_per_job:
            raise InvalidParameterError(
                f"The records add up to more than the batch job size quota of "
                f"{quotas.max_bytes_per_job} bytes; split the prompts into several jobs."
            )
        new_file = not self.files or (
            self.files[-1][0] + 1 > quotas.max_records_per_file
            or self.files[-1][1] + size > quotas.max_bytes_per_file
        )
        if new_file:
            self.files.append((0, 0))
        count, total = self.files[-1]
        self.files[-1] = (count + 1, total + size)
        self.records += 1
        self.bytes += size
        return new_file

    def finish(self) -> None:
        """Check the job is large enough.

        Raises:
            InvalidParameterError: fewer records than the minimum per job.
        """
        minimum = self.quotas.min_records_per_job
        if self.records < minimum:
            raise InvalidParameterError(
                f"A batch inference job needs at least {minimum} records (got {self.records}). "
                "For fewer prompts, call batch() (on-demand calls, full price) instead."
            )


def parse_s3_uri(uri: object, name: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix/")`` (``""`` for no prefix).

    Raises:
        InvalidParameterError: not an S3 URI Bedrock accepts (botocore's ``S3Uri`` pattern).
    """
    if not isinstance(uri, str) or len(uri) > _S3_URI_MAX or not _S3_URI.fullmatch(uri):
        raise InvalidParameterError(
            f"{name!r} must be an S3 URI like 's3://my-bucket/batch/' (bucket names: lower-case "
            f"letters, digits, '.' and '-'; at most {_S3_URI_MAX} characters) (got {uri!r})."
        )
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    prefix = prefix.rstrip("/")
    return bucket, f"{prefix}/" if prefix else ""


def _check_text(name: str, value: object, pattern: re.Pattern[str], limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit or not pattern.fullmatch(value):
        raise InvalidParameterError(
            f"{name!r} does not fit Bedrock's pattern {pattern.pattern!r} (at most {limit} "
            f"characters) (got {value!r})."
        )
    return value


def _check_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    if len(tags) > _TAGS_MAX:
        raise InvalidParameterError(f"A job takes at most {_TAGS_MAX} tags (got {len(tags)}).")
    checked = []
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= _TAG_KEY_MAX:
            raise InvalidParameterError(f"Tag keys are 1 to {_TAG_KEY_MAX} characters ({key!r}).")
        _check_text(f"tag {key!r}", key, _TAG_TEXT, _TAG_KEY_MAX)
        _check_text(f"tag {key!r} value", value, _TAG_TEXT, _TAG_VALUE_MAX)
        checked.append({"key": key, "value": value})
    return checked


def _check_vpc(vpc: Mapping[str, Any]) -> dict[str, list[str]]:
    checked: dict[str, list[str]] = {}
    for key, (low, high) in (("subnetIds", _SUBNETS), ("securityGroupIds", _SECURITY_GROUPS)):
        values = vpc.get(key)
        if (
            isinstance(values, str)
            or not isinstance(values, Sequence)
            or not low <= len(values) <= high
            or not all(isinstance(value, str) and value for value in values)
        ):
            raise InvalidParameterError(
                f"'vpc_config[{key!r}]' must be a list of {low} to {high} ids (got {values!r})."
            )
        checked[key] = list(values)
    unknown = set(vpc) - set(checked)
    if unknown:
        raise InvalidParameterError(
            f"'vpc_config' takes 'subnetIds' and 'securityGroupIds' (got {sorted(unknown)})."
        )
    return checked


def job_kwargs(
    *,
    job_name: str,
    role_arn: str,
    model_id: str,
    input_uri: str,
    output_uri: str,
    timeout_hours: int | None = None,
    kms_key_id: str | None = None,
    vpc_config: Mapping[str, Any] | None = None,
    tags: Mapping[str, str] | None = None,
    client_request_token: str | None = None,
) -> dict[str, Any]:
    """Check every job setting and build ``create_model_invocation_job``'s arguments.

    Raises:
        InvalidParameterError: a setting Bedrock would refuse (botocore's constraints).
    """
    kwargs: dict[str, Any] = {
        "jobName": _check_text("job_name", job_name, _JOB_NAME, _JOB_NAME_MAX),
        "roleArn": _check_text("role_arn", role_arn, _ROLE_ARN, _ROLE_ARN_MAX),
        "modelId": model_id,
        # The record type: each modelInput is an InvokeModel body.
        "modelInvocationType": "InvokeModel",
        "inputDataConfig": {"s3InputDataConfig": {"s3Uri": input_uri, "s3InputFormat": "JSONL"}},
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": output_uri}},
    }
    if timeout_hours is not None:
        if (
            isinstance(timeout_hours, bool)
            or not isinstance(timeout_hours, int)
            or not MIN_TIMEOUT_HOURS <= timeout_hours <= MAX_TIMEOUT_HOURS
        ):
            raise InvalidParameterError(
                f"'timeout_hours' must be a whole number of hours from {MIN_TIMEOUT_HOURS} to "
                f"{MAX_TIMEOUT_HOURS} (got {timeout_hours!r})."
            )
        kwargs["timeoutDurationInHours"] = timeout_hours
    if kms_key_id is not None:
        key = _check_text("kms_key_id", kms_key_id, _KMS_KEY, 2048)
        kwargs["outputDataConfig"]["s3OutputDataConfig"]["s3EncryptionKeyId"] = key
    if vpc_config is not None:
        kwargs["vpcConfig"] = _check_vpc(vpc_config)
    if tags:
        kwargs["tags"] = _check_tags(tags)
    if client_request_token is not None:
        kwargs["clientRequestToken"] = _check_text(
            "client_request_token", client_request_token, _TOKEN, _TOKEN_MAX
        )
    return kwargs


# --- the job and its results ------------------------------------------------------------------


@dataclass(frozen=True)
class BatchJobInfo:
    """What Bedrock says about a batch inference job (GetModelInvocationJob)."""

    job_arn: str
    """The job's ARN: re-attach to the job with it in another process."""
    job_name: str | None
    """The job's name."""
    status: str
    """``Submitted``, ``Validating``, ``Scheduled``, ``InProgress``, ``Stopping``, or one of
    the ends: ``Completed``, ``PartiallyCompleted``, ``Failed``, ``Stopped``, ``Expired``."""
    model_id: str
    """The model every record runs on."""
    input_s3_uri: str
    """Where the input files are."""
    output_s3_uri: str
    """Where Bedrock writes the output (in a folder named after the job id)."""
    message: str | None = None
    """Bedrock's message, e.g. why the job failed."""
    submit_time: datetime | None = None
    """When the job was submitted."""
    end_time: datetime | None = None
    """When the job ended."""
    total_record_count: int | None = None
    """Records in the job (known once validated)."""
    processed_record_count: int | None = None
    """Records processed so far."""
    success_record_count: int | None = None
    """Records processed without error."""
    error_record_count: int | None = None
    """Records that failed."""

    @property
    def job_id(self) -> str:
        """The job's id: the last part of its ARN."""
        return self.job_arn.rsplit("/", 1)[-1]

    @property
    def done(self) -> bool:
        """Whether the job has ended (it never changes status again)."""
        return self.status in TERMINAL_STATUSES

    @property
    def has_results(self) -> bool:
        """Whether output files hold results (all, or some for a stopped or partial job)."""
        return self.status in _READABLE_STATUSES

    @classmethod
    def from_response(cls, response: Mapping[str, Any]) -> BatchJobInfo:
        """Read a GetModelInvocationJob response (as boto3 returns it)."""
        return cls(
            job_arn=response["jobArn"],
            job_name=response.get("jobName"),
            status=response.get("status", "Submitted"),
            model_id=response["modelId"],
            input_s3_uri=response["inputDataConfig"]["s3InputDataConfig"]["s3Uri"],
            output_s3_uri=response["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"],
            message=response.get("message"),
            submit_time=response.get("submitTime"),
            end_time=response.get("endTime"),
            total_record_count=response.get("totalRecordCount"),
            processed_record_count=response.get("processedRecordCount"),
            success_record_count=response.get("successRecordCount"),
            error_record_count=response.get("errorRecordCount"),
        )

    def progress(self) -> str:
        """A one-line summary: status and records processed of total."""
        total = "?" if self.total_record_count is None else str(self.total_record_count)
        done = self.processed_record_count or 0
        errors = f", {self.error_record_count} failed" if self.error_record_count else ""
        return f"{self.status}: {done}/{total} records{errors}"


@dataclass(frozen=True)
class BatchResult:
    """One record's outcome: its completion, or its error (never both)."""

    index: int
    """The position of the prompt in the input (0-based)."""
    record_id: str
    """The record id in the job's files."""
    completion: Completion | None = None
    """The model's answer: text, stop reason, usage."""
    error: BedrockClaudeError | None = None
    """Why this record failed, as the error an on-demand call would raise."""

    @property
    def ok(self) -> bool:
        """Whether the record has a completion."""
        return self.completion is not None

    @property
    def text(self) -> str | None:
        """The completion's text (``None`` for a failed record)."""
        return None if self.completion is None else self.completion.completion

    @classmethod
    def from_record(cls, index: int, record: Mapping[str, Any], model_id: str) -> Self:
        """One output record (``modelOutput`` or ``error``) -> its result, of this class."""
        identifier = str(record.get("recordId", ""))
        error = record.get("error")
        output = record.get("modelOutput")
        if error is not None or not isinstance(output, Mapping):
            failure = (
                record_error(error, model_id)
                if isinstance(error, Mapping)
                else _status_error(
                    "InternalServerException",
                    f"the output record has neither modelOutput nor error: {str(record)[:200]}",
                    model_id=model_id,
                    status_code=None,
                    request_id=None,
                )
            )
            return cls(index, identifier, error=failure)
        parsed = cls._parse(output, model_id)
        completion = completion_from(parsed, model_id=model_id, request_id=None)
        return cls(index, identifier, completion=completion)

    @classmethod
    def _parse(cls, output: Mapping[str, Any], model_id: str) -> ParsedResponse:
        """A record's ``modelOutput`` read as the on-demand call of the same body reads it."""
        return format_for(resolve_model(model_id).api).parse_response(output, {})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the CLI's output line)."""
        if self.completion is not None:
            usage = self.completion.usage
            return {
                "index": self.index,
                "record_id": self.record_id,
                "completion": self.completion.completion,
                "stop_reason": self.completion.stop_reason,
                "usage": usage.to_dict() if usage is not None else None,
            }
        error = self.error
        return {
            "index": self.index,
            "record_id": self.record_id,
            "error": type(error).__name__ if error is not None else None,
            "message": error.message if error is not None else None,
            "status_code": error.status_code if error is not None else None,
        }


def parse_output_line(line: bytes) -> dict[str, Any] | None:
    """One output JSONL line as a dict; ``None`` for a blank line."""
    line = line.strip()
    if not line:
        return None
    record: dict[str, Any] = json.loads(line)
    return record


def record_error(error: Mapping[str, Any], model_id: str) -> BedrockClaudeError:
    """The typed error of a failed record (``{"errorCode": 400, "errorMessage": "..."}``)."""
    raw = error.get("errorCode")
    message = str(error.get("errorMessage") or "(no message)")
    status: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        status = raw
    elif isinstance(raw, str) and raw.isdigit():
        status = int(raw)
    # A code by name (not seen in AWS's docs, but cheap to honour) is read as such.
    code = "" if status is not None else str(raw or "")
    return _status_error(code, message, model_id=model_id, status_code=status, request_id=None)


def missing_result(index: int, info: BatchJobInfo, kind: type[ResultT]) -> ResultT:
    """The result (a ``kind``) of a record the job produced no output for."""
    error = RecordNotProcessedError(
        f"Record {record_id(index)} has no output: the job ended {info.status} before "
        "processing it. Submit the unprocessed prompts again as a new job.",
        status=info.status,
        job_arn=info.job_arn,
        model_id=info.model_id,
    )
    return kind(index, record_id(index), error=error)
