"""Bulk jobs: a 100,000-record Bedrock batch inference job end to end, beside json + boto3.

The emulator (its batch control plane) and moto's S3 server run together in a child process
(``python -m benchmarks.jobs --serve``), and each contender runs in a fresh child of its own
(``python -m benchmarks.jobs --child ...``), so only the client's memory and CPU are counted.

* **langchain-bedrock-claude**: ``client.batch_jobs.create(prompts, ...)`` from a generator of
  prompts (every record checked as a call would be, staged to temporary files, multipart
  upload), ``job.wait()``, then ``job.results()`` read to the end (joined on recordId, in
  input order, streamed from S3).
* **json + boto3**: the plain loop: ``json.dumps`` of each record into a list, one
  ``put_object`` per 50,000-record file, ``create_model_invocation_job``, poll, then
  ``get_object(...).read()``, ``json.loads`` of each line and a sort by recordId.

Reported: client-side seconds per record (build and upload, plus download and join; the
job's own run time at the emulator is excluded) and peak RSS growth over the run.
Target: the job's peak RSS growth stays under 100 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import sys
import threading
import time
from typing import Any

from ._harness import Report, Settings, Table, Target, times
from ._server import EmulatorProcess

MODEL = "anthropic.claude-haiku-4-5-20251001-v1:0"
ROLE = "arn:aws:iam::123456789012:role/bedrock-batch"
BUCKET = "benchmark-jobs"
MAX_TOKENS = 64
RECORDS_PER_FILE = 50_000
"""Bedrock's default "Records per input file per batch inference job" quota."""
TARGET_RSS_MB = 100.0
_MB = 1024 * 1024
_POLL = 0.25
_CONTENDERS = ("langchain-bedrock-claude", "json + boto3")
_KEYS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "benchmark"}


def _prompt(number: int) -> str:
    return f"Record {number}: classify this short support ticket as billing, bug or other."


# --- the servers' child -----------------------------------------------------------------------


