"""Batch inference jobs end to end: the client, the emulator's control plane and moto's S3."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from langchain_bedrock_claude import (
    AnthropicBedrock,
    AsyncAnthropicBedrock,
    BatchJobError,
    BatchJobTimeoutError,
    InvalidParameterError,
    ModelNotFoundError,
    ModelTimeoutError,
    RecordNotProcessedError,
    ServiceUnavailableError,
    ThrottlingError,
    ValidationError,
)
from langchain_bedrock_claude.batch import (
    BatchJobConfig,
    BatchJobInfo,
    BatchJobs,
    BatchQuotas,
    BatchResult,
)
from langchain_bedrock_claude.testing import BedrockEmulator

from .conftest import BATCH_ROLE, CREDENTIALS, s3_client

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"


class BatchTwin:
    """Drives the sync or the async client's batch jobs with the same calls."""

    def __init__(self, kind: str, emu: BedrockEmulator, s3_url: str) -> None:
        self.kind = kind
        options = {"region": "us-east-1", "endpoint_url": emu.endpoint_url, **CREDENTIALS}
        self.emu, self.s3_url = emu, s3_url
        if kind == "sync":
            self.client: Any = AnthropicBedrock(**options)
        else:
            self.loop = asyncio.new_event_loop()
            self.client = AsyncAnthropicBedrock(**options)
        self.jobs = self.new_jobs()

    def new_jobs(self) -> Any:
        """A fresh ``batch_jobs`` on the emulator and moto (as a later process would make)."""
        from langchain_bedrock_claude.batch import AsyncBatchJobs, BatchJobs

        kind = BatchJobs if self.kind == "sync" else AsyncBatchJobs
        return kind(self.client, endpoint_url=self.emu.endpoint_url, s3_endpoint_url=self.s3_url)

    def call(self, value: Any) -> Any:
        return value if self.kind == "sync" else self.loop.run_until_complete(value)

    def create(self, prompts: Any, config: BatchJobConfig, **kwargs: Any) -> Any:
        kwargs.setdefault("model", HAIKU)
        kwargs.setdefault("max_tokens_to_sample", 100)
        return self.call(self.jobs.create(prompts, config, **kwargs))

    def get(self, arn: str, jobs: Any = None) -> Any:
        return self.call((jobs or self.jobs).get(arn))

    def list(self, **kwargs: Any) -> list[BatchJobInfo]:
        return self.call(self.jobs.list(**kwargs))  # type: ignore[no-any-return]

    def refresh(self, job: Any) -> BatchJobInfo:
        return self.call(job.refresh())

    def wait(self, job: Any, **kwargs: Any) -> BatchJobInfo:
        kwargs.setdefault("poll_interval", 0.02)
        kwargs.setdefault("timeout", 60)
        return self.call(job.wait(**kwargs))

    def stop(self, job: Any) -> None:
        self.call(job.stop())

    def results(self, job: Any) -> list[BatchResult]:
        if self.kind == "sync":
            return list(job.results())

        async def collect() -> list[BatchResult]:
            return [result async for result in job.results()]

        return self.loop.run_until_complete(collect())

    def close(self) -> None:
        if self.kind == "sync":
            self.client.close()
        else:
            self.loop.run_until_complete(self.client.aclose())
            self.loop.close()


@pytest.fixture(params=["sync", "async"])
def batch(
    request: pytest.FixtureRequest, emu: BedrockEmulator, moto_s3_url: str, bucket: str
) -> Iterator[BatchTwin]:
    twin = BatchTwin(request.param, emu, moto_s3_url)
    yield twin
    twin.close()


def config(bucket: str, **options: Any) -> BatchJobConfig:
    return BatchJobConfig(s3_uri=f"s3://{bucket}/jobs/", role_arn=BATCH_ROLE, **options)


def keys(url: str, bucket: str, prefix: str = "") -> list[str]:
    listed = s3_client(url).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", ()))


