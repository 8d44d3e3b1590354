"""The benchmarks still run: every scenario group, tiny, against the emulator in a subprocess.

Timings belong in ``benchmarks/``; this only checks that the code runs and reports.
"""

from __future__ import annotations

import pytest

from benchmarks import batch, concurrency, imports, memory, overhead, streaming
from benchmarks._harness import Report, Settings, machine_info
from benchmarks._server import EmulatorProcess, directive, reply_pieces

EXPLICIT_TRANSPORTS = True
"""The benchmarks compare the transports themselves: run once, on the default."""

TINY = Settings.create(quick=True).override(
    invoke_iterations=2,
    stream_iterations=1,
    short_stream_iterations=1,
    async_rounds=1,
    concurrency=4,
    async_tokens=3,
    async_latency=0.002,
    ticker_streams=2,
    slow_deadline=5.0,
    memory_calls=2,
    memory_streams=1,
    import_runs=1,
)


@pytest.fixture(scope="module")
def endpoint() -> object:
    with EmulatorProcess() as emulator:
        yield emulator.endpoint_url


@pytest.mark.parametrize("group", [overhead, streaming, concurrency])
def test_a_group_reports_tables_and_targets(endpoint: str, group: object) -> None:
    report = Report(machine_info(TINY))
    group.run(endpoint, TINY, report)  # type: ignore[attr-defined]
    assert report.tables and report.targets
    assert all(target.verdict in ("MET", "NOT MET", "n/a") for target in report.targets)
    text = report.render()
    assert "BedrockClaude" in text and "raw boto3" in text
    assert '"targets"' in report.to_json()


def test_the_batch_group_reports_every_path(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tiny: 4 prompts of 2 tokens 1 ms apart, two at a time in the bounded run.
    for name, value in {"SMALL": 4, "LIMITED": 2, "CALL_TOKENS": 2, "TOKEN_LATENCY": 0.001}.items():
        monkeypatch.setattr(batch, name, value)
    report = Report(machine_info(TINY))
    batch.run(endpoint, TINY, report)
    ours = [row for row in report.tables[0].rows if row[0].startswith(batch.OURS)]
    assert {row[0] for row in ours} == {
        "BedrockClaude (legacy)",
        "BedrockClaude (messages)",
        "ChatBedrockClaude (messages)",
    }
    assert {row[1] for row in ours} == {
        "batch",
        "chain.batch",
        "generate",
        "abatch",
        "agenerate",
        "batch max_concurrency=2",
    }
    assert not [row for row in ours if row[4].startswith(("fails", "cut off"))]
    assert {target.verdict for target in report.targets} <= {"MET", "NOT MET"}
    assert len(report.targets) == 3  # both wires of BedrockClaude, and ChatBedrockClaude


def test_the_memory_children_measure(endpoint: str) -> None:
    growth = memory._growth_child(endpoint, "BedrockClaude", 2, 1)
    assert {"start", "after invoke", "after stream", "after astream"} <= set(growth["marks"])
    peak = memory._peak_child(endpoint, "BedrockClaude.stream", [20, 40])
    assert peak["40"]["characters"] == len("".join(reply_pieces(40)))
    assert peak["40"]["peak"] > 0


def test_an_import_is_timed_in_a_fresh_interpreter() -> None:
    result = imports._import_once("import langchain_bedrock_claude")
    assert result["seconds"] > 0
    assert "langchain_bedrock_claude.testing" not in result["loaded"]


def test_the_directive_sizes_the_reply() -> None:
    assert directive(2000, 0.02) == "Benchmark prompt. [bench tokens=2000 latency=0.02]"


def test_the_bulk_job_group_runs_both_contenders() -> None:
    from benchmarks import jobs

    report = Report(machine_info(TINY))
    jobs.run("", TINY.override(jobs_records=100), report)
    [table] = report.tables
    assert [row[0] for row in table.rows] == ["langchain-bedrock-claude", "json + boto3"]
    assert all(row[-1] == "100 (0 failed)" for row in table.rows)
    [target] = report.targets
    assert target.verdict in ("MET", "NOT MET")