def serve(records: int) -> None:
    """moto's S3 and the emulator; print ``<emulator URL> <S3 URL>`` and serve until SIGTERM."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    from langchain_bedrock_claude.testing import BedrockEmulator

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    s3_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3_server.start()
    host, port = s3_server.get_host_and_port()
    s3_url = f"http://{host}:{port}"
    boto3.client("s3", region_name="us-east-1", endpoint_url=s3_url, **_KEYS).create_bucket(
        Bucket=BUCKET
    )
    with BedrockEmulator() as emulator:
        emulator.jobs.s3_endpoint_url = s3_url
        emulator.jobs.max_records_per_job = records  # a raised quota, as an account can have
        print(f"{emulator.endpoint_url} {s3_url}", flush=True)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        while not stop.wait(0.5):
            pass
    s3_server.stop()


# --- the contenders' children -----------------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak() -> int:
    # The high-water mark of this process's own memory (VmHWM). Not ru_maxrss: Linux carries
    # into it the RSS of the process that spawned this one (the benchmark runner, hundreds of
    # MB after the other groups), so the "growth" measured was the runner's size.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def _ours(emulator: str, s3_url: str, records: int) -> dict[str, Any]:
    from langchain_bedrock_claude import AnthropicBedrock
    from langchain_bedrock_claude.batch import BatchJobConfig, BatchJobs, BatchQuotas

    client = AnthropicBedrock(
        region="us-east-1", endpoint_url=emulator, access_key="AKIDEXAMPLE", secret_key="x"
    )
    jobs = BatchJobs(client, endpoint_url=emulator, s3_endpoint_url=s3_url)
    config = BatchJobConfig(
        s3_uri=f"s3://{BUCKET}/ours/",
        role_arn=ROLE,
        quotas=BatchQuotas(max_records_per_job=records),
    )
    jobs.list()  # warm: both boto3 clients built, their first requests made
    before = _rss()
    started = time.perf_counter()
    prompts = (_prompt(number) for number in range(records))
    job = jobs.create(prompts, config, model=MODEL, max_tokens_to_sample=MAX_TOKENS)
    built = time.perf_counter()
    job.wait(poll_interval=_POLL, timeout=3600)
    waited = time.perf_counter()
    count = failed = 0
    for result in job.results():
        count += 1
        failed += not result.ok
    joined = time.perf_counter()
    return _figures(before, started, built, waited, joined, count, failed)


def _plain(emulator: str, s3_url: str, records: int) -> dict[str, Any]:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=s3_url, **_KEYS)
    bedrock = boto3.client("bedrock", region_name="us-east-1", endpoint_url=emulator, **_KEYS)
    bedrock.list_model_invocation_jobs()
    s3.list_objects_v2(Bucket=BUCKET, MaxKeys=1)
    before = _rss()
    started = time.perf_counter()
    lines = []
    for number in range(records):
        body = {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": MAX_TOKENS,
            "messages": [{"role": "user", "content": [{"type": "text", "text": _prompt(number)}]}],
        }
        lines.append(json.dumps({"recordId": f"{number:011d}", "modelInput": body}))
    for start in range(0, records, RECORDS_PER_FILE):
        data = "\n".join(lines[start : start + RECORDS_PER_FILE]).encode()
        s3.put_object(Bucket=BUCKET, Key=f"plain/in/records-{start:08d}.jsonl", Body=data)
    del lines
    arn = bedrock.create_model_invocation_job(
        jobName=f"plain-{int(time.time())}",
        roleArn=ROLE,
        modelId=MODEL,
        inputDataConfig={"s3InputDataConfig": {"s3Uri": f"s3://{BUCKET}/plain/in/"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/plain/out/"}},
    )["jobArn"]
    built = time.perf_counter()
    while bedrock.get_model_invocation_job(jobIdentifier=arn)["status"] not in (
        "Completed",
        "PartiallyCompleted",
        "Failed",
        "Stopped",
    ):
        time.sleep(_POLL)
    waited = time.perf_counter()
    prefix = f"plain/out/{arn.rsplit('/', 1)[-1]}/"
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]
    results: dict[str, Any] = {}
    for item in listed:
        if item["Key"].endswith(".jsonl.out"):
            data = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            for line in data.splitlines():
                record = json.loads(line)
                results[record["recordId"]] = record
    ordered = [results[key] for key in sorted(results)]
    failed = sum("error" in record for record in ordered)
    joined = time.perf_counter()
    return _figures(before, started, built, waited, joined, len(ordered), failed)


def _figures(
    before: int, started: float, built: float, waited: float, joined: float, count: int, failed: int
) -> dict[str, Any]:
    return {
        "build_upload": built - started,
        "wait": waited - built,
        "join": joined - waited,
        "rss_growth": max(0, _peak() - before),
        "results": count,
        "failed": failed,
    }


def _child(contender: str, emulator: str, s3_url: str, records: int) -> dict[str, Any]:
    run = _ours if contender == _CONTENDERS[0] else _plain
    return run(emulator, s3_url, records)


def _in_child(contender: str, emulator: str, s3_url: str, records: int) -> dict[str, Any]:
    import subprocess

    from ._server import ROOT

    command = [sys.executable, "-m", "benchmarks.jobs", "--child", contender, emulator, s3_url]
    done = subprocess.run(
        [*command, str(records)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{contender} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# --- the group ----------------------------------------------------------------------------------


def run(endpoint_url: str, settings: Settings, report: Report) -> None:
    """The ``jobs`` group (it starts its own emulator with moto's S3 beside it)."""
    records = settings.jobs_records
    with EmulatorProcess(module="benchmarks.jobs", args=("--serve", str(records))) as servers:
        emulator, s3_url = servers.endpoint_url.split()
        figures = {name: _in_child(name, emulator, s3_url, records) for name in _CONTENDERS}
    table = Table(
        f"Bulk job: {records:,} records end to end (batch inference on the emulator, moto S3)",
        ("contender", "build+upload s", "job run s", "download+join s", "client us/record",
         "peak RSS growth MB", "results"),
    )  # fmt: skip
    per_record: dict[str, float] = {}
    for name, got in figures.items():
        client = got["build_upload"] + got["join"]
        per_record[name] = client / records
        table.add(
            name,
            f"{got['build_upload']:.2f}",
            f"{got['wait']:.2f}",
            f"{got['join']:.2f}",
            f"{per_record[name] * 1e6:.1f}",
            f"{got['rss_growth'] / _MB:.1f}",
            f"{got['results']:,} ({got['failed']} failed)",
        )
    ratio = per_record[_CONTENDERS[0]] / per_record[_CONTENDERS[1]]
    table.notes.append(
        f"client time per record: {times(ratio)} the plain json + boto3 loop, which skips every "
        "check, holds all records in memory and keeps no input order guarantee beyond a sort"
    )
    report.tables.append(table)
    growth = figures[_CONTENDERS[0]]["rss_growth"] / _MB
    complete = figures[_CONTENDERS[0]]["results"] == records
    report.targets.append(
        Target(
            f"bulk job of {records:,} records: peak RSS growth",
            f"< {TARGET_RSS_MB:.0f} MB, every result joined",
            f"{growth:.1f} MB, {figures[_CONTENDERS[0]]['results']:,} results",
            growth < TARGET_RSS_MB and complete,
        )
    )
    report.raw["jobs"] = {"records": records, **figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.jobs")
    parser.add_argument("--serve", type=int, metavar="RECORDS")
    parser.add_argument("--child", nargs=4, metavar=("CONTENDER", "EMULATOR", "S3", "RECORDS"))
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return 0
    if args.child is not None:
        contender, emulator, s3_url, records = args.child
        print(json.dumps(_child(contender, emulator, s3_url, int(records))), flush=True)
        return 0
    parser.error("use python -m benchmarks jobs")
    return 2


if __name__ == "__main__":
    sys.exit(main())