def test_thousand_records_submitted_completed_and_joined_in_input_order(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str
) -> None:
    emu.jobs.output_order = "shuffled"  # Bedrock does not promise the input order
    emu.reply("The first answer.")  # the first record processed gets the scripted reply
    emu.jobs.fail_record("00000000007", "ModelTimeoutException")
    emu.jobs.fail_record("00000000500", "ThrottlingException")
    emu.jobs.fail_record("00000000999", "ValidationException", message="Input is too long.")
    prompts = [f"Classify document {number}" for number in range(1000)]

    job = batch.create(prompts, config(bucket), system="Answer in one word.")
    assert job.status == "Submitted"
    assert job.job_arn.startswith("arn:aws:bedrock:us-east-1:")
    seen: list[BatchJobInfo] = []
    final = batch.wait(job, on_progress=seen.append)

    assert final.status == "Completed"
    assert (final.total_record_count, final.processed_record_count) == (1000, 1000)
    assert (final.success_record_count, final.error_record_count) == (997, 3)
    assert seen[-1] == final and seen[0].status in ("Submitted", "Validating", "Scheduled")
    results = batch.results(job)
    assert [result.index for result in results] == list(range(1000))
    assert [result.record_id for result in results[:2]] == ["00000000000", "00000000001"]
    assert results[0].text == "The first answer."
    assert results[0].completion is not None and results[0].completion.usage is not None
    assert results[0].completion.usage.output_tokens > 0
    assert results[1].completion is not None and results[1].completion.stop_reason == "end_turn"
    failed = {result.index: result.error for result in results if not result.ok}
    assert set(failed) == {7, 500, 999}
    assert isinstance(failed[7], ModelTimeoutError) and failed[7].status_code == 408
    assert isinstance(failed[500], ThrottlingError) and failed[500].status_code == 429
    assert isinstance(failed[999], ValidationError) and "Input is too long." in str(failed[999])
    assert all(result.text for result in results if result.ok)


def test_records_are_exactly_the_bodies_calls_send(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str, moto_s3_url: str
) -> None:
    options = {"system": "Be brief.", "temperature": 0.5, "stop_sequences": ["END"]}
    prompts = [f"prompt {number}" for number in range(100)]
    job = batch.create(prompts, config(bucket), **options)
    batch.call(
        batch.client.Completion.create(
            model=f"us.{HAIKU}", prompt="prompt 42", max_tokens_to_sample=100, **options
        )
    )
    sent = emu.requests[-1].body

    (input_key,) = keys(moto_s3_url, bucket, f"jobs/{job.info.job_name}/input/")
    assert input_key.endswith("/records-00000.jsonl")
    lines = (
        s3_client(moto_s3_url).get_object(Bucket=bucket, Key=input_key)["Body"].read().splitlines()
    )
    assert len(lines) == 100
    assert lines[42] == b'{"recordId":"00000000042","modelInput":' + sent + b"}"


def test_job_moves_step_by_step_and_reports_progress(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str
) -> None:
    emu.jobs.auto = False
    job = batch.create([f"p{number}" for number in range(1000)], config(bucket))
    statuses = [batch.refresh(job).status]
    for _ in range(3):
        emu.jobs.advance(job.job_id)
        statuses.append(batch.refresh(job).status)
    assert statuses == ["Submitted", "Validating", "Scheduled", "InProgress"]
    assert job.info.total_record_count == 1000 and job.info.processed_record_count == 0

    emu.jobs.advance(job.job_id, records=300)
    info = batch.refresh(job)
    assert (info.status, info.processed_record_count) == ("InProgress", 300)
    assert info.progress() == "InProgress: 300/1000 records"
    with pytest.raises(BatchJobError, match="wait"):
        batch.results(job)

    emu.jobs.advance(job.job_id)
    assert batch.refresh(job).status == "Completed"
    assert len(batch.results(job)) == 1000


def test_reattach_from_the_arn_in_a_later_process(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str
) -> None:
    job = batch.create([f"p{number}" for number in range(150)], config(bucket))
    arn = job.job_arn
    batch.wait(job)
    first = [result.text for result in batch.results(job)]

    later = batch.get(arn, batch.new_jobs())  # only the ARN carried over
    assert later.job_arn == arn and later.status == "Completed"
    assert later.info.input_s3_uri == job.info.input_s3_uri
    assert [result.text for result in batch.results(later)] == first
    by_id = batch.get(job.job_id, batch.new_jobs())
    assert by_id.job_arn == arn


