"""``bedrock-claude batch``: submit, status, wait, results and stop, on the emulator and moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from langchain_bedrock_claude import cli
from langchain_bedrock_claude.testing import BedrockEmulator

from .conftest import BATCH_ROLE, CREDENTIALS, s3_client

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture
def run(
    emu: BedrockEmulator, moto_s3_url: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> Any:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", CREDENTIALS["access_key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", CREDENTIALS["secret_key"])
    where = ["--region", "us-east-1", "--endpoint-url", emu.endpoint_url]
    where += ["--s3-endpoint-url", moto_s3_url]

    def run(*argv: str) -> tuple[int, str, str]:
        command, rest = argv[0], list(argv[1:])
        code = cli.main(["batch", command, *rest, *where])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _submit_args(path: Path, bucket: str, *extra: str) -> list[str]:
    return [
        "submit",
        str(path),
        "--model",
        HAIKU,
        "--s3-uri",
        f"s3://{bucket}/cli/",
        "--role-arn",
        BATCH_ROLE,
        *extra,
    ]


def test_submit_wait_status_and_results_in_input_order(
    run: Any, emu: BedrockEmulator, bucket: str, tmp_path: Path
) -> None:
    emu.jobs.output_order = "shuffled"
    emu.jobs.fail_record("00000000003", "ThrottlingException")
    path = tmp_path / "prompts.jsonl"
    lines = [json.dumps(f"Prompt {number}") for number in range(119)]
    lines.insert(
        0, json.dumps({"prompt": "Say hi", "system": "Be terse.", "max_tokens_to_sample": 20})
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, out, err = run(*_submit_args(path, bucket, "--wait", "--poll-interval", "0.02"))
    assert code == 0, err
    arn = out.strip()
    assert arn.startswith("arn:aws:bedrock:us-east-1:") and "model-invocation-job/" in arn
    assert "Completed: 120/120 records, 1 failed" in err.splitlines()[-1]
    record = emu.jobs.job(arn)
    assert record.total == 120

    code, out, _ = run("status", arn, "--json")
    status = json.loads(out)
    assert (code, status["status"], status["total_records"], status["failed_records"]) == (
        0,
        "Completed",
        120,
        1,
    )

    code, out, _ = run("results", arn)
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [result["index"] for result in results] == list(range(120))
    assert results[0]["completion"] and results[0]["usage"]["output_tokens"] > 0
    assert results[3] == {
        "index": 3,
        "record_id": "00000000003",
        "error": "ThrottlingError",
        "message": results[3]["message"],
        "status_code": 429,
    }


def test_a_text_file_of_too_few_prompts_is_refused_before_upload(
    run: Any, bucket: str, moto_s3_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "prompts.txt"
    path.write_text("\n".join(f"prompt {number}" for number in range(20)), encoding="utf-8")
    code, out, err = run(*_submit_args(path, bucket))
    assert (code, out) == (2, "")
    assert "at least 100 records (got 20)" in err and "batch()" in err
    assert "Contents" not in s3_client(moto_s3_url).list_objects_v2(Bucket=bucket)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"prompt": "x", "colour": "red"}\n', "may have"),
        ("not json\n", "line 1 is not JSON"),
        ("[1, 2]\n", "neither a string nor an object"),
    ],
)
def test_a_bad_jsonl_line_is_a_usage_error(
    run: Any, bucket: str, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(*_submit_args(path, bucket))
    assert code == 2 and message in err


def test_a_bad_job_tag_is_a_usage_error(run: Any, bucket: str, tmp_path: Path) -> None:
    path = tmp_path / "prompts.txt"
    path.write_text("\n".join(f"prompt {number}" for number in range(100)), encoding="utf-8")
    code, _, err = run(*_submit_args(path, bucket, "--job-tag", "no-equals-sign"))
    assert code == 2 and "--job-tag takes KEY=VALUE" in err


def test_wait_timeout_stop_and_the_exit_codes(
    run: Any, emu: BedrockEmulator, bucket: str, tmp_path: Path
) -> None:
    emu.jobs.auto = False
    path = tmp_path / "prompts.txt"
    path.write_text("\n".join(f"prompt {number}" for number in range(100)), encoding="utf-8")
    code, out, _ = run(*_submit_args(path, bucket, "--job-name", "cli-stop", "--job-tag", "team=a"))
    arn = out.strip()
    assert code == 0 and emu.jobs.job(arn).request["tags"] == [{"key": "team", "value": "a"}]

    code, _, err = run("wait", arn, "--poll-interval", "0.05", "--timeout", "0.2")
    assert code == 11 and "still Submitted" in err and "Submitted: 0/? records" in err

    code, out, _ = run("stop", arn)
    assert code == 0 and "Stopped" in out
    code, out, err = run("wait", arn, "--poll-interval", "0.05")
    assert code == 10 and "ended Stopped" in err

    code, _, err = run(
        "status", "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/zzzzzzzzzzzz"
    )
    assert code == 10 and "No batch job" in err and "could not be found" in err
    code, _, err = run("results", "not-an-arn", "--json")
    assert code == 7 and json.loads(err)["error"] == "ValidationError"


def test_a_later_process_reads_the_job_by_its_arn(
    run: Any, emu: BedrockEmulator, bucket: str, moto_s3_url: str, tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    path = tmp_path / "prompts.txt"
    path.write_text("\n".join(f"prompt {number}" for number in range(100)), encoding="utf-8")
    code, out, _ = run(*_submit_args(path, bucket, "--wait", "--poll-interval", "0.02"))
    assert code == 0
    arn = out.strip()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["access_key"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["secret_key"],
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_BEDROCK": emu.endpoint_url,
        "AWS_ENDPOINT_URL_S3": moto_s3_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "langchain_bedrock_claude", "batch", "results", arn],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["index"] for line in lines] == list(range(100))
    assert all(line["completion"] for line in lines)
