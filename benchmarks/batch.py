"""Batch: every LangChain batch path, with a fixed per-call latency, beside langchain-aws.

Each call takes 0.2 s at the emulator (20 tokens, 10 ms apart; InvokeModel waits the sum),
like a short answer from a real model. A batch of prompts that runs concurrently finishes in
about one call's time; one that runs its prompts one after another takes N calls' time.

* **16 prompts** through ``llm.batch``, ``chain.batch`` (a prompt template piped into the
  LLM), ``llm.generate``, ``llm.abatch`` and ``llm.agenerate``. Target: each within 1.5x one
  call. With ``max_concurrency=4`` the ideal is four rounds (4x one call).
* **256 prompts** through ``llm.batch`` and ``llm.abatch``, with default settings.
* ``ChatBedrockClaude`` (Messages) on the same paths, its ``generate`` taking message lists.
* langchain-aws ``BedrockLLM`` (legacy Text Completions ids) and ``ChatBedrock`` (Messages)
  on the same prompts. A contender still running after the deadline is reported as cut off.

The number of requests in flight at the server (``max_concurrency`` honoured) is a test in
``tests/integration``, counted at the emulator, not timed here.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Callable
from typing import Any

from . import _contenders as c
from ._harness import Report, Settings, Table, Target, median, ms, times
from ._server import directive

CALL_TOKENS = 20
TOKEN_LATENCY = 0.01
"""20 tokens 10 ms apart: every call takes 0.2 s at the server."""
MAX_TOKENS = 64
TARGET_RATIO = 1.5
SMALL, LARGE = 16, 256
LIMITED = 4
"""``max_concurrency`` of the bounded run."""
OURS = ("BedrockClaude", "ChatBedrockClaude")
"""The contenders with a target."""
DEADLINE = 90.0
"""Seconds a contender gets for one batch before it is reported as cut off."""
REPEATS = 3
"""Timings of each batch path, reported as their median."""
REPEAT_UNDER = 2.0
"""Seconds: a batch slower than this (a sequential contender) is timed once."""


def _prompts(count: int) -> list[str]:
    # Distinct prompts: no contender may answer one from a cache of another.
    return [f"{directive(CALL_TOKENS, TOKEN_LATENCY)} Question {index}." for index in range(count)]


def _within_deadline(run: Callable[[], object], deadline: float) -> float | str:
    """Seconds ``run()`` took, or why there is no time: cut off at ``deadline``, or failed."""
    finished: list[float] = []
    errors: list[BaseException] = []

    def target() -> None:
        started = time.perf_counter()
        try:
            run()
        except BaseException as error:  # reported below, in the benchmark's thread
            errors.append(error)
            return
        finished.append(time.perf_counter() - started)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(deadline)
    if errors:
        return f"fails: {type(errors[0]).__name__}"
    return finished[0] if finished else "cut off"


def _timed_batch(run: Callable[[], object]) -> float | str:
    """The median of :data:`REPEATS` timings of ``run()`` (one, for a contender slower than
    :data:`REPEAT_UNDER`), each after a full garbage collection.

    This process holds every contender's objects: a full collection costs it about 150 ms,
    and one landing inside a single timed batch made a 1.1x path read 1.9x. Collecting first,
    and the median, keep that out of every contender's numbers alike.
    """
    samples: list[float] = []
    for _ in range(REPEATS):
        gc.collect()
        took = _within_deadline(run, DEADLINE)
        if isinstance(took, str):
            return took
        samples.append(took)
        if took > REPEAT_UNDER:
            break
    return median(samples)


def _one_call(llm: Any, prompt: str) -> float:
    llm.invoke(prompt)  # warm: connection, lazy imports
    samples = []
    for _ in range(3):
        started = time.perf_counter()
        llm.invoke(prompt)
        samples.append(time.perf_counter() - started)
    return median(samples)


def _paths(llm: Any, prompts: list[str]) -> list[tuple[str, Callable[[], object]]]:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import HumanMessage
    from langchain_core.prompts import PromptTemplate

    chain = PromptTemplate.from_template("{question}") | llm
    inputs = [{"question": prompt} for prompt in prompts]
    # A chat model's generate() takes one message list per prompt, an LLM's the strings.
    generate_input: list[Any] = (
        [[HumanMessage(prompt)] for prompt in prompts]
        if isinstance(llm, BaseChatModel)
        else prompts
    )
    return [
        ("batch", lambda: llm.batch(prompts)),
        ("chain.batch", lambda: chain.batch(inputs)),
        ("generate", lambda: llm.generate(generate_input)),
        ("abatch", lambda: asyncio.run(llm.abatch(prompts))),
        ("agenerate", lambda: asyncio.run(llm.agenerate(generate_input))),
        (
            f"batch max_concurrency={LIMITED}",
            lambda: llm.batch(prompts, config={"max_concurrency": LIMITED}),
        ),
    ]


def _chat(endpoint_url: str) -> Any:
    from langchain_bedrock_claude import ChatBedrockClaude

    return ChatBedrockClaude(
        model=c.MESSAGES.model_id,
        max_tokens=MAX_TOKENS,
        region=c.REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id=c.ACCESS_KEY,
        aws_secret_access_key=c.SECRET_KEY,
    )


def _contenders(endpoint_url: str) -> list[tuple[str, Any, Callable[[], None]]]:
    """(name, model, close) for ours on both wires and langchain-aws, where installed."""
    found: list[tuple[str, Any, Callable[[], None]]] = []
    for wire in c.WIRES:
        llm = c.bedrock_claude(endpoint_url, wire, MAX_TOKENS)
        found.append((f"BedrockClaude ({wire.name})", llm, lambda: None))
    found.append((f"ChatBedrockClaude ({c.MESSAGES.name})", _chat(endpoint_url), lambda: None))
    if c.have("langchain_aws"):
        for wire in c.WIRES:
            model = c.langchain_aws_model(endpoint_url, wire, MAX_TOKENS)
            found.append((c.langchain_aws_name(wire), model, model.client.close))
    return found


def run(endpoint_url: str, settings: Settings, report: Report) -> None:
    """Time every batch path of every contender; add the tables and the targets."""
    sizes = (SMALL,) if settings.quick else (SMALL, LARGE)
    table = Table(
        f"Batch: prompts of {CALL_TOKENS} tokens, {ms(CALL_TOKENS * TOKEN_LATENCY)} ms per call",
        ("contender", "path", "prompts", "one call ms", "batch ms", "x one call"),
    )
    worst: dict[str, float] = {}
    raw: dict[str, Any] = {}
    for name, model, close in _contenders(endpoint_url):
        try:
            single = _one_call(model, _prompts(1)[0])
            for size in sizes:
                paths = _paths(model, _prompts(size))
                if size == LARGE:  # the large batch: the two main paths
                    paths = [path for path in paths if path[0] in ("batch", "abatch")]
                for path, operation in paths:
                    took = _timed_batch(operation)
                    ratio = took / single if isinstance(took, float) else None
                    raw[f"{name} {path} {size}"] = {"one_call": single, "batch": took}
                    table.add(
                        name,
                        path,
                        size,
                        ms(single),
                        took if isinstance(took, str) else ms(took),
                        "-" if ratio is None else times(ratio),
                    )
                    if name.startswith(OURS) and size == SMALL and not path.startswith("batch max"):
                        worst[name] = max(worst.get(name, 0.0), ratio or float("inf"))
        finally:
            close()
    table.notes.append(
        f"ideal: one call; with max_concurrency={LIMITED}, {SMALL // LIMITED} rounds "
        f"({SMALL // LIMITED}x one call)"
    )
    report.tables.append(table)
    report.raw["batch"] = raw
    for name, ratio in worst.items():
        report.targets.append(
            Target(
                f"{name}: every batch path, {SMALL} prompts",
                f"<= {TARGET_RATIO}x one call",
                times(ratio),
                ratio <= TARGET_RATIO,
            )
        )