def test_jobs_are_listed_newest_first_and_filtered(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str
) -> None:
    emu.jobs.auto = False
    first = batch.create(_MANY, config(bucket, job_name="nightly-a"))
    second = batch.create(_MANY, config(bucket, job_name="weekly-b"))
    emu.jobs.advance(second.job_id)
    assert [info.job_arn for info in batch.list()] == [second.job_arn, first.job_arn]
    assert [info.job_name for info in batch.list(status="Validating")] == ["weekly-b"]
    assert [info.job_name for info in batch.list(name_contains="nightly")] == ["nightly-a"]
    assert batch.list(status="Completed") == []


def test_stop_keeps_processed_results_and_types_the_rest(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str
) -> None:
    emu.jobs.auto = False
    job = batch.create([f"p{number}" for number in range(1000)], config(bucket))
    for _ in range(3):
        emu.jobs.advance(job.job_id)
    emu.jobs.advance(job.job_id, records=250)

    batch.stop(job)
    assert job.status == "Stopping"
    emu.jobs.advance(job.job_id)
    assert batch.refresh(job).status == "Stopped"
    results = batch.results(job)
    assert [result.index for result in results] == list(range(1000))
    assert all(result.ok for result in results[:250])
    missing = [result.error for result in results[250:]]
    assert all(isinstance(error, RecordNotProcessedError) for error in missing)
    assert "Stopped" in str(missing[0])


def test_stop_before_it_runs_and_stopping_an_ended_job(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str
) -> None:
    emu.jobs.auto = False
    job = batch.create([f"p{number}" for number in range(100)], config(bucket))
    batch.stop(job)
    assert job.status == "Stopped"
    with pytest.raises(ValidationError, match="can't be stopped"):
        batch.stop(job)
    with pytest.raises(BatchJobError, match="before processing any record"):
        batch.results(job)


def test_a_job_the_validation_fails_has_no_results(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str, moto_s3_url: str
) -> None:
    # 50 records written by hand (the client refuses fewer than 100 before uploading).
    s3 = s3_client(moto_s3_url)
    line = b'{"recordId":"a1","modelInput":{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}}\n'
    s3.put_object(Bucket=bucket, Key="manual/in/records.jsonl", Body=line * 50)
    bedrock = stock_bedrock(emu)
    arn = create_job(
        bedrock, "too-small", f"s3://{bucket}/manual/in/", f"s3://{bucket}/manual/out/"
    )["jobArn"]
    job = batch.get(arn)
    final = batch.wait(job)
    assert final.status == "Failed"
    assert final.message is not None and "minimum of 100 records" in final.message
    with pytest.raises(BatchJobError, match="minimum of 100") as raised:
        batch.results(job)
    assert raised.value.status == "Failed" and raised.value.job_arn == arn


def test_wait_gives_up_at_its_deadline(batch: BatchTwin, emu: BedrockEmulator, bucket: str) -> None:
    emu.jobs.auto = False
    job = batch.create([f"p{number}" for number in range(100)], config(bucket))
    started = time.monotonic()
    with pytest.raises(BatchJobTimeoutError, match="still Submitted") as raised:
        batch.wait(job, poll_interval=0.05, timeout=0.3)
    assert 0.25 < time.monotonic() - started < 5
    assert isinstance(raised.value, TimeoutError) and raised.value.job_arn == job.job_arn


def test_records_split_across_files_within_the_quotas(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str, moto_s3_url: str
) -> None:
    quotas = BatchQuotas(max_records_per_file=40)
    job = batch.create([f"p{number}" for number in range(100)], config(bucket, quotas=quotas))
    prefix = f"jobs/{job.info.job_name}/input/"
    assert keys(moto_s3_url, bucket, prefix) == [
        f"{prefix}records-0000{number}.jsonl" for number in range(3)
    ]
    assert batch.wait(job).status == "Completed"
    output = keys(moto_s3_url, bucket, f"jobs/{job.info.job_name}/output/{job.job_id}/")
    assert [key.rsplit("/", 1)[-1] for key in output] == [
        "manifest.json.out",
        *(f"records-0000{number}.jsonl.out" for number in range(3)),
    ]
    assert [result.index for result in batch.results(job)] == list(range(100))


