"""A bounded mutation run over the package's pure layer, streams and LangChain classes.

Not a CI step: it answers "would the tests notice if this line were wrong?" for a seeded sample
of small, syntax-preserving changes (mutants). Each mutant is written into a scratch copy of the
tracked files (never into this checkout), the tests that cover its module run against that copy,
and the mutant is *killed* when they fail (or hang past ``--timeout``, or cannot even be
collected while the unmutated copy can), *survived* otherwise; *no verdict* when pytest stops
for a reason the mutant did not cause.

    python -m tools.mutation --limit 120 --jobs 2          # sample, run, report
    python -m tools.mutation --list --module _params.py    # show the mutants, run nothing
    python -m tools.mutation --only 17,42                  # re-run chosen mutants by number

Survivors are printed with their place and change. Each one is either a gap in the tests (add a
test that fails on it) or equivalent (the change cannot alter behaviour); the closing note of
issue #11 lists the equivalent ones with the reason.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import cast

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "langchain_bedrock_claude"

# The modules the review mutated (pure layer, streams, llms.py) and the tests that
# cover each, the most relevant first: a directory is expanded into its test files, in order,
# after the files named before it, so most mutants die within seconds under ``-x``.
_UNIT = "tests/unit"
TARGETS: dict[str, tuple[str, ...]] = {
    "_params.py": (
        "tests/unit/test_params.py",
        "tests/unit/test_features.py",
        "tests/unit/test_pinned_behaviour.py",
        _UNIT,
        "tests/integration/test_features.py",
        "tests/integration/test_thinking_options.py",
    ),
    "_options.py": (
        "tests/unit/test_options.py",
        "tests/unit/test_features.py",
        "tests/unit/test_cli.py",
        _UNIT,
        "tests/integration/test_features.py",
        "tests/integration/test_cli_features.py",
        "tests/integration/test_thinking_options.py",
    ),
    "_model_rules.py": ("tests/unit/test_routing.py", _UNIT),
    "_model_checks.py": ("tests/unit/test_params.py", _UNIT),
    "_routing.py": ("tests/unit/test_routing.py", _UNIT),
    "_request.py": (
        "tests/unit/test_features.py",
        "tests/unit/test_options.py",
        _UNIT,
        "tests/integration/test_features.py",
        "tests/integration/test_retired_models.py",
        "tests/integration/test_client.py",
        "tests/integration/test_thinking_options.py",
    ),
    "_retry.py": (
        "tests/unit/test_errors.py",
        "tests/unit/test_translate.py",
        _UNIT,
        "tests/integration/test_error_translation.py",
        "tests/integration/test_client.py",
        "tests/integration/test_reliability.py",
        "tests/integration/test_retired_models.py",
    ),
    "_errors.py": (
        "tests/unit/test_errors.py",
        "tests/unit/test_translate.py",
        _UNIT,
        "tests/integration/test_error_translation.py",
        "tests/integration/test_client.py",
    ),
    "_translate.py": (
        "tests/unit/test_translate.py",
        "tests/unit/test_errors.py",
        _UNIT,
        "tests/integration/test_error_translation.py",
        "tests/integration/test_client.py",
        "tests/integration/test_retired_models.py",
    ),
    "_redact.py": (
        "tests/unit/test_translate.py",
        "tests/unit/test_secrets.py",
        _UNIT,
        "tests/integration/test_error_translation.py",
        "tests/integration/test_guardrails_and_api_keys.py",
    ),
    "_events.py": (
        "tests/unit/test_events.py",
        _UNIT,
        "tests/integration/test_client.py",
        "tests/integration/test_stream_internals.py",
    ),
    "_formats/_common.py": (
        "tests/unit/test_formats.py",
        "tests/unit/test_malformed.py",
        "tests/unit/test_piece_join.py",
        _UNIT,
        "tests/integration/test_replay_recordings.py",
    ),
    "_formats/messages.py": (
        "tests/unit/test_formats.py",
        "tests/unit/test_malformed.py",
        "tests/unit/test_events.py",
        _UNIT,
        "tests/integration/test_replay_recordings.py",
        "tests/integration/test_thinking_options.py",
    ),
    "_formats/text_completions.py": (
        "tests/unit/test_formats.py",
        "tests/unit/test_malformed.py",
        _UNIT,
        "tests/integration/test_replay_recordings.py",
        "tests/integration/test_client.py",
    ),
    "_formats/prompt.py": ("tests/unit/test_prompt.py", "tests/unit/test_formats.py", _UNIT),
    "_streaming.py": (
        "tests/unit/test_coalescing.py",
        _UNIT,
        "tests/integration/test_pinned_streams.py",
        "tests/integration/test_stream_coalescing.py",
        "tests/integration/test_client.py",
        "tests/integration/test_stream_internals.py",
        "tests/integration/test_cancellation.py",
        "tests/integration/test_reliability.py",
    ),
    "_bridge.py": (
        "tests/unit/test_bridge.py",
        _UNIT,
        "tests/integration/test_stream_coalescing.py",
        "tests/integration/test_client.py",
        "tests/integration/test_cancellation.py",
        "tests/integration/test_event_loop.py",
        "tests/integration/test_reliability.py",
    ),
    "_preparing.py": (
        "tests/unit/test_preparing.py",
        _UNIT,
        "tests/integration/test_batch.py",
    ),
    "_exchange.py": (
        "tests/integration/test_pinned_streams.py",
        "tests/integration/test_stream_internals.py",
        "tests/integration/test_cancellation.py",
        "tests/integration/test_reliability.py",
        "tests/integration/test_client.py",
    ),
    "_constructor.py": (
        "tests/unit/test_pinned_constructor.py",
        "tests/unit/test_llm_unit.py",
        "tests/unit/test_secrets.py",
        _UNIT,
        "tests/integration/test_llm_hardening.py",
        "tests/integration/test_llm.py",
    ),
    "_lc_base.py": (
        "tests/unit/test_llm_unit.py",
        "tests/unit/test_pinned_constructor.py",
        "tests/unit/test_settings.py",
        "tests/unit/test_secrets.py",
        "tests/unit/test_chat_model_unit.py",
        _UNIT,
        "tests/integration/test_pinned_llm.py",
        "tests/integration/test_llm.py",
        "tests/integration/test_llm_hardening.py",
        "tests/integration/test_chat_model.py",
        "tests/integration/test_batch.py",
        "tests/integration/test_chat_batch.py",
    ),
    "llms.py": (
        "tests/unit/test_llm_unit.py",
        "tests/unit/test_secrets.py",
        _UNIT,
        "tests/integration/test_pinned_llm.py",
        "tests/integration/test_llm.py",
        "tests/integration/test_llm_hardening.py",
    ),
}


def expand(tests: Sequence[str], root: Path = ROOT) -> list[str]:
    """``tests`` as test files in order: a directory adds its files not already named."""
    files: list[str] = []
    for entry in tests:
        path = root / entry
        found = sorted(path.glob("test_*.py")) if path.is_dir() else [path]
        for file in found:
            name = str(file.relative_to(root))
            if name not in files:
                files.append(name)
    return files


_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Mult,
}


@dataclass(frozen=True)
class Mutant:
    """One small change to one module."""

    module: str
    """The module's path below the package, e.g. ``_params.py``."""
    line: int
    """The first line the change touches (1-based)."""
    kind: str
    """The operator: ``compare``, ``boolop``, ``not``, ``constant``, ``return``, ``raise``, ..."""
    before: str
    """The source of the node as written."""
    after: str
    """What it becomes."""
    start: tuple[int, int]
    end: tuple[int, int]

    def describe(self) -> str:
        """One line: where, which operator, and the change."""
        change = f"{_short(self.before)} -> {_short(self.after)}"
        return f"{self.module}:{self.line} [{self.kind}] {change}"


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _span(node: ast.AST) -> range:
    return range(node.lineno, (node.end_lineno or node.lineno) + 1)  # type: ignore[attr-defined]


