"""The pure layer of batch jobs: quotas and file splitting, record ids, errors, polling."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from langchain_bedrock_claude import (
    AccessDeniedError,
    APIStatusError,
    BatchJobTimeoutError,
    ContextOverflowError,
    InvalidParameterError,
    ModelError,
    ModelNotFoundError,
    ModelTimeoutError,
    ServiceError,
    ServiceUnavailableError,
    ThrottlingError,
    ValidationError,
)
from langchain_bedrock_claude._batch_format import (
    BatchJobInfo,
    BatchQuotas,
    BatchResult,
    FilePlan,
    index_of,
    parse_s3_uri,
    record_error,
    record_id,
    record_line,
)
from langchain_bedrock_claude._batch_jobs import next_poll

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"


def _plan(quotas: BatchQuotas, sizes: list[int]) -> FilePlan:
    plan = FilePlan(quotas)
    for size in sizes:
        plan.add(size)
    return plan


@pytest.mark.parametrize(
    ("quotas", "sizes", "files"),
    [
        (BatchQuotas(), [10] * 100, [(100, 1000)]),
        (BatchQuotas(max_records_per_file=40), [10] * 100, [(40, 400), (40, 400), (20, 200)]),
        (BatchQuotas(max_bytes_per_file=25), [10] * 5, [(2, 20), (2, 20), (1, 10)]),
        (BatchQuotas(max_bytes_per_file=25), [20, 5, 20], [(2, 25), (1, 20)]),
    ],
)
def test_records_are_split_across_files_within_the_quotas(
    quotas: BatchQuotas, sizes: list[int], files: list[tuple[int, int]]
) -> None:
    assert _plan(quotas, sizes).files == files


@pytest.mark.parametrize(
    ("quotas", "sizes", "message"),
    [
        (BatchQuotas(max_records_per_job=3), [1] * 4, "at most 3 records"),
        (BatchQuotas(max_bytes_per_job=30), [10] * 4, "job size quota of 30 bytes"),
        (BatchQuotas(max_bytes_per_file=9), [10], "Record 0 is 10 bytes"),
    ],
)
def test_a_job_over_a_quota_is_refused(quotas: BatchQuotas, sizes: list[int], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        _plan(quotas, sizes)


def test_the_minimum_is_checked_when_the_records_are_all_in() -> None:
    plan = _plan(BatchQuotas(), [10] * 99)
    with pytest.raises(InvalidParameterError, match=r"at least 100 records \(got 99\)"):
        plan.finish()
    plan.add(10)
    plan.finish()


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "100"])
def test_quotas_must_be_positive_integers(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="min_records_per_job"):
        BatchQuotas(min_records_per_job=value)  # type: ignore[arg-type]


def test_record_ids_give_the_input_order_back() -> None:
    assert record_id(42) == "00000000042"
    assert index_of("00000000042") == 42
    assert [index_of(other) for other in ("CALL0000001", "42", 42, None, "0000000004x")] == [
        None
    ] * 5
    assert record_line(3, b'{"a":1}') == b'{"recordId":"00000000003","modelInput":{"a":1}}\n'


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://bucket", ("bucket", "")),
        ("s3://bucket/", ("bucket", "")),
        ("s3://my.bucket-1/a/b", ("my.bucket-1", "a/b/")),
        ("s3://bucket/a/b/", ("bucket", "a/b/")),
    ],
)
def test_s3_uris(uri: str, expected: tuple[str, str]) -> None:
    assert parse_s3_uri(uri, "s3_uri") == expected


@pytest.mark.parametrize(
    "uri", ["bucket/a", "s3://B/a", "s3://a", "s3://bucket/a b", "s3://" + "b" * 64]
)
def test_bad_s3_uris(uri: str) -> None:
    with pytest.raises(InvalidParameterError, match="'s3_uri'"):
        parse_s3_uri(uri, "s3_uri")


@pytest.mark.parametrize(
    ("error", "cls", "status"),
    [
        ({"errorCode": 400, "errorMessage": "bad request"}, ValidationError, 400),
        ({"errorCode": 403, "errorMessage": "denied"}, AccessDeniedError, 403),
        ({"errorCode": 404, "errorMessage": "no model"}, ModelNotFoundError, 404),
        ({"errorCode": 408, "errorMessage": "slow"}, ModelTimeoutError, 408),
        ({"errorCode": 424, "errorMessage": "model failed"}, ModelError, 424),
        ({"errorCode": 429, "errorMessage": "throttled"}, ThrottlingError, 429),
        ({"errorCode": 500, "errorMessage": "oops"}, ServiceError, 500),
        ({"errorCode": 503, "errorMessage": "down"}, ServiceUnavailableError, 503),
        ({"errorCode": 502, "errorMessage": "gateway"}, ServiceError, 502),
        ({"errorCode": 418, "errorMessage": "teapot"}, APIStatusError, 418),
        (
            {"errorCode": 400, "errorMessage": "prompt is too long: 9 tokens > 8 maximum"},
            ContextOverflowError,
            400,
        ),
        ({"errorCode": "429", "errorMessage": "as text"}, ThrottlingError, 429),
        ({"errorCode": "ThrottlingException", "errorMessage": "by name"}, ThrottlingError, None),
    ],
)
def test_record_errors_are_typed_like_on_demand_errors(
    error: dict[str, object], cls: type[Exception], status: int | None
) -> None:
    typed = record_error(error, HAIKU)
    assert type(typed) is cls
    assert typed.status_code == status and typed.model_id == HAIKU
    assert str(error["errorMessage"]) in typed.message


def test_a_record_with_neither_output_nor_error_is_an_error_not_a_blank() -> None:
    result = BatchResult.from_record(0, {"recordId": "00000000000", "modelInput": {}}, HAIKU)
    assert not result.ok and isinstance(result.error, ServiceError)
    assert "neither modelOutput nor error" in str(result.error)


def test_a_record_output_is_read_as_a_completion() -> None:
    output = {
        "id": "msg_bdrk_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5-20251001",
        "content": [{"type": "text", "text": "Paris."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 3},
    }
    result = BatchResult.from_record(7, {"recordId": "00000000007", "modelOutput": output}, HAIKU)
    assert result.ok and result.text == "Paris." and result.index == 7
    assert result.completion is not None and result.completion.stop_reason == "end_turn"
    assert result.completion.usage is not None and result.completion.usage.input_tokens == 12
    assert result.to_dict()["usage"]["output_tokens"] == 3


_INFO = BatchJobInfo(
    job_arn="arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abcdefabcdef",
    job_name="j",
    status="InProgress",
    model_id=HAIKU,
    input_s3_uri="s3://b/in/",
    output_s3_uri="s3://b/out/",
)


def test_polling_decisions() -> None:
    assert _INFO.job_id == "abcdefabcdef"
    assert next_poll(_INFO, None, 30.0) == 30.0
    assert next_poll(replace(_INFO, status="Completed"), time.monotonic() - 1, 30.0) is None
    soon = next_poll(_INFO, time.monotonic() + 1.0, 30.0)
    assert soon is not None and 0.5 < soon <= 1.0
    with pytest.raises(BatchJobTimeoutError, match="still InProgress"):
        next_poll(_INFO, time.monotonic() - 0.01, 30.0)
