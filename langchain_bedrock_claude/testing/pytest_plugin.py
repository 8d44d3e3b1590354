"""pytest fixtures for the Bedrock emulator.

Registered through the ``pytest11`` entry point, so installing the package is enough.

* ``bedrock_emulator``: function-scoped; a running :class:`BedrockEmulator`, reset before
  and after each test (requests, scripted replies, faults, prompt cache)::

      def test_retry(bedrock_emulator):
          bedrock_emulator.throttle(1)
          bedrock_emulator.reply("Paris")
          client = boto3.client(
              "bedrock-runtime",
              region_name="us-east-1",
              endpoint_url=bedrock_emulator.endpoint_url,
              aws_access_key_id="AKIDEXAMPLE",
              aws_secret_access_key="secret",
          )
          ...
          assert len(bedrock_emulator.requests) == 2

* ``bedrock_emulator_session``: the session-wide emulator behind it (one server per test
  session); use it directly for session-scoped fixtures. Tests that change its settings
  (``set_responder``, latencies, flags) get them restored by ``bedrock_emulator``.
* ``bedrock_emulator_tls`` (and ``bedrock_emulator_tls_session``): the same over HTTPS,
  for Bedrock API keys, which botocore sends only over TLS::

      def test_api_key(bedrock_emulator_tls, monkeypatch):
          monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", "my-key")
          client = boto3.client(
              "bedrock-runtime",
              region_name="us-east-1",
              endpoint_url=bedrock_emulator_tls.endpoint_url,
              verify=bedrock_emulator_tls.ca_bundle,
          )
          ...
          assert bedrock_emulator_tls.requests[-1].auth_scheme == "bearer"
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ._emulator import BedrockEmulator


@pytest.fixture(scope="session")
def bedrock_emulator_session() -> Iterator[BedrockEmulator]:
    """One running emulator for the whole test session."""
    from ._emulator import BedrockEmulator  # here, not at pytest start-up

    with BedrockEmulator() as emulator:
        yield emulator


@pytest.fixture
def bedrock_emulator(bedrock_emulator_session: BedrockEmulator) -> Iterator[BedrockEmulator]:
    """A running emulator with a clean slate for this test."""
    bedrock_emulator_session.reset()
    yield bedrock_emulator_session
    bedrock_emulator_session.reset()


@pytest.fixture(scope="session")
def bedrock_emulator_tls_session() -> Iterator[BedrockEmulator]:
    """One running HTTPS emulator for the whole test session."""
    from ._emulator import BedrockEmulator

    with BedrockEmulator(tls=True) as emulator:
        yield emulator


@pytest.fixture
def bedrock_emulator_tls(
    bedrock_emulator_tls_session: BedrockEmulator,
) -> Iterator[BedrockEmulator]:
    """A running HTTPS emulator with a clean slate for this test."""
    bedrock_emulator_tls_session.reset()
    yield bedrock_emulator_tls_session
    bedrock_emulator_tls_session.reset()
