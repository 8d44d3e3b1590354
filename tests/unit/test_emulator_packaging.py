"""The emulator's test certificate ships in the wheel and loads."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

from langchain_bedrock_claude.testing import _tls

CERTS = "langchain_bedrock_claude/testing/certs"


@pytest.mark.skipif(importlib.util.find_spec("hatchling") is None, reason="needs hatchling")
def test_wheel_ships_the_test_certificate(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    assert {
        f"{CERTS}/localhost.pem",
        f"{CERTS}/localhost-key.pem",
        f"{CERTS}/README.md",
    } <= names
    assert wheel.read(f"{CERTS}/localhost.pem") == _tls.CERT_FILE.read_bytes()


def test_certificate_and_key_load() -> None:
    context = _tls.server_context()
    assert context.minimum_version >= _tls.ssl.TLSVersion.TLSv1_2
    assert b"BEGIN CERTIFICATE" in _tls.CERT_FILE.read_bytes()
    assert b"BEGIN PRIVATE KEY" in _tls.KEY_FILE.read_bytes()


def test_missing_certificate_explains_itself(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(_tls, "CERT_FILE", tmp_path / "missing.pem")
    with pytest.raises(FileNotFoundError, match="reinstall the package"):
        _tls.server_context()
