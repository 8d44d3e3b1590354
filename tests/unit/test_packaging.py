"""What users install: the wheel's contents, entry points and metadata; a light import; and the
one test command that the README, the Makefile and CI share."""

from __future__ import annotations

import configparser
import importlib
import re
import subprocess
import sys
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

import langchain_bedrock_claude

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "langchain_bedrock_claude"


def dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    [path] = [item for item in wheel.namelist() if item.endswith(f".dist-info/{name}")]
    return wheel.read(path).decode()


def metadata(wheel: zipfile.ZipFile) -> Message:
    return Parser().parsestr(dist_info(wheel, "METADATA"))


@pytest.mark.parametrize(
    "path",
    [
        "py.typed",
        "__init__.py",
        "__main__.py",
        "cli/__init__.py",
        "cli/_complete.py",
        "llms.py",
        "testing/__init__.py",
        "testing/__main__.py",
        "testing/pytest_plugin.py",
        "testing/_emulator.py",
    ],
)
def test_wheel_ships(wheel: zipfile.ZipFile, path: str) -> None:
    assert f"{PACKAGE}/{path}" in wheel.namelist()


def test_wheel_ships_only_the_package(wheel: zipfile.ZipFile) -> None:
    for name in wheel.namelist():
        top = name.split("/")[0]
        assert top == PACKAGE or top.endswith(".dist-info"), name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name


def test_wheel_entry_points(wheel: zipfile.ZipFile) -> None:
    entry_points = configparser.ConfigParser()
    entry_points.optionxform = str  # type: ignore[assignment,method-assign]
    entry_points.read_string(dist_info(wheel, "entry_points.txt"))
    assert dict(entry_points["console_scripts"]) == {
        "bedrock-claude": "langchain_bedrock_claude.cli:main"
    }
    assert dict(entry_points["pytest11"]) == {
        "bedrock_emulator": "langchain_bedrock_claude.testing.pytest_plugin"
    }
    module, _, function = entry_points["console_scripts"]["bedrock-claude"].partition(":")
    assert callable(getattr(importlib.import_module(module), function))
    plugin = importlib.import_module(entry_points["pytest11"]["bedrock_emulator"])
    assert hasattr(plugin, "bedrock_emulator")


def test_wheel_metadata(wheel: zipfile.ZipFile) -> None:
    info = metadata(wheel)
    assert info["Name"] == "langchain-bedrock-claude"
    assert info["Version"] == langchain_bedrock_claude.__version__
    assert info["Requires-Python"] == ">=3.10"
    assert set(info.get_all("Provides-Extra") or []) >= {"test", "dev"}
    requires = " ".join(info.get_all("Requires-Dist") or [])
    for dependency in ("langchain-core", "boto3", "pydantic"):
        assert dependency in requires
    assert info["Description-Content-Type"] == "text/markdown"
    assert "# langchain-bedrock-claude" in str(info.get_payload())
    assert "Typing :: Typed" in (info.get_all("Classifier") or [])


def test_importing_the_package_loads_neither_the_emulator_nor_the_cli() -> None:
    code = (
        "import sys, langchain_bedrock_claude\n"
        "print(sorted(m for m in sys.modules if m.startswith(("
        "'langchain_bedrock_claude.testing', 'langchain_bedrock_claude.cli', 'pytest'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


# --- one test command: README quick start == Makefile `test` == .ci/run -------------------------

_VENV_PYTEST = re.compile(r"\.venv/bin/(pytest[^&\n]*)")


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, flags=re.DOTALL)


def test_quick_start_is_two_commands_that_install_run_and_test() -> None:
    install_and_run, install_and_test, *_ = quick_start_commands()
    assert install_and_run.startswith("python3 -m venv .venv && .venv/bin/pip install . && ")
    assert '.venv/bin/bedrock-claude --emulator "Why is the sky blue?"' in install_and_run
    assert install_and_test.startswith('.venv/bin/pip install -e ".[test]" && ')
    assert "\n" not in install_and_run + install_and_test


def readme_pytest() -> str:
    _, install_and_test, *_ = quick_start_commands()
    [command] = _VENV_PYTEST.findall(install_and_test)
    return str(command).strip()


def test_makefile_runs_the_readme_test_command() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ntest:\n", 1)[1].split("\n\n", 1)[0]
    assert recipe.strip() == f"$(BIN)/{readme_pytest()}"
    assert "BIN ?= .venv/bin" in makefile


def test_ci_runs_the_readme_test_and_main_commands() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    assert f'"$VENV/bin/{readme_pytest()}" </dev/null\n' in script
    assert 'pip" install --quiet -e ".[test,dev]"' in script
    for check in (
        '"$VENV/bin/ruff" check .',
        '"$VENV/bin/ruff" format --check .',
        '"$VENV/bin/mypy" --strict langchain_bedrock_claude',
    ):
        assert check in script
    assert 'PROMPT="Why is the sky blue?"' in script
    assert 'bedrock-claude" --emulator "$PROMPT"' in script