def test_the_job_settings_reach_bedrock(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str
) -> None:
    settings = config(
        bucket,
        job_name="nightly-42",
        output_s3_uri=f"s3://{bucket}/results/",
        timeout_hours=72,
        kms_key_id="alias/batch-output",
        vpc_config={"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]},
        tags={"team": "search"},
        client_request_token="token-1",
    )
    job = batch.create([f"p{number}" for number in range(100)], settings)
    sent = emu.jobs.job(job.job_arn).request
    assert sent["jobName"] == "nightly-42" and sent["roleArn"] == BATCH_ROLE
    assert sent["modelId"] == HAIKU and sent["modelInvocationType"] == "InvokeModel"
    assert sent["timeoutDurationInHours"] == 72 and sent["clientRequestToken"] == "token-1"
    assert sent["inputDataConfig"] == {
        "s3InputDataConfig": {
            "s3Uri": f"s3://{bucket}/jobs/nightly-42/input/",
            "s3InputFormat": "JSONL",
        }
    }
    assert sent["outputDataConfig"] == {
        "s3OutputDataConfig": {
            "s3Uri": f"s3://{bucket}/results/",
            "s3EncryptionKeyId": "alias/batch-output",
        }
    }
    assert sent["vpcConfig"] == {"subnetIds": ["subnet-1"], "securityGroupIds": ["sg-1"]}
    assert sent["tags"] == [{"key": "team", "value": "search"}]
    assert batch.wait(job).status == "Completed"
    assert len(batch.results(job)) == 100


_MANY = [f"p{number}" for number in range(100)]


@pytest.mark.parametrize(
    ("prompts", "settings", "kwargs", "message"),
    [
        (_MANY[:99], {}, {}, r"at least 100 records \(got 99\).*batch\(\)"),
        (
            [*_MANY, "x"],
            {"quotas": BatchQuotas(max_records_per_job=100)},
            {},
            "at most 100 records",
        ),
        (_MANY, {"quotas": BatchQuotas(max_bytes_per_job=5000)}, {}, "job size quota"),
        (_MANY, {"quotas": BatchQuotas(max_bytes_per_file=50)}, {}, "input file size quota"),
        (_MANY, {}, {"model": "anthropic.claude-v2:1"}, "Claude 3 and later"),
        (
            _MANY,
            {},
            {"model": "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123"},
            "provisioned models",
        ),
        (_MANY, {}, {"guardrail_identifier": "gr1"}, "'guardrail_identifier'.*cannot be used"),
        (_MANY, {}, {"service_tier": "flex"}, "'service_tier'.*cannot be used"),
        (_MANY, {}, {"temperature": 3}, "'temperature' must be between 0 and 1"),
        ([*_MANY, {"prompt": "x", "top_k": 501}], {}, {}, "'top_k'"),
        (
            [*_MANY, {"prompt": "x", "model": "anthropic.claude-3-haiku-20240307-v1:0"}],
            {},
            {},
            "job's model",
        ),
        ([*_MANY, {"prompt": "x", "stream": True}], {}, {}, "'stream'"),
        ("one string", {}, {}, "not one string"),
    ],
)
def test_invalid_jobs_are_refused_before_anything_is_uploaded(
    batch: BatchTwin,
    emu: BedrockEmulator,
    bucket: str,
    moto_s3_url: str,
    prompts: Any,
    settings: dict[str, Any],
    kwargs: dict[str, Any],
    message: str,
) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        batch.create(prompts, config(bucket, **settings), **kwargs)
    assert keys(moto_s3_url, bucket) == []
    assert emu.jobs.jobs == []
    assert not [request for request in emu.requests if "invocation-job" in request.path]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"job_name": "-starts-with-a-dash"}, "'job_name'"),
        ({"job_name": "x" * 64}, "'job_name'"),
        ({"timeout_hours": 23}, "from 24 to 168"),
        ({"timeout_hours": 169}, "from 24 to 168"),
        ({"role_arn": "my-role"}, "'role_arn'"),
        ({"s3_uri": "s3://Upper_Case/"}, "'s3_uri'"),
        ({"s3_uri": "https://bucket/x"}, "'s3_uri'"),
        ({"output_s3_uri": "bucket/out"}, "'output_s3_uri'"),
        ({"kms_key_id": "not a key"}, "'kms_key_id'"),
        ({"vpc_config": {"subnetIds": [], "securityGroupIds": ["sg"]}}, "subnetIds"),
        ({"tags": {"bad*key": "v"}}, "tag"),
        ({"client_request_token": "spaces are bad"}, "'client_request_token'"),
        ({"quotas": BatchQuotas}, "BatchQuotas"),
    ],
)
def test_invalid_job_settings_are_refused_at_once(settings: dict[str, Any], message: str) -> None:
    options = {"s3_uri": "s3://bucket/jobs/", "role_arn": BATCH_ROLE, **settings}
    with pytest.raises(InvalidParameterError, match=message):
        BatchJobConfig(**options)


