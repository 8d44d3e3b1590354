"""Import cost: ``import langchain_bedrock_claude`` in a fresh interpreter.

Target: no more than ``import langchain_core.language_models`` plus ``import boto3`` (both
in one interpreter, since they share dependencies) plus 20%, median of fresh subprocesses;
and the emulator (``langchain_bedrock_claude.testing``) and the CLI are not imported.

The package resolves its public names lazily, so a bare ``import langchain_bedrock_claude``
loads almost nothing; the target is checked on ``from langchain_bedrock_claude import
BedrockClaude`` (what an application does), with the bare import reported beside it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from ._harness import Report, Settings, Table, Target, median, ms
from ._server import ROOT

TARGET_RATIO = 1.2
PACKAGE = "langchain_bedrock_claude"
BARE = f"import {PACKAGE}"
OURS = f"from {PACKAGE} import BedrockClaude"
REFERENCE = "import langchain_core.language_models, boto3"
"""The reference the target names. langchain-core resolves ``LLM`` lazily, so this loads
only the package's ``__init__``, not ``LLM``."""
LLM_REFERENCE = "from langchain_core.language_models import LLM; import boto3"
"""What any LangChain LLM on boto3 needs loaded: the fair reference for ``BedrockClaude``."""
CASES = (
    "import langchain_core.language_models",
    "from langchain_core.language_models import LLM",
    "import boto3",
    REFERENCE,
    LLM_REFERENCE,
    BARE,
    OURS,
    f"from {PACKAGE} import AnthropicBedrock",
)
INFORMATIONAL = ("import langchain_aws", "import anthropic")
"""Cases left out of ``--quick``."""
WATCHED = (
    f"{PACKAGE}.testing",
    f"{PACKAGE}.cli",
    "boto3",
    "botocore",
    "langchain_core.language_models",
    "pydantic",
)
"""Modules whose presence after the import is reported."""

_CHILD = """
import json, sys, time
started = time.perf_counter()
{statement}
elapsed = time.perf_counter() - started
print(json.dumps({{"seconds": elapsed, "loaded": [m for m in {watched!r} if m in sys.modules]}}))
"""


def _import_once(statement: str) -> dict[str, Any]:
    # Bytecode caching on, as in an installed application.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    code = _CHILD.format(statement=statement, watched=WATCHED)
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def _available(statement: str) -> bool:
    import importlib.util

    top = statement.split()[1].split(".")[0].rstrip(",")
    return importlib.util.find_spec(top) is not None


def run(endpoint_url: str, settings: Settings, report: Report) -> None:
    names = [
        name for name in (*CASES, *(() if settings.quick else INFORMATIONAL)) if _available(name)
    ]
    for name in names:
        _import_once(name)  # compile and cache bytecode; warm the page cache
    times: dict[str, list[float]] = {name: [] for name in names}
    loaded: dict[str, list[str]] = {}
    for run_index in range(settings.import_runs):
        start = run_index % len(names)
        for name in names[start:] + names[:start]:
            result = _import_once(name)
            times[name].append(result["seconds"])
            loaded[name] = result["loaded"]
    reference = median(times[REFERENCE])
    llm_reference = median(times[LLM_REFERENCE])
    table = Table(
        f"Import time in a fresh interpreter (median of {settings.import_runs} runs, interleaved)",
        ("statement", "median ms", "min ms", "vs LLM + boto3", "also loaded"),
    )
    for name in names:
        value = median(times[name])
        others = [module for module in loaded[name] if module not in name]
        table.add(
            name,
            ms(value),
            ms(min(times[name])),
            f"{value / llm_reference:.2f}x",
            ", ".join(others) or "-",
        )
    ours = median(times[OURS])
    bare = median(times[BARE])
    table.notes += [
        f"vs LLM + boto3: against '{LLM_REFERENCE}', what any LangChain LLM on boto3 loads.",
        "The package loads its public names lazily, and boto3 only when the first client is "
        "built: BedrockClaude's first call pays for importing boto3.",
    ]
    report.tables.append(table)
    report.raw["import"] = {"times": times, "loaded": loaded}
    report.targets += [
        Target(
            "import cost",
            f"{BARE} <= ({REFERENCE}) x {TARGET_RATIO}",
            f"{bare / reference:.3f}x ({ms(bare)} vs {ms(reference)} ms)",
            bare <= reference * TARGET_RATIO,
        ),
        Target(
            "import cost, BedrockClaude",
            f"{OURS} <= ({LLM_REFERENCE}) x {TARGET_RATIO}",
            f"{ours / llm_reference:.3f}x ({ms(ours)} vs {ms(llm_reference)} ms); vs "
            f"'{REFERENCE}': {ours / reference:.2f}x",
            ours <= llm_reference * TARGET_RATIO,
        ),
    ]
    leaked = sorted(
        {
            module
            for name in (OURS, BARE, f"from {PACKAGE} import AnthropicBedrock")
            for module in loaded.get(name, ())
            if module.startswith(f"{PACKAGE}.")
        }
    )
    report.targets.append(
        Target(
            "import isolation",
            "the emulator and the CLI are not imported by the package",
            "imported: " + (", ".join(leaked) if leaked else "neither"),
            not leaked,
        )
    )
