"""The recordings loader reads every format in the shared folder."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.recordings import RECORDINGS_DIR, Recording, load_recordings

pytestmark = pytest.mark.skipif(not RECORDINGS_DIR.is_dir(), reason="no shared recordings")


def test_loads_every_format() -> None:
    recs = load_recordings()
    kinds = Counter((r.operation, r.status) for r in recs)
    assert kinds[("invoke-with-response-stream", 200)] == 45
    assert kinds[("invoke", 200)] >= 80
    assert kinds[("count-tokens", 200)] >= 1 and kinds[("converse-stream", 200)] >= 1
    suffixes = {r.source.suffix for r in recs}
    assert {".yaml", ".json", ".har", ".httprr"} <= suffixes
    assert all(r.headers == {k.lower(): v for k, v in r.headers.items()} for r in recs)


def test_record_fields() -> None:
    by_name = {r.name: r for r in load_recordings()}
    stream = by_name[
        "dd-trace-js/bedrock-runtime_model_anthropic.claude-v2_1_invoke-with-response-stream_post_a5f92858.yaml#0"
    ]
    assert isinstance(stream, Recording)
    assert (stream.operation, stream.model_id, stream.status) == (
        "invoke-with-response-stream",
        "anthropic.claude-v2:1",
        200,
    )
    assert stream.is_event_stream and stream.body[4:8] == b"\x00\x00\x00\x4b"
    assert stream.request_json["max_tokens_to_sample"] == 512
    assert stream.body_json is None
    httprr = by_name["langchaingo/TestBedrockWithTools.httprr#0"]
    assert httprr.status == 403 and httprr.body_json == {
        "message": "You don't have access to the model with the specified model ID."
    }
    assert httprr.headers["x-amzn-errortype"].startswith("AccessDeniedException:")
    nock = by_name["openinference/should-handle-invoke-model-with-response-stream.json#0"]
    assert nock.model_id == "anthropic.claude-3-5-sonnet-20240620-v1:0" and nock.body[:4] != b"0000"
    vcr_binary = by_name["openllmetry/test_anthropic_3_completion_streaming.yaml#0"]
    assert (
        vcr_binary.model_id == "anthropic.claude-3-sonnet-20240229-v1:0"
        and vcr_binary.is_event_stream
    )
    pydantic = by_name["pydantic-ai/test_anthropic_bedrock_count_tokens_error.yaml#0"]
    assert pydantic.body_json == {"message": "The provided model doesn't support counting tokens."}


def test_missing_folder_gives_nothing(tmp_path: Path) -> None:
    assert load_recordings(tmp_path / "absent") == []


def test_synthetic_formats(tmp_path: Path) -> None:
    frame = bytes([0, 0, 0, 0x10, 0, 0, 0, 0, 0xE9, 0x80, 0xFF, 0x01, 0xC3, 0xA9, 0x00, 0x01])
    url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2%3A1/invoke"
    (tmp_path / "vcr.yaml").write_text(
        'interactions:\n- request:\n    body: \'{"prompt": "x"}\'\n    uri: '
        + url.replace("/invoke", "/invoke-with-response-stream")
        + '\n  response:\n    body:\n      string: "'
        + "".join(f"\\x{b:02x}" for b in frame)
        + '"\n    headers:\n      Content-Type: [application/vnd.amazon.eventstream]\n'
        "    status: {code: 200}\n",
        encoding="utf-8",
    )
    (tmp_path / "rr.httprr").write_bytes(
        b"httprr trace v1\n"
        + b"%d %d\n"
        % (
            len(b"POST " + url.encode() + b" HTTP/1.1\r\n\r\n{}"),
            len(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
            ),
        )
        + b"POST "
        + url.encode()
        + b" HTTP/1.1\r\n\r\n{}"
        + b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    )
    (tmp_path / "ignored.json").write_text(
        '[{"scope": "https://example.com:443", "path": "/x", "status": 200}]'
    )
    rr, vcr = load_recordings(tmp_path)  # sorted by file name
    assert (vcr.operation, vcr.model_id, vcr.body) == (
        "invoke-with-response-stream",
        "anthropic.claude-v2:1",
        frame,
    )
    assert vcr.request_json == {"prompt": "x"}
    assert (rr.operation, rr.status, rr.body, rr.request_body) == ("invoke", 200, b"{}", b"{}")