def test_a_prefix_holding_files_is_refused_before_upload(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str, moto_s3_url: str
) -> None:
    s3_client(moto_s3_url).put_object(Bucket=bucket, Key="jobs/reused/input/old.jsonl", Body=b"{}")
    with pytest.raises(InvalidParameterError, match="already holds files"):
        batch.create(_MANY, config(bucket, job_name="reused"))
    assert keys(moto_s3_url, bucket) == ["jobs/reused/input/old.jsonl"]
    assert emu.jobs.jobs == []


def test_the_same_client_request_token_creates_one_job(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str
) -> None:
    emu.jobs.auto = False
    first = batch.create(_MANY, config(bucket, job_name="first", client_request_token="same"))
    again = batch.create(_MANY, config(bucket, job_name="second", client_request_token="same"))
    assert again.job_arn == first.job_arn
    assert len(emu.jobs.jobs) == 1


def test_a_create_bedrock_refuses_leaves_no_input_behind(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str, moto_s3_url: str
) -> None:
    unknown = "anthropic.claude-sonnet-9-20990101-v1:0"  # well-formed, but no such model
    with pytest.raises(ModelNotFoundError, match="model identifier is invalid"):
        batch.create(_MANY, config(bucket), model=unknown)
    assert keys(moto_s3_url, bucket) == []


def test_async_jobs_do_not_block_the_event_loop(
    emu: BedrockEmulator, moto_s3_url: str, bucket: str
) -> None:
    twin = BatchTwin("async", emu, moto_s3_url)
    threads: set[str] = set()

    def prompts() -> Iterator[str]:  # consumed where the records are built and uploaded
        for number in range(200):
            threads.add(threading.current_thread().name)
            yield f"p{number}"

    async def scenario() -> int:
        job = await twin.jobs.create(prompts(), config(bucket), model=HAIKU)
        await job.wait(poll_interval=0.02, timeout=60)
        return len([result async for result in job.results()])

    try:
        assert twin.loop.run_until_complete(scenario()) == 200
    finally:
        twin.close()
    # Timings belong in benchmarks/: here, where the blocking work ran.
    assert threads and threading.main_thread().name not in threads


# --- stock boto3 against the emulated control plane -------------------------------------------


def stock_bedrock(emu: BedrockEmulator) -> Any:
    return boto3.client(
        "bedrock",
        region_name="us-east-1",
        endpoint_url=emu.endpoint_url,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )


def create_job(bedrock: Any, name: str, input_uri: str, output_uri: str, **extra: Any) -> Any:
    """CreateModelInvocationJob through stock boto3 (``model``: default Haiku 4.5)."""
    return bedrock.create_model_invocation_job(
        jobName=name,
        roleArn=BATCH_ROLE,
        modelId=extra.pop("model", HAIKU),
        inputDataConfig={"s3InputDataConfig": {"s3Uri": input_uri}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": output_uri}},
        **extra,
    )


def _write_input(url: str, bucket: str, key: str, count: int) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 20,
        "messages": [{"role": "user", "content": "Hello"}],
    }
    lines = [
        json.dumps({"recordId": f"CALL{number:07d}", "modelInput": body}) for number in range(count)
    ]
    s3_client(url).put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode())


