"""The emulator against the recorded real service: same headers, events and key orders."""

from __future__ import annotations

import base64
import http.client
import json
import re
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from botocore.eventstream import EventStreamBuffer

from langchain_bedrock_claude.testing import BedrockEmulator
from tests.recordings import RECORDINGS_DIR, Recording, load_recordings

pytestmark = pytest.mark.skipif(not RECORDINGS_DIR.is_dir(), reason="no shared recordings")

RECORDINGS = load_recordings()
AUTH = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/"
    "aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd",
    "X-Amz-Date": "20250101T000000Z",
    "Content-Type": "application/json",
}
# Headers whose presence depends on the recorder or the connection, not on Bedrock.
VOLATILE = {"date", "content-length", "connection", "set-cookie", "transfer-encoding"}
CACHE_HEADERS = {
    "x-amzn-bedrock-cache-read-input-token-count",
    "x-amzn-bedrock-cache-write-input-token-count",
}
# Serializers that store bodies as parsed YAML with sorted keys: order is not the wire's.
SORTED_SOURCES = {"pydantic-ai"}
STREAM_PATTERN = re.compile(
    r"message_start (content_block_start (content_block_delta )*content_block_stop )+"
    r"message_delta message_stop"
)


@pytest.fixture(scope="module")
def emu() -> Iterator[BedrockEmulator]:
    # The recordings are other accounts' traffic (their thinking signatures are not this
    # emulator's) and partly from before the legacy models' retirement: replaying them needs
    # the two loosening knobs; everything else is as strict as Bedrock.
    with BedrockEmulator(legacy_end_of_life=False, verify_signatures=False) as emulator:
        yield emulator


