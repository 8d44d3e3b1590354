"""The emulator as a server under hostile input: every request gets an answer, nothing holds it.

Raw sockets send what no well-behaved client would; stock boto3 checks it still reads the
answers. Timeouts are shortened per test; the defaults are pinned separately.
"""

from __future__ import annotations

import inspect
import json
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from langchain_bedrock_claude.testing import BedrockEmulator, pytest_plugin
from langchain_bedrock_claude.testing._emulator import BODY_TOO_LARGE_MESSAGE, MAX_BODY_BYTES
from langchain_bedrock_claude.testing._request import REQUEST_LOG_BYTES, REQUEST_LOG_SIZE

from .conftest import sigv4_boto3

bedrock_emulator = pytest_plugin.bedrock_emulator
bedrock_emulator_session = pytest_plugin.bedrock_emulator_session

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
PATH = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke"
AUTH = (
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/"
    "aws4_request, SignedHeaders=host, Signature=00\r\nX-Amz-Date: 20250101T000000Z\r\n"
)
ERROR_TYPE_PREFIX = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"


def messages_body(**fields: Any) -> dict[str, Any]:
    return {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "hi"}],
        **fields,
    }


def request_bytes(body: bytes, extra_headers: str = "", version: str = "HTTP/1.1") -> bytes:
    head = f"POST {PATH} {version}\r\nHost: emulator\r\n{AUTH}{extra_headers}"
    return head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body


VALID = request_bytes(json.dumps(messages_body()).encode())


class Response:
    """One HTTP response read off a raw socket."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self) -> Any:
        return json.loads(self.body)


def read_response(sock: socket.socket) -> Response:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"the server closed the connection without an answer: {buffer!r}")
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            break
        rest += data
    return Response(int(lines[0].split(" ")[1]), headers, rest[:length])


def exchange(port: int, raw: bytes, timeout: float = 10) -> Response:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        return read_response(sock)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (EOF or reset), waiting up to its timeout."""
    try:
        while sock.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return True


def assert_serves(port: int) -> None:
    response = exchange(port, VALID)
    assert response.status == 200 and response.json["content"][0]["type"] == "text"


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails the test if anything logged a traceback (asyncio's 'Unhandled exception')."""
    caplog.set_level(logging.DEBUG, logger="asyncio")
    yield
    leaked = [r for r in caplog.records if r.name == "asyncio" or r.exc_info]
    assert not leaked, [r.getMessage() for r in leaked]


# -- item 13: malformed input gets a Bedrock-shaped 4xx --------------------------------------

MALFORMED_HTTP = {
    "a garbage request line": b"GARBAGE\r\n\r\n",
    "a negative Content-Length": (
        f"POST {PATH} HTTP/1.1\r\nHost: e\r\n{AUTH}Content-Length: -5\r\n\r\n".encode()
    ),
    "a Content-Length that is not a number": (
        f"POST {PATH} HTTP/1.1\r\nHost: e\r\n{AUTH}Content-Length: abc\r\n\r\n".encode()
    ),
    "two different Content-Lengths": (
        f"POST {PATH} HTTP/1.1\r\nHost: e\r\n{AUTH}Content-Length: 2\r\nContent-Length: 3\r\n"
        "\r\n{}".encode()
    ),
    "a chunk size that is not hex": (
        f"POST {PATH} HTTP/1.1\r\nHost: e\r\n{AUTH}Transfer-Encoding: chunked\r\n\r\nzz\r\n".encode()
    ),
}


@pytest.mark.parametrize("raw", MALFORMED_HTTP.values(), ids=MALFORMED_HTTP.keys())
def test_malformed_http_gets_a_bedrock_shaped_400_and_the_server_stays_up(
    bedrock_emulator: BedrockEmulator, raw: bytes, no_tracebacks: None
) -> None:
    response = exchange(bedrock_emulator.port, raw)
    assert response.status == 400
    assert response.headers["x-amzn-errortype"] == ERROR_TYPE_PREFIX
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-requestid"]
    assert response.headers["connection"] == "close"
    assert response.json["message"].startswith("Bad request: ")
    assert_serves(bedrock_emulator.port)


def test_equal_repeated_content_lengths_are_one_length(bedrock_emulator: BedrockEmulator) -> None:
    body = json.dumps(messages_body()).encode()
    twice = request_bytes(body, f"Content-Length: {len(body)}\r\n")
    assert exchange(bedrock_emulator.port, twice).status == 200


BAD_BODIES = {
    "tools is not a list": (
        json.dumps(messages_body(tools=True)).encode(),
        "#/tools: expected type: JSONArray, found: Boolean",
    ),
    "a message is not an object": (
        json.dumps(messages_body(messages=[1])).encode(),
        "#/messages/0: expected type: JSONObject, found: Integer",
    ),
    "a lone surrogate": (
        # json.dumps writes the unpaired half as the escape \ud800, as a client would send it.
        json.dumps(messages_body(messages=[{"role": "user", "content": "\ud800"}])).encode(),
        "#: expected type: JSONObject, found: text that is not a JSON object",
    ),
    "100,000 nested arrays": (
        b'{"anthropic_version":"bedrock-2023-05-31","max_tokens":5,"messages":'
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}",
        "#: expected type: JSONObject, found: text that is not a JSON object",
    ),
}