def test_stock_boto3_reads_every_job_response(
    emu: BedrockEmulator, bucket: str, moto_s3_url: str
) -> None:
    _write_input(moto_s3_url, bucket, "in/a.jsonl", 120)
    bedrock = stock_bedrock(emu)
    emu.jobs.auto = False
    created = create_job(
        bedrock,
        "stock-boto3",
        f"s3://{bucket}/in/",
        f"s3://{bucket}/out",
        timeoutDurationInHours=48,
        tags=[{"key": "k", "value": "v"}],
    )
    arn = created["jobArn"]
    job_id = arn.rsplit("/", 1)[-1]
    assert len(job_id) == 12 and created["ResponseMetadata"]["HTTPStatusCode"] == 200

    got = bedrock.get_model_invocation_job(jobIdentifier=arn)
    assert got["status"] == "Submitted" and got["jobName"] == "stock-boto3"
    assert got["submitTime"].tzinfo is not None and got["timeoutDurationInHours"] == 48
    assert got["modelInvocationType"] == "InvokeModel"
    assert got["clientRequestToken"]  # boto3 fills the idempotency token in
    for _ in range(3):
        emu.jobs.advance(job_id)
    got = bedrock.get_model_invocation_job(jobIdentifier=job_id)
    assert (got["status"], got["totalRecordCount"], got["processedRecordCount"]) == (
        "InProgress",
        120,
        0,
    )

    other = create_job(bedrock, "second-job", f"s3://{bucket}/in/", f"s3://{bucket}/out2/")[
        "jobArn"
    ]
    listed = bedrock.list_model_invocation_jobs(maxResults=1)
    assert [job["jobArn"] for job in listed["invocationJobSummaries"]] == [other]
    pages = bedrock.get_paginator("list_model_invocation_jobs").paginate(
        PaginationConfig={"PageSize": 1}
    )
    assert [job["jobArn"] for page in pages for job in page["invocationJobSummaries"]] == [
        other,
        arn,
    ]
    in_progress = bedrock.list_model_invocation_jobs(statusEquals="InProgress")
    assert [job["jobArn"] for job in in_progress["invocationJobSummaries"]] == [arn]
    named = bedrock.list_model_invocation_jobs(nameContains="second", sortOrder="Ascending")
    assert [job["jobName"] for job in named["invocationJobSummaries"]] == ["second-job"]

    emu.jobs.advance(job_id)
    done = bedrock.get_model_invocation_job(jobIdentifier=arn)
    assert done["status"] == "Completed" and done["endTime"] >= done["submitTime"]
    assert (done["successRecordCount"], done["errorRecordCount"]) == (120, 0)
    assert (
        bedrock.stop_model_invocation_job(jobIdentifier=other)["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )
    assert bedrock.get_model_invocation_job(jobIdentifier=other)["status"] == "Stopped"

    with pytest.raises(ClientError) as missing:
        bedrock.get_model_invocation_job(jobIdentifier="abcdefabcdef")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(bedrock.exceptions.ValidationException, match="jobName"):
        create_job(bedrock, "-bad", f"s3://{bucket}/in/", f"s3://{bucket}/out/")
    with pytest.raises(bedrock.exceptions.ValidationException, match="can't be stopped"):
        bedrock.stop_model_invocation_job(jobIdentifier=arn)
    with pytest.raises(bedrock.exceptions.ValidationException, match="model identifier is invalid"):
        create_job(
            bedrock,
            "bad-model",
            f"s3://{bucket}/in/",
            f"s3://{bucket}/out/",
            model="anthropic.claude-nonexistent-v9:0",
        )


def test_output_files_match_the_documented_format(
    emu: BedrockEmulator, bucket: str, moto_s3_url: str
) -> None:
    _write_input(moto_s3_url, bucket, "in/part.jsonl", 100)
    emu.jobs.fail_record("CALL0000003", "ModelErrorException")
    bedrock = stock_bedrock(emu)
    arn = create_job(bedrock, "format", f"s3://{bucket}/in/", f"s3://{bucket}/out/")["jobArn"]
    deadline = time.monotonic() + 30
    while bedrock.get_model_invocation_job(jobIdentifier=arn)["status"] != "Completed":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    job_id = arn.rsplit("/", 1)[-1]
    s3 = s3_client(moto_s3_url)
    assert keys(moto_s3_url, bucket, "out/") == [
        f"out/{job_id}/manifest.json.out",
        f"out/{job_id}/part.jsonl.out",
    ]
    lines = [
        json.loads(line)
        for line in s3.get_object(Bucket=bucket, Key=f"out/{job_id}/part.jsonl.out")["Body"]
        .read()
        .splitlines()
    ]
    assert len(lines) == 100
    assert set(lines[0]) == {"recordId", "modelInput", "modelOutput"}
    assert (
        lines[0]["modelOutput"]["type"] == "message"
        and lines[0]["modelOutput"]["content"][0]["type"] == "text"
    )
    assert lines[3] == {
        "recordId": "CALL0000003",
        "modelInput": lines[3]["modelInput"],
        "error": {"errorCode": 424, "errorMessage": "The model returned an error."},
    }
    manifest = json.loads(
        s3.get_object(Bucket=bucket, Key=f"out/{job_id}/manifest.json.out")["Body"].read()
    )
    assert set(manifest) == {
        "totalRecordCount",
        "processedRecordCount",
        "successRecordCount",
        "errorRecordCount",
        "inputTokenCount",
        "outputTokenCount",
    }
    assert (
        manifest["totalRecordCount"],
        manifest["successRecordCount"],
        manifest["errorRecordCount"],
    ) == (100, 99, 1)
    assert manifest["outputTokenCount"] == sum(
        line["modelOutput"]["usage"]["output_tokens"] for line in lines if "modelOutput" in line
    )


def test_the_llm_submits_the_bodies_it_would_invoke_with(
    emu: BedrockEmulator,
    bucket: str,
    moto_s3_url: str,
    llm_factory: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # boto3's own endpoint settings point the LLM's control-plane and S3 clients.
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", emu.endpoint_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_s3_url)
    llm = llm_factory(model=f"us.{HAIKU}", max_tokens=64, system="Be terse.")
    prompts = [f"Summarize ticket {number}" for number in range(120)]
    job = llm.batch_jobs.create(prompts, config(bucket), stop=["\n\n"], temperature=0.2)
    llm.invoke(prompts[5], stop=["\n\n"], temperature=0.2)
    sent = emu.requests[-1].body
    key = keys(moto_s3_url, bucket, f"jobs/{job.info.job_name}/input/")[0]
    lines = s3_client(moto_s3_url).get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()
    assert lines[5] == b'{"recordId":"00000000005","modelInput":' + sent + b"}"

    job.wait(poll_interval=0.02, timeout=60)
    results = list(llm.batch_jobs.get(job.job_arn).results())
    assert [result.index for result in results] == list(range(120)) and all(
        result.ok for result in results
    )

    async def again() -> list[str | None]:
        attached = await llm.batch_jobs.aget(job.job_arn)
        return [result.text async for result in attached.results()]

    assert asyncio.run(again()) == [result.text for result in results]
    with pytest.raises(InvalidParameterError, match="at least 100"):
        llm.batch_jobs.create(prompts[:10], config(bucket))


def test_a_partially_completed_job_gives_what_it_processed(
    batch: BatchTwin, emu: BedrockEmulator, bucket: str
) -> None:
    emu.jobs.auto = False
    emu.fail_next("ServiceUnavailableException", operation="invoke")  # the first record run
    job = batch.create([f"p{number}" for number in range(200)], config(bucket))
    for _ in range(3):
        emu.jobs.advance(job.job_id)
    emu.jobs.advance(job.job_id, records=120)
    emu.jobs.finish(job.job_id, "PartiallyCompleted")  # out of time

    info = batch.wait(job)
    assert (info.status, info.processed_record_count, info.error_record_count) == (
        "PartiallyCompleted",
        120,
        1,
    )
    results = batch.results(job)
    assert isinstance(results[0].error, ServiceUnavailableError)
    assert all(result.ok for result in results[1:120])
    assert all(isinstance(result.error, RecordNotProcessedError) for result in results[120:])
    assert "PartiallyCompleted" in str(results[120].error)


def test_an_expired_job_has_no_results(batch: BatchTwin, emu: BedrockEmulator, bucket: str) -> None:
    emu.jobs.auto = False
    job = batch.create([f"p{number}" for number in range(100)], config(bucket))
    for _ in range(2):
        emu.jobs.advance(job.job_id)
    emu.jobs.finish(job.job_id, "Expired")
    assert batch.wait(job).status == "Expired"
    with pytest.raises(BatchJobError, match="is Expired; it has no results"):
        batch.results(job)


_RECORD = (
    '{"recordId":"r%d","modelInput":{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,'
    '"messages":[{"role":"user","content":"hi"}]}}\n'
)


@pytest.mark.parametrize(
    ("files", "setting", "message"),
    [
        ({"in/a.jsonl": "".join(_RECORD % n for n in range(60))}, {}, "minimum of 100 records"),
        (
            {"in/a.jsonl": "".join(_RECORD % n for n in range(120))},
            {"max_records_per_file": 100},
            "more than the 100 records per input file quota",
        ),
        (
            {
                "in/a.jsonl": "".join(_RECORD % n for n in range(60)),
                "in/b.jsonl": "".join(_RECORD % n for n in range(60)),
            },
            {"max_records_per_job": 100},
            "more than the 100 records per batch inference job quota",
        ),
        ({"in/a.jsonl": _RECORD % 1 + "{not json\n"}, {}, "line 2 is not JSON"),
        ({"in/a.jsonl": '{"recordId":"x"}\n'}, {}, "line 1 has no modelInput object"),
        ({"in/a.txt": _RECORD % 1}, {}, "No .jsonl files were found"),
    ],
)
def test_the_emulator_validates_the_input_as_bedrock_does(
    emu: BedrockEmulator,
    bucket: str,
    moto_s3_url: str,
    files: dict[str, str],
    setting: dict[str, int],
    message: str,
) -> None:
    s3 = s3_client(moto_s3_url)
    for key, body in files.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
    for name, value in setting.items():
        setattr(emu.jobs, name, value)
    emu.jobs.auto = False
    arn = create_job(stock_bedrock(emu), "validate", f"s3://{bucket}/in/", f"s3://{bucket}/out/")[
        "jobArn"
    ]
    assert emu.jobs.advance(arn) == "Validating"
    assert emu.jobs.advance(arn) == "Failed"
    got = stock_bedrock(emu).get_model_invocation_job(jobIdentifier=arn)
    assert got["status"] == "Failed" and message in got["message"]
    assert "endTime" in got and "totalRecordCount" not in got


def test_an_unreachable_bucket_fails_the_job(emu: BedrockEmulator, bucket: str) -> None:
    emu.jobs.auto = False
    arn = create_job(
        stock_bedrock(emu), "no-bucket", "s3://no-such-bucket-here/in/", f"s3://{bucket}/out/"
    )["jobArn"]
    emu.jobs.advance(arn)
    assert emu.jobs.advance(arn) == "Failed"
    assert "The specified bucket does not exist" in (emu.jobs.job(arn).message or "")


def test_a_client_with_batch_jobs_still_pickles_and_copies(
    emu: BedrockEmulator, moto_s3_url: str, bucket: str
) -> None:
    import copy
    import pickle

    twin = BatchTwin("sync", emu, moto_s3_url)
    try:
        job = twin.create(_MANY, config(bucket))
        twin.client.batch_jobs  # noqa: B018 (cached on the client)
        for copied in (pickle.loads(pickle.dumps(twin.jobs)), copy.deepcopy(twin.jobs)):
            assert copied.get(job.job_arn).job_arn == job.job_arn
        pickle.loads(pickle.dumps(twin.client))
        ready = BatchJobs(twin.client, bedrock_client=stock_bedrock(emu))
        with pytest.raises(TypeError, match="ready boto3 client"):
            pickle.dumps(ready)
    finally:
        twin.close()