def _skipped_lines(tree: ast.Module) -> set[int]:
    """Lines no mutant touches: docstrings, ``__all__``, ``TYPE_CHECKING`` blocks, annotations."""
    lines: set[int] = set()
    span = _span

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for statement in body:
                if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                    lines.update(span(statement))  # docstrings, field docstrings
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            lines.update(span(node))
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            lines.update(span(node))
        if isinstance(node, ast.AnnAssign):
            lines.update(span(node.annotation))
        if isinstance(node, ast.arg) and node.annotation is not None:
            lines.update(span(node.annotation))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
            lines.update(span(node.returns))
        if isinstance(node, ast.Call) and "logger" in ast.unparse(node.func):
            lines.update(span(node))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for decorator in node.decorator_list:  # @dataclass(frozen=True, slots=True), ...
                lines.update(span(decorator))
    return lines


def _variants(node: ast.AST) -> Iterator[tuple[str, ast.AST | str]]:
    """The mutants of one node: (operator name, replacement node or source)."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        swap = _COMPARE_SWAPS.get(type(node.ops[0]))
        if swap is not None:
            yield "compare", ast.Compare(node.left, [swap()], node.comparators)
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        yield "boolop", ast.BoolOp(other, node.values)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not", node.operand
    elif isinstance(node, ast.BinOp):
        swap_op = _BINOP_SWAPS.get(type(node.op))
        if swap_op is not None and not isinstance(node.left, ast.Constant | ast.JoinedStr):
            yield "arith", ast.BinOp(node.left, swap_op(), node.right)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            yield "constant", ast.Constant(not node.value)
        elif isinstance(node.value, int):
            yield "constant", ast.Constant(node.value + 1)
        elif isinstance(node.value, float):
            yield "constant", ast.Constant(node.value * 2 if node.value else 1.0)
    elif isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "return", "return None"
    elif isinstance(node, ast.Raise) and node.exc is not None:
        yield "raise", "pass"
    elif isinstance(node, ast.If):
        yield "if", ast.UnaryOp(ast.Not(), node.test)


def mutants_of(module: str) -> list[Mutant]:
    """Every mutant the operators make of ``module`` (a path below the package)."""
    path = ROOT / PACKAGE / module
    source = path.read_text()
    tree = ast.parse(source)
    skipped = _skipped_lines(tree)
    found: list[Mutant] = []
    for node in ast.walk(tree):
        if not hasattr(node, "lineno") or node.lineno in skipped:
            continue
        for kind, replacement in _variants(node):
            # An if: mutate its test. Every node with a line number is an expr or a stmt.
            target = cast("ast.expr | ast.stmt", node.test if isinstance(node, ast.If) else node)
            before = ast.get_source_segment(source, target)
            if before is None:
                continue
            if isinstance(replacement, str):
                after = replacement
            else:
                after = ast.unparse(replacement)
                if kind in ("compare", "boolop", "arith", "if", "not"):
                    after = f"({after})"
            found.append(
                Mutant(
                    module,
                    target.lineno,
                    kind,
                    before,
                    after,
                    (target.lineno, target.col_offset),
                    (target.end_lineno or target.lineno, target.end_col_offset or 0),
                )
            )
    return found


def apply(source: str, mutant: Mutant) -> str:
    """``source`` with ``mutant``'s node replaced (by line and column)."""
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode()))
    data = source.encode()

    def position(line: int, column: int) -> int:
        return offsets[line - 1] + column

    start, end = position(*mutant.start), position(*mutant.end)
    return (data[:start] + mutant.after.encode() + data[end:]).decode()


