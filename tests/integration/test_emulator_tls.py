"""HTTPS and Bedrock API keys: stock boto3 with AWS_BEARER_TOKEN_BEDROCK against the emulator."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError, InvalidEndpointConfigurationError, SSLError

from langchain_bedrock_claude.testing import BedrockEmulator

from .conftest import API_KEY, NO_RETRIES, bearer_client

REPO = Path(__file__).resolve().parents[2]
HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"
BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "Hello"}],
    }
)


@pytest.fixture
def emu(bedrock_emulator_tls: BedrockEmulator) -> BedrockEmulator:
    return bedrock_emulator_tls


def test_invoke_and_stream_over_https_with_a_bearer_token(
    emu: BedrockEmulator, client: Any
) -> None:
    assert emu.tls and emu.endpoint_url.startswith("https://127.0.0.1:")
    emu.reply("Hi there", times=2)
    answer = json.loads(client.invoke_model(modelId=HAIKU_3, body=BODY)["body"].read())
    assert answer["content"][0]["text"] == "Hi there"
    events = client.invoke_model_with_response_stream(modelId=HAIKU_3, body=BODY)["body"]
    chunks = [json.loads(event["chunk"]["bytes"]) for event in events]
    assert chunks[-1]["type"] == "message_stop"
    sent = emu.requests
    assert [r.auth_scheme for r in sent] == ["bearer", "bearer"]
    assert sent[0].bearer_token == API_KEY
    assert sent[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_unlisted_api_key_gets_bedrocks_403(emu: BedrockEmulator, client: Any) -> None:
    emu.set_api_keys(["some-other-key"])
    with pytest.raises(ClientError) as caught:
        client.invoke_model(modelId=HAIKU_3, body=BODY)
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert error["Error"]["Message"] == (
        "Authentication failed: Please make sure your API Key is valid."
    )
    with pytest.raises(ClientError, match="API Key is valid"):
        list(client.invoke_model_with_response_stream(modelId=HAIKU_3, body=BODY)["body"])
    emu.set_api_keys([API_KEY, "some-other-key"])
    assert emu.api_keys == frozenset({API_KEY, "some-other-key"})
    assert (
        client.invoke_model(modelId=HAIKU_3, body=BODY)["ResponseMetadata"]["HTTPStatusCode"] == 200
    )


def test_api_keys_leave_sigv4_alone_and_reset_restores_them(emu: BedrockEmulator) -> None:
    emu.set_api_keys(["only-this-one"])
    sigv4 = bearer_client(
        emu, aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="wJalrXUtnFEMI/K7MDENG"
    )
    try:
        sigv4.invoke_model(modelId=HAIKU_3, body=BODY)
    finally:
        sigv4.close()
    assert emu.requests[-1].auth_scheme == "sigv4" and emu.requests[-1].bearer_token is None
    emu.reset()
    assert emu.api_keys is None


def test_constructor_api_keys_and_raw_error_body(monkeypatch: pytest.MonkeyPatch) -> None:
    with BedrockEmulator(tls=True, api_keys=["right"]) as emu:
        monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "wrong")
        wrong = bearer_client(emu)
        monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "right")
        right = bearer_client(emu)
        try:
            with pytest.raises(ClientError) as caught:
                wrong.invoke_model(modelId=HAIKU_3, body=BODY)
            assert right.invoke_model(modelId=HAIKU_3, body=BODY)["body"].read()
        finally:
            wrong.close()
            right.close()
        emu.reset()
        assert emu.api_keys == frozenset({"right"})
    # The service's body uses a capital "Message" for this error.
    assert caught.value.response["Error"]["Message"].startswith("Authentication failed")
    with pytest.raises(TypeError, match="not one string"):
        BedrockEmulator(api_keys="right")


def test_the_certificate_is_checked(emu: BedrockEmulator) -> None:
    untrusted = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=emu.endpoint_url,
        config=NO_RETRIES,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
    )
    try:
        with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            untrusted.invoke_model(modelId=HAIKU_3, body=BODY)
    finally:
        untrusted.close()
    assert emu.requests == []


def test_botocore_refuses_bearer_tokens_over_http(
    bedrock_emulator: BedrockEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    plain = bearer_client(bedrock_emulator)
    try:
        with pytest.raises(InvalidEndpointConfigurationError, match="requires an HTTPS"):
            plain.invoke_model(modelId=HAIKU_3, body=BODY)
    finally:
        plain.close()
    assert not bedrock_emulator.tls and bedrock_emulator.endpoint_url.startswith("http://")


def _loopback_v6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.parametrize(
    ("bind", "connect"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "localhost"),
        pytest.param(
            "::1",
            "::1",
            marks=pytest.mark.skipif(not _loopback_v6(), reason="no IPv6 loopback"),
        ),
    ],
)
def test_certificate_names_every_loopback_address(bind: str, connect: str) -> None:
    with BedrockEmulator(host=bind, tls=True) as emu:
        context = ssl.create_default_context(cafile=emu.ca_bundle)
        context.verify_flags |= ssl.VERIFY_X509_STRICT
        with (
            socket.create_connection((connect, emu.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=connect) as tls,
        ):
            certificate = tls.getpeercert()
        assert urlsplit(emu.endpoint_url).scheme == "https"
    assert certificate is not None
    names = {value for _, value in certificate["subjectAltName"]}
    assert {"localhost", "127.0.0.1"} <= names and any(n.startswith("0:0:0") for n in names)
    assert int(str(certificate["notAfter"]).split()[-2]) >= 2124  # a long-lived test cert


def test_command_line_tls() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_bedrock_claude.testing", "--tls", "--api-key", "k1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        url = urlsplit(process.stdout.readline().strip())
        bundle = process.stderr.readline().strip().removeprefix("CA bundle: ")
        assert url.scheme == "https" and url.hostname == "127.0.0.1" and url.port
        context = ssl.create_default_context(cafile=bundle)
        request = (
            f"POST /model/{HAIKU_3}/invoke HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer k2\r\nContent-Length: {len(BODY)}\r\n"
            "Connection: close\r\n\r\n" + BODY
        )
        with (
            socket.create_connection((url.hostname, url.port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname=url.hostname) as tls,
        ):
            tls.sendall(request.encode())
            answer = b""
            while chunk := tls.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 403") and b"API Key is valid" in answer
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_stop_closes_idle_tls_keep_alive_connections_at_once() -> None:
    emu = BedrockEmulator(tls=True).start()
    context = ssl.create_default_context(cafile=emu.ca_bundle)
    conn = http.client.HTTPSConnection("127.0.0.1", emu.port, context=context, timeout=30)
    try:
        conn.request(
            "POST", f"/model/{HAIKU_3}/invoke", body=BODY, headers={"Authorization": "Bearer k"}
        )
        assert conn.getresponse().read()  # the connection stays open (keep-alive)
        started = time.monotonic()
        emu.stop()
        # A graceful TLS close would wait for a close_notify the idle client never sends.
        assert time.monotonic() - started < 5
    finally:
        conn.close()
        emu.stop()