@pytest.mark.parametrize(("body", "problem"), BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bodies_that_crashed_the_emulator_get_a_validation_error(
    bedrock_emulator: BedrockEmulator, body: bytes, problem: str, no_tracebacks: None
) -> None:
    client = sigv4_boto3(bedrock_emulator, read_timeout=20)
    with pytest.raises(ClientError) as caught:
        client.invoke_model(modelId=HAIKU, body=body)
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert problem in error["Error"]["Message"]
    assert len(bedrock_emulator.requests) == 1  # answered once: nothing for a client to retry
    assert_serves(bedrock_emulator.port)


def test_an_emulator_failure_is_a_500_internal_server_exception(
    bedrock_emulator: BedrockEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    bedrock_emulator.set_responder(lambda request: 42)  # type: ignore[arg-type, return-value]
    client = sigv4_boto3(bedrock_emulator, read_timeout=20)
    with (
        caplog.at_level(logging.WARNING, logger="langchain_bedrock_claude.testing"),
        pytest.raises(ClientError) as caught,
    ):
        client.invoke_model(modelId=HAIKU, body=json.dumps(messages_body()))
    error = caught.value.response
    assert error["Error"]["Code"] == "InternalServerException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "The system encountered an unexpected error" in error["Error"]["Message"]
    assert error["ResponseMetadata"]["RequestId"]
    warnings = [r for r in caplog.records if r.name == "langchain_bedrock_claude.testing"]
    assert len(warnings) == 1 and "handler failed" in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
    bedrock_emulator.set_responder(None)
    assert_serves(bedrock_emulator.port)


# -- item 14: timeouts, connection limits, the request log, body size, HTTP/1.0 ---------------


def test_the_limits_default_to_their_documented_values() -> None:
    parameters = inspect.signature(BedrockEmulator).parameters
    assert parameters["header_timeout"].default == 10.0
    assert parameters["body_timeout"].default == 10.0
    assert parameters["idle_timeout"].default == 60.0
    # A half-sent request is let go within 20 s, whichever half it is stuck in.
    assert parameters["header_timeout"].default + parameters["body_timeout"].default <= 20
    assert parameters["request_log_size"].default == REQUEST_LOG_SIZE == 1000
    assert parameters["request_log_bytes"].default == REQUEST_LOG_BYTES == 32 * 1024 * 1024
    assert MAX_BODY_BYTES == 25_000_000  # botocore's InvokeModelRequest.body max


def test_half_sent_requests_are_closed_after_the_header_and_body_timeouts() -> None:
    with BedrockEmulator(header_timeout=0.5, body_timeout=0.5) as emu:
        socks = []
        try:
            for index in range(40):
                sock = socket.create_connection(("127.0.0.1", emu.port), timeout=5)
                if index % 4 == 0:
                    pass  # connected, sent nothing
                elif index % 4 == 1:
                    sock.sendall(f"POST {PATH} HTTP/1.1\r\nHost: e\r\n".encode())  # half a head
                else:  # a whole head, a tenth of the body
                    sock.sendall(request_bytes(b"x" * 100)[:-90])
                socks.append(sock)
            started = time.monotonic()
            for sock in socks:
                assert closed_by_server(sock)
            assert time.monotonic() - started < 3
            assert_serves(emu.port)
        finally:
            for sock in socks:
                sock.close()


def test_a_slow_body_that_keeps_coming_is_not_cut() -> None:
    with BedrockEmulator(body_timeout=1.0) as emu:
        raw = request_bytes(json.dumps(messages_body()).encode())
        head_end = raw.index(b"\r\n\r\n") + 4
        with socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock:
            sock.sendall(raw[:head_end])
            assert len(raw) - head_end > 100  # over 2 s in all, 0.1 s between pieces
            for offset in range(head_end, len(raw), 5):
                time.sleep(0.1)
                sock.sendall(raw[offset : offset + 5])
            assert read_response(sock).status == 200


def test_idle_keep_alive_connections_are_closed() -> None:
    with (
        BedrockEmulator(idle_timeout=0.5) as emu,
        socket.create_connection(("127.0.0.1", emu.port), timeout=5) as sock,
    ):
        for _ in range(2):  # answers go on while the client keeps asking
            sock.sendall(VALID)
            assert read_response(sock).status == 200
            time.sleep(0.2)
        started = time.monotonic()  # it outlived 0.2 s idle twice; now it must go
        assert closed_by_server(sock)
        assert time.monotonic() - started < 3


def test_a_body_over_bedrocks_limit_gets_a_413_the_client_can_read(
    bedrock_emulator: BedrockEmulator, no_tracebacks: None
) -> None:
    size = 50 * 1024 * 1024
    head = f"POST {PATH} HTTP/1.1\r\nHost: e\r\n{AUTH}Content-Length: {size}\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", bedrock_emulator.port), timeout=20) as sock:
        sock.sendall(head)
        sock.sendall(b" " * size)  # all of it before reading, as urllib3 does
        response = read_response(sock)
    assert response.status == 413
    assert response.headers["x-amzn-errortype"] == ERROR_TYPE_PREFIX
    assert response.json == {"message": BODY_TOO_LARGE_MESSAGE}
    assert bedrock_emulator.requests == []  # not kept
    assert_serves(bedrock_emulator.port)