def _scratch_copy() -> Path:
    """A copy of the tracked files (tests, package, config), outside this checkout."""
    target = Path(tempfile.mkdtemp(prefix="bedrock-claude-mutation-"))
    tracked = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in tracked:
        source = ROOT / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


_TESTS_FAILED = 1
"""pytest's exit code when tests ran and some failed; any other non-zero code is no verdict."""


def _run_tests(copy: Path, tests: Sequence[str], timeout: float) -> tuple[str, float, str]:
    """``killed`` if the tests fail or hang in ``copy``, else ``survived``; and by which test.

    The third item names what killed the mutant (pytest's first ``FAILED``/``ERROR`` line), so
    a kill by a broken copy or an unrelated failure shows in the report instead of passing as
    a real kill.
    """
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    # Expanded in the copy: a test file added to this checkout after the copy was made must not
    # be asked for there (pytest would stop with "file not found", which is no kill).
    files = expand(tests, copy)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", *files]
    started = time.monotonic()
    try:
        result = subprocess.run(
            command, cwd=copy, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return "killed (timeout)", time.monotonic() - started, ""
    elapsed = time.monotonic() - started
    if result.returncode == 0:
        return "survived", elapsed, ""
    if result.returncode != _TESTS_FAILED:  # interrupted, internal or usage error, no tests
        return f"error (exit {result.returncode})", elapsed, result.stderr.decode()[-200:]
    output = result.stdout.decode(errors="replace").splitlines()
    reasons = [line for line in output if line.startswith(("FAILED ", "ERROR "))]
    reason = reasons[0] if reasons else (output[-1] if output else f"exit {result.returncode}")
    return "killed", elapsed, reason


def _collects(copy: Path, tests: Sequence[str], timeout: float) -> bool:
    """Whether pytest collects ``tests`` in ``copy`` without an error (nothing is run)."""
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", *expand(tests, copy)]
    try:
        result = subprocess.run(
            command, cwd=copy, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def _check_copy_imports_itself(copy: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    where = subprocess.run(
        [sys.executable, "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not where.startswith(str(copy)):
        sys.exit(f"the scratch copy is not the package that gets imported ({where}); stopping")


def main(argv: Sequence[str] | None = None) -> int:
    """Sample mutants, run the covering tests on each, and print the survivors."""
    parser = argparse.ArgumentParser(prog="python -m tools.mutation", description=__doc__)
    parser.add_argument("--module", action="append", help="only this module (repeatable)")
    parser.add_argument("--limit", type=int, default=120, help="mutants to sample (default 120)")
    parser.add_argument("--seed", type=int, default=11, help="sampling seed (default 11)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once (default 2)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per mutant")
    parser.add_argument("--only", help="comma-separated mutant numbers from a previous --list")
    parser.add_argument("--list", action="store_true", help="print the sample and stop")
    args = parser.parse_args(argv)

    modules = args.module or [name for name in TARGETS if (ROOT / PACKAGE / name).exists()]
    population = [mutant for module in modules for mutant in mutants_of(module)]
    sample = random.Random(args.seed).sample(population, min(args.limit, len(population)))
    sample.sort(key=lambda mutant: (mutant.module, mutant.line, mutant.kind))
    numbered = list(enumerate(sample, 1))
    if args.only:
        wanted = {int(number) for number in args.only.split(",")}
        numbered = [(number, mutant) for number, mutant in numbered if number in wanted]
    print(f"{len(population)} mutants in {len(modules)} modules; running {len(numbered)}")
    if args.list:
        for number, mutant in numbered:
            print(f"{number:4d} {mutant.describe()}")
        return 0

    copies = [_scratch_copy() for _ in range(max(1, args.jobs))]
    _check_copy_imports_itself(copies[0])
    baseline, _, reason = _run_tests(copies[0], (_UNIT,), args.timeout)
    if baseline != "survived":  # the unit tests must pass on the code as it is
        sys.exit(f"the unmutated copy fails its unit tests ({reason}); stopping")
    free = list(copies)
    results: dict[int, str] = {}

    def run(item: tuple[int, Mutant]) -> None:
        number, mutant = item
        copy = free.pop()
        path = copy / PACKAGE / mutant.module
        original = path.read_text()
        try:
            path.write_text(apply(original, mutant))
            outcome, seconds, reason = _run_tests(copy, TARGETS[mutant.module], args.timeout)
            if outcome.startswith("error"):
                # pytest stopped before running tests (a conftest or test module failed to
                # import, ...). The mutant did it if the unmutated copy collects fine: every
                # user's import fails the same way, a kill. Otherwise the copy or the tool is
                # at fault: no verdict.
                path.write_text(original)
                if _collects(copy, TARGETS[mutant.module], args.timeout):
                    outcome = "killed (error)"
        finally:
            path.write_text(original)
            free.append(copy)
        results[number] = outcome
        print(f"{number:4d} {outcome:16s} {seconds:6.1f}s {mutant.describe()}", flush=True)
        if reason:
            print(f"{'':22s} by {_short(reason, 120)}", flush=True)

    try:
        with ThreadPoolExecutor(max_workers=len(copies)) as pool:
            list(pool.map(run, numbered))
    finally:
        for copy in copies:
            shutil.rmtree(copy, ignore_errors=True)
    errors = [(n, m) for n, m in numbered if results.get(n, "").startswith("error")]
    for number, mutant in errors:
        print(f"  no verdict {number:4d} {mutant.describe()} ({results[number]})")
    numbered = [(n, m) for n, m in numbered if (n, m) not in errors]
    survivors = [(n, m) for n, m in numbered if results.get(n) == "survived"]
    killed = len(numbered) - len(survivors)
    print(f"\nkilled {killed} of {len(numbered)} ({100 * killed / max(1, len(numbered)):.0f}%)")
    for number, mutant in survivors:
        print(f"  survived {number:4d} {mutant.describe()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