def send(
    emu: BedrockEmulator, op: str, model_id: str, body: bytes
) -> tuple[int, dict[str, str], bytes]:
    url = urlsplit(emu.endpoint_url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        conn.request("POST", f"/model/{quote(model_id, safe='')}/{op}", body=body, headers=AUTH)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def is_claude(rec: Recording) -> bool:
    return "anthropic.claude" in rec.model_id


def is_historic(rec: Recording) -> bool:
    """Recorded before 2025: Bedrock's shapes have changed since (no "p", legacy "type")."""
    date = rec.headers.get("date")
    return date is not None and parsedate_to_datetime(date).year < 2025


def ids(recs: list[Recording]) -> list[str]:
    return [r.name for r in recs]


def events(body: bytes) -> list[tuple[list[tuple[str, Any]], dict[str, Any], dict[str, Any]]]:
    """(frame headers, payload JSON, inner event) per frame."""
    buffer = EventStreamBuffer()
    buffer.add_data(body)
    out = []
    for message in buffer:
        payload = json.loads(message.payload)
        inner = json.loads(base64.b64decode(payload["bytes"]))
        out.append((list(message.headers.items()), payload, inner))
    return out


def shape(value: Any) -> Any:
    """Nested key order of dicts (first element of lists); scalars vanish."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [shape(value[0])]
    return None


def key_sets(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: key_sets(item) for key, item in sorted(value.items())}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [key_sets(value[0])]
    return None


def has_cache_control(body: Any) -> bool:
    return '"cache_control"' in json.dumps(body)


def emulate_body(rec: Recording) -> bytes:
    body = rec.request_json
    assert isinstance(body, dict), "the recording keeps its request body"
    return json.dumps(body).encode()


INVOKES = [
    r
    for r in RECORDINGS
    if r.operation == "invoke" and r.status == 200 and is_claude(r) and r.request_json
]
STREAMS = [
    r
    for r in RECORDINGS
    if r.operation == "invoke-with-response-stream"
    and r.status == 200
    and is_claude(r)
    and r.request_json
]


def test_recordings_cover_both_apis_and_families() -> None:
    models = {r.model_id for r in INVOKES + STREAMS}
    assert len(STREAMS) >= 40 and len(INVOKES) >= 60
    assert any("claude-v2" in m for m in models)
    assert any("haiku-4-5" in m for m in models)
    assert any("sonnet-4-2" in m for m in models)


def check_headers(rec: Recording, headers: dict[str, str]) -> None:
    recorded = set(rec.headers) - VOLATILE
    emulated = set(headers) - VOLATILE
    if not has_cache_control(rec.request_json):
        recorded -= CACHE_HEADERS  # optional without caching (see the recordings' README)
    assert recorded <= emulated, f"missing headers {recorded - emulated}"
    if "x-amzn-requestid" in rec.headers:  # a recorder that kept every header
        assert emulated <= set(rec.headers) | CACHE_HEADERS, f"extra {emulated - set(rec.headers)}"


def check_keys(rec: Recording, recorded: Any, emulated: Any) -> None:
    if rec.source.parent.name in SORTED_SOURCES:
        assert key_sets(emulated) == key_sets(recorded)
    elif is_historic(rec):
        # Older shapes: same keys, but legacy bodies lacked "type" and early claude-3 had
        # another order; the emulator imitates today's service.
        assert set(key_sets(recorded)) <= set(key_sets(emulated))
    else:
        assert shape(emulated) == shape(recorded)


@pytest.mark.parametrize("rec", INVOKES, ids=ids(INVOKES))
def test_invoke_matches_recording(emu: BedrockEmulator, rec: Recording) -> None:
    status, headers, body = send(emu, "invoke", rec.model_id, emulate_body(rec))
    assert status == 200, body
    check_headers(rec, headers)
    assert headers["content-type"] == "application/json"
    recorded, emulated = rec.body_json, json.loads(body)
    assert body == json.dumps(emulated, separators=(",", ":"), ensure_ascii=False).encode()
    if "content" in recorded:
        # The text differs, so compare everything but content, and the content's last block:
        # a forced tool_choice ends in a tool call, as recorded; otherwise the emulator answers
        # with text (it calls a tool unforced only when the prompt names it).
        forced = (rec.request_json.get("tool_choice") or {}).get("type") in ("tool", "any")
        recorded_content = recorded["content"]
        recorded = {k: v for k, v in recorded.items() if k != "content"}
        emulated_content = emulated.pop("content")
        if forced:
            assert recorded_content[-1]["type"] == "tool_use"
        assert emulated_content[-1]["type"] == ("tool_use" if forced else "text")
        if not is_historic(rec) and "claude-3-sonnet-28k" not in json.dumps(recorded):
            assert emulated["model"] == recorded["model"]
    check_keys(rec, recorded, emulated)


def stream_types(evs: list[tuple[Any, Any, dict[str, Any]]]) -> str:
    return "".join(inner.get("type", "completion") + " " for _, _, inner in evs).strip()


@pytest.mark.parametrize("rec", STREAMS, ids=ids(STREAMS))
def test_stream_matches_recording(emu: BedrockEmulator, rec: Recording) -> None:
    status, headers, body = send(
        emu, "invoke-with-response-stream", rec.model_id, emulate_body(rec)
    )
    assert status == 200, body
    check_headers(rec, headers)
    assert headers["transfer-encoding"] == "chunked"
    recorded, emulated = events(rec.body), events(body)
    assert [h for h, _, _ in emulated] == [recorded[0][0]] * len(emulated)
    assert all(
        ("p" in payload) == ("p" in recorded[0][1]) or is_historic(rec)
        for _, payload, _ in emulated
    )
    assert all(next(iter(payload)) == "bytes" for _, payload, _ in emulated)
    rec_types, emu_types = stream_types(recorded), stream_types(emulated)
    if recorded[0][2].get("type") == "message_start":
        assert STREAM_PATTERN.fullmatch(rec_types), rec_types
        assert STREAM_PATTERN.fullmatch(emu_types), emu_types
        by_type = {inner["type"]: inner for _, _, inner in emulated}
        first_text_start = next(
            inner for _, _, inner in emulated if inner["type"] == "content_block_start"
        )
        for _, _, inner in recorded:
            kind = inner["type"]
            if kind == "content_block_start":
                if inner["content_block"]["type"] != first_text_start["content_block"]["type"]:
                    continue
                check_keys(rec, inner, first_text_start)
            elif kind == "content_block_delta":
                if inner["delta"]["type"] != "text_delta":
                    continue
                check_keys(rec, inner, by_type[kind])
            else:
                check_keys(rec, inner, by_type[kind])
        if not is_historic(rec) and "28k" not in json.dumps(recorded[0][2]):
            assert (
                by_type["message_start"]["message"]["model"] == recorded[0][2]["message"]["model"]
            )
        metrics = by_type["message_stop"]["amazon-bedrock-invocationMetrics"]
        assert list(metrics)[:4] == [
            "inputTokenCount",
            "outputTokenCount",
            "invocationLatency",
            "firstByteLatency",
        ]
    else:  # legacy Text Completions
        assert set(rec_types.split()) == set(emu_types.split()) == {"completion"}
        if len(recorded) > 1:  # claude-instant-v1 once sent its metrics chunk alone
            check_keys(rec, recorded[0][2], emulated[0][2])
        check_keys(rec, recorded[-1][2], emulated[-1][2])
        assert "amazon-bedrock-invocationMetrics" not in emulated[-2][2]
        assert emulated[-1][2]["stop"] == recorded[-1][2]["stop"] == "\n\nHuman:"


# -- errors ------------------------------------------------------------------------------

ERRORS = [
    r
    for r in RECORDINGS
    if r.status >= 400 and r.operation in ("invoke", "invoke-with-response-stream", "count-tokens")
]


def recorded_message(rec: Recording) -> str:
    message = rec.body_json["message"]
    assert isinstance(message, str)
    return message


@pytest.mark.parametrize("rec", ERRORS, ids=ids(ERRORS))
def test_error_matches_recording(emu: BedrockEmulator, rec: Recording) -> None:
    error_type = rec.headers.get("x-amzn-errortype", "")
    message = recorded_message(rec)
    if message == "The provided model identifier is invalid." and (
        "anthropic.claude" in rec.model_id
    ):
        pytest.skip("an account-specific refusal of a model the emulator serves")
    if rec.status == 403:
        name = error_type.split(":")[0]
        emu.fail_next(name)
    body = (
        rec.request_body
        or b'{"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}'
    )
    status, headers, answer = send(emu, rec.operation, rec.model_id, body)
    assert status == rec.status
    if error_type:
        assert headers["x-amzn-errortype"] == error_type
    assert headers["content-type"] == "application/json"
    if not message.startswith("Signature expired"):
        assert json.loads(answer) == {"message": message}
        if rec.body.startswith(b'{"message":'):
            assert answer == rec.body
    check_headers(rec, headers)


def test_count_tokens_answers_like_recording(emu: BedrockEmulator) -> None:
    ok = [r for r in RECORDINGS if r.operation == "count-tokens" and r.status == 200]
    assert ok
    for rec in ok:
        status, headers, body = send(emu, "count-tokens", rec.model_id, rec.request_body or b"")
        assert status == 200, (rec.name, body)
        assert list(json.loads(body)) == list(rec.body_json) == ["inputTokens"]
        assert set(rec.headers) - VOLATILE <= set(headers)
