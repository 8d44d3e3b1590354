"""Shared test set-up: no test may reach real AWS or read this machine's AWS configuration."""

from __future__ import annotations

import os

import pytest

AWS_TESTS = os.environ.get("BEDROCK_CLAUDE_AWS_TESTS") == "1"


@pytest.fixture(autouse=True)
def _isolated_aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> None:
    if AWS_TESTS:
        return
    empty = tmp_path_factory.getbasetemp() / "no-aws-config"
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
