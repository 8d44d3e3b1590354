"""Fixtures shared by the unit tests."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    """The project's wheel, built once per session with pip and opened."""
    out = tmp_path_factory.mktemp("wheel")
    # Without build isolation no network is needed, when hatchling is already installed.
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "-q",
            "-w",
            str(out),
            *isolation,
        ],
        check=True,
        timeout=300,
        capture_output=True,
    )
    [built] = out.glob("*.whl")
    with zipfile.ZipFile(built) as archive:
        yield archive