def test_stock_boto3_reads_the_413_as_bedrocks_validation_exception(
    bedrock_emulator: BedrockEmulator,
) -> None:
    client = sigv4_boto3(bedrock_emulator, read_timeout=20)
    fits = json.dumps(messages_body()).encode()
    fits += b" " * (MAX_BODY_BYTES - len(fits))  # exactly the limit: accepted
    assert (
        client.invoke_model(modelId=HAIKU, body=fits)["ResponseMetadata"]["HTTPStatusCode"] == 200
    )
    with pytest.raises(ClientError) as caught:
        client.invoke_model(modelId=HAIKU, body=fits + b" ")
    error = caught.value.response
    assert error["Error"] == {"Code": "ValidationException", "Message": BODY_TOO_LARGE_MESSAGE}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_a_chunked_body_over_the_limit_gets_a_413(bedrock_emulator: BedrockEmulator) -> None:
    piece = b" " * (1024 * 1024)
    # 60 MiB: far more than socket buffers hold, so the client gets the 413 only if the
    # emulator reads the whole body.
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(60)) + b"0\r\n\r\n"
    head = f"POST {PATH} HTTP/1.1\r\nHost: e\r\n{AUTH}Transfer-Encoding: chunked\r\n\r\n"
    response = exchange(bedrock_emulator.port, head.encode() + chunks, timeout=20)
    assert response.status == 413 and response.json == {"message": BODY_TOO_LARGE_MESSAGE}


def test_the_request_log_keeps_the_newest_requests_within_its_byte_bound() -> None:
    body = json.dumps(messages_body()).encode()
    body += b" " * (1024 * 1024 - len(body))  # 1 MiB each
    with BedrockEmulator() as emu, socket.create_connection(("127.0.0.1", emu.port)) as sock:
        sent = REQUEST_LOG_BYTES // len(body) + 8
        for _ in range(sent):
            sock.sendall(request_bytes(body))
            assert read_response(sock).status == 200
        kept = emu.requests
        assert emu.request_count == sent
        assert sum(len(r.body) for r in kept) <= REQUEST_LOG_BYTES
        assert len(kept) == REQUEST_LOG_BYTES // len(body)
        emu.reset()
        assert emu.requests == [] and emu.request_count == 0


def test_the_request_log_keeps_the_newest_requests_within_its_count_bound() -> None:
    with BedrockEmulator(request_log_size=3) as emu:
        for tokens in range(1, 6):
            raw = request_bytes(json.dumps(messages_body(max_tokens=tokens)).encode())
            assert exchange(emu.port, raw).status == 200
        assert [r.json["max_tokens"] for r in emu.requests] == [3, 4, 5]
        assert emu.request_count == 5
    with pytest.raises(ValueError, match="request_log_size"):
        BedrockEmulator(request_log_size=0)


@pytest.mark.parametrize(
    ("version", "connection", "closes"),
    [
        ("HTTP/1.0", "", True),
        ("HTTP/1.0", "Connection: keep-alive\r\n", False),
        ("HTTP/1.1", "Connection: close\r\n", True),
        ("HTTP/1.1", "", False),
    ],
)
def test_connections_close_after_the_answer_when_http_says_so(
    bedrock_emulator: BedrockEmulator, version: str, connection: str, closes: bool
) -> None:
    raw = request_bytes(json.dumps(messages_body()).encode(), connection, version)
    with socket.create_connection(("127.0.0.1", bedrock_emulator.port), timeout=1) as sock:
        sock.sendall(raw)
        response = read_response(sock)
        assert response.status == 200
        assert response.headers["connection"] == ("close" if closes else "keep-alive")
        assert closed_by_server(sock) is closes
