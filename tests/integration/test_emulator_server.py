"""The HTTP layer, the pytest fixture and the command line."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import langchain_bedrock_claude.testing as testing
from langchain_bedrock_claude.testing import BedrockEmulator, pytest_plugin
from langchain_bedrock_claude.testing.__main__ import main

# The plugin's fixtures (pytest loads them itself once the package is installed).
bedrock_emulator = pytest_plugin.bedrock_emulator
bedrock_emulator_session = pytest_plugin.bedrock_emulator_session
REPO = Path(__file__).resolve().parents[2]
AUTH = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/us-east-1/bedrock/"
    "aws4_request, SignedHeaders=host, Signature=00",
    "X-Amz-Date": "20250101T000000Z",
}
BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 5,
        "messages": [{"role": "user", "content": "hi"}],
    }
).encode()


def test_public_api() -> None:
    assert testing.__all__ == [
        "AuthScheme",
        "BedrockEmulator",
        "BedrockError",
        "EmulatedRequest",
        "Guardrail",
        "Headers",
        "Reply",
        "Responder",
        "StreamMode",
        "ToolCall",
    ]


def test_start_stop_and_free_port() -> None:
    emu = BedrockEmulator()
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.endpoint_url
    emu.start()
    try:
        url = urlsplit(emu.endpoint_url)
        assert url.hostname == "127.0.0.1" and url.port == emu.port > 0
        with socket.create_connection(("127.0.0.1", emu.port), timeout=5):
            pass
    finally:
        emu.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", url.port or 0), timeout=1):
        pass


def test_fixed_port_and_loopback_only() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with BedrockEmulator(port=port) as emu:
        assert emu.endpoint_url == f"http://127.0.0.1:{port}"
    with pytest.raises(ValueError, match="loopback"):
        BedrockEmulator(host="0.0.0.0")


def test_keep_alive_and_chunked(bedrock_emulator: BedrockEmulator) -> None:
    url = urlsplit(bedrock_emulator.endpoint_url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    try:
        for op in ("invoke", "invoke-with-response-stream", "invoke"):
            conn.request(
                "POST",
                f"/model/anthropic.claude-3-haiku-20240307-v1%3A0/{op}",
                body=BODY,
                headers=AUTH,
            )
            response = conn.getresponse()
            data = response.read()
            assert response.status == 200
            assert response.getheader("Connection") == "keep-alive"
            if op == "invoke":
                assert int(response.getheader("Content-Length") or 0) == len(data)
            else:
                assert response.getheader("Transfer-Encoding") == "chunked"
        # one TCP connection served all three
        assert len({r.headers["host"] for r in bedrock_emulator.requests}) == 1
    finally:
        conn.close()


def test_unknown_route_and_method(bedrock_emulator: BedrockEmulator) -> None:
    url = urlsplit(bedrock_emulator.endpoint_url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    try:
        conn.request("GET", "/model/x/invoke", headers=AUTH)
        response = conn.getresponse()
        assert response.status == 404 and response.getheader("x-amzn-ErrorType", "").startswith(
            "UnknownOperationException:"
        )
        response.read()
        conn.request("POST", "/guardrail/x/apply?v=1", body=b"{}", headers=AUTH)
        response = conn.getresponse()
        response.read()
        assert response.status == 404
        assert bedrock_emulator.requests[-1].query == {"v": ["1"]}
    finally:
        conn.close()


def test_fixture_resets_between_tests_first(bedrock_emulator: BedrockEmulator) -> None:
    assert bedrock_emulator.requests == []
    bedrock_emulator.reply("left over")
    bedrock_emulator.throttle(5)
    bedrock_emulator.legacy_end_of_life = False


def test_fixture_resets_between_tests_second(bedrock_emulator: BedrockEmulator) -> None:
    assert bedrock_emulator.requests == []
    assert bedrock_emulator.legacy_end_of_life  # strict again, as Bedrock is
    url = urlsplit(bedrock_emulator.endpoint_url)
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    try:
        conn.request(
            "POST",
            "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
            body=BODY,
            headers=AUTH,
        )
        response = conn.getresponse()
        assert response.status == 200 and b"left over" not in response.read()
    finally:
        conn.close()


def test_command_line_serves_until_terminated() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_bedrock_claude.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().strip()
        url = urlsplit(endpoint)
        assert url.scheme == "http" and url.hostname == "127.0.0.1" and url.port
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
        try:
            conn.request(
                "POST",
                "/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
                body=BODY,
                headers=AUTH,
            )
            assert conn.getresponse().status == 200
        finally:
            conn.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_main_rejects_non_loopback(capsys: pytest.CaptureFixture[str]) -> None:
    # A usage error since issue 12 (item 15): one line and status 2, not a ValueError.
    assert main(["--host", "10.0.0.1"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert "binds loopback addresses only" in err and "'10.0.0.1'" in err
