"""``bedrock-claude batch``: submit a file of prompts as a Bedrock batch job, follow it, read it.

```
bedrock-claude batch submit prompts.jsonl --model M --s3-uri s3://bucket/jobs/ --role-arn ARN
bedrock-claude batch status ARN
bedrock-claude batch wait ARN            # progress on stderr
bedrock-claude batch results ARN         # JSON lines on stdout, in input order
bedrock-claude batch stop ARN
```

Exit statuses are the command's table (``bedrock-claude --help``): 10 when the job failed,
expired or was stopped, 11 when ``wait --timeout`` passed first.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from typing import IO, Any, TextIO

from ._batch_format import BatchJobInfo
from ._errors import BatchJobError, BedrockClaudeError, InvalidParameterError

__all__ = ["main"]

PROG = "bedrock-claude batch"
_DEFAULT_POLL = 30.0
_ENDED_BADLY = ("Failed", "Expired", "Stopped")
# Per-record keys a JSONL prompt file may carry (Completion.create's arguments).
_RECORD_KEYS = (
    "prompt",
    "system",
    "max_tokens_to_sample",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run prompts as an Amazon Bedrock batch inference job (half the on-demand "
        "price; results in minutes to hours). Jobs need at least 100 prompts.",
    )
    connection = argparse.ArgumentParser(add_help=False)
    group = connection.add_argument_group("connection")
    group.add_argument("--region", help="AWS region (default: the profile's, or AWS_REGION)")
    group.add_argument("--profile", help="a named profile from ~/.aws/config")
    group.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the Bedrock control plane's endpoint (default: AWS_ENDPOINT_URL_BEDROCK or AWS's)",
    )
    group.add_argument(
        "--s3-endpoint-url",
        metavar="URL",
        help="S3's endpoint (default: AWS_ENDPOINT_URL_S3 or AWS's)",
    )
    group.add_argument("--json", action="store_true", help="print JSON instead of text")
    group.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    submit = commands.add_parser(
        "submit",
        parents=[connection],
        help="submit a file of prompts as a job; prints the job's ARN",
        description='FILE is .jsonl (each line a JSON string, or an object with "prompt" and '
        f"per-record {', '.join(_RECORD_KEYS[1:])}) or text (one prompt per line); '-' is stdin.",
    )
    submit.add_argument("file", metavar="FILE", help="the prompts (.jsonl or text; '-' = stdin)")
    submit.add_argument("-m", "--model", required=True, help="model id, profile id or ARN")
    submit.add_argument("--s3-uri", required=True, metavar="URI", help="S3 prefix for the files")
    submit.add_argument("--role-arn", required=True, metavar="ARN", help="the job's service role")
    submit.add_argument("--job-name", metavar="NAME", help="the job's name (default: generated)")
    submit.add_argument("--output-s3-uri", metavar="URI", help="where Bedrock writes the output")
    submit.add_argument("--timeout-hours", type=int, metavar="H", help="24 to 168 (default 24)")
    submit.add_argument("--kms-key-id", metavar="KEY", help="KMS key for the output")
    submit.add_argument("--job-tag", action="append", metavar="KEY=VALUE", help="a job tag")
    submit.add_argument("--max-tokens", type=int, default=256, metavar="N", help="per record")
    submit.add_argument("--system", metavar="TEXT", help="a system prompt for every record")
    submit.add_argument("--temperature", type=float, metavar="T", help="randomness, 0-1")
    submit.add_argument("--wait", action="store_true", help="then wait for the job to end")
    _wait_options(submit)

    for name, text in (
        ("status", "print the job's status and record counts"),
        ("wait", "wait for the job to end, with progress on stderr"),
        ("results", "print every record's result as JSON lines, in input order"),
        ("stop", "stop the job"),
    ):
        command = commands.add_parser(name, parents=[connection], help=text, description=text)
        command.add_argument("job", metavar="JOB", help="the job's ARN (or id)")
        if name == "wait":
            _wait_options(command)
    return parser


def _wait_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=_DEFAULT_POLL,
        metavar="SECONDS",
        help="seconds between status checks (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", help="give up waiting after this long"
    )


def read_prompts(stream: IO[str], *, jsonl: bool) -> Iterator[str | dict[str, Any]]:
    """The prompts of a file: JSON lines (strings or objects) or one prompt per text line."""
    for number, line in enumerate(stream, start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        if not jsonl:
            yield text
            continue
        try:
            item = json.loads(text)
        except ValueError:
            raise InvalidParameterError(f"line {number} is not JSON: {text[:60]!r}") from None
        if isinstance(item, dict):
            unknown = sorted(set(item) - set(_RECORD_KEYS))
            if unknown or "prompt" not in item:
                raise InvalidParameterError(
                    f'line {number}: an object needs "prompt" and may have '
                    f"{', '.join(_RECORD_KEYS[1:])} (got {sorted(item)})."
                )
            yield item
        elif isinstance(item, str):
            yield item
        else:
            raise InvalidParameterError(f"line {number} is neither a string nor an object.")


def _jobs(args: argparse.Namespace) -> Any:
    from ._client import AnthropicBedrock
    from .batch import BatchJobs

    client = AnthropicBedrock(region=args.region, profile=args.profile)
    return BatchJobs(client, endpoint_url=args.endpoint_url, s3_endpoint_url=args.s3_endpoint_url)


def _summary(info: BatchJobInfo) -> dict[str, Any]:
    return {
        "job_arn": info.job_arn,
        "job_name": info.job_name,
        "status": info.status,
        "message": info.message,
        "model_id": info.model_id,
        "total_records": info.total_record_count,
        "processed_records": info.processed_record_count,
        "failed_records": info.error_record_count,
        "output_s3_uri": info.output_s3_uri,
    }


class _Progress:
    """A progress line on stderr after each check: records, elapsed time, state."""

    def __init__(self, stderr: TextIO) -> None:
        self._stderr = stderr
        self._started = time.monotonic()
        self._last = ""

    def __call__(self, info: BatchJobInfo) -> None:
        line = info.progress()
        if line == self._last:
            return
        self._last = line
        elapsed = time.monotonic() - self._started
        print(f"[{elapsed:6.0f} s] {line}", file=self._stderr, flush=True)


def _print_info(info: BatchJobInfo, args: argparse.Namespace, out: TextIO) -> None:
    if args.json:
        print(json.dumps(_summary(info)), file=out)
    else:
        print(f"{info.job_arn} {info.progress()}", file=out)
        if info.message:
            print(info.message, file=out)


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .batch import BatchJobConfig
    from .cli._parser import parse_pairs as tags  # the same KEY=VALUE reading as --tag

    jobs = _jobs(args)
    if args.command == "submit":
        config = BatchJobConfig(
            s3_uri=args.s3_uri,
            role_arn=args.role_arn,
            job_name=args.job_name,
            output_s3_uri=args.output_s3_uri,
            timeout_hours=args.timeout_hours,
            kms_key_id=args.kms_key_id,
            tags=tags("--job-tag", args.job_tag),
        )
        options: dict[str, Any] = {"max_tokens_to_sample": args.max_tokens}
        if args.system is not None:
            options["system"] = args.system
        if args.temperature is not None:
            options["temperature"] = args.temperature
        jsonl = args.file.endswith(".jsonl")
        if args.file == "-":
            job = jobs.create(
                read_prompts(sys.stdin, jsonl=False), config, model=args.model, **options
            )
        else:
            try:
                stream = open(args.file, encoding="utf-8")  # noqa: SIM115 (closed below)
            except OSError as error:
                raise InvalidParameterError(f"cannot read {args.file}: {error.strerror}") from None
            with stream:
                prompts = read_prompts(stream, jsonl=jsonl)
                job = jobs.create(prompts, config, model=args.model, **options)
        print(json.dumps(_summary(job.info)) if args.json else job.job_arn, file=out, flush=True)
        if not args.wait:
            return 0
        info = job.wait(
            poll_interval=args.poll_interval, timeout=args.timeout, on_progress=_Progress(err)
        )
        return _ended(info)
    job = jobs.get(args.job)
    if args.command == "status":
        _print_info(job.info, args, out)
        return 0
    if args.command == "wait":
        info = job.wait(
            poll_interval=args.poll_interval, timeout=args.timeout, on_progress=_Progress(err)
        )
        _print_info(info, args, out)
        return _ended(info)
    if args.command == "stop":
        job.stop()
        _print_info(job.info, args, out)
        return 0
    for result in job.results():
        print(json.dumps(result.to_dict(), ensure_ascii=False), file=out)
    return 0


def _ended(info: BatchJobInfo) -> int:
    if info.status in _ENDED_BADLY:
        raise BatchJobError(
            f"Batch job {info.job_arn} ended {info.status}"
            + (f": {info.message}" if info.message else "."),
            status=info.status,
            job_arn=info.job_arn,
            model_id=info.model_id,
        )
    return 0


def main(argv: Sequence[str], *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``bedrock-claude batch`` with ``argv``; return the exit status."""
    from .cli._exit_codes import EXIT_INTERRUPTED, EXIT_USAGE, exit_code_for
    from .cli._exit_codes import CommandUsageError as _Usage

    out, err = stdout or sys.stdout, stderr or sys.stderr
    args = _parser().parse_args(list(argv))  # exits with status 2 on a usage error
    try:
        return _run(args, out, err)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted (the job goes on running)", file=err)
        return EXIT_INTERRUPTED
    except _Usage as problem:  # from the command's own KEY=VALUE reader
        print(f"{PROG}: error: {problem}", file=err)
        return EXIT_USAGE
    except Exception as error:
        from ._translate import error_from_exception

        if args.debug:
            import traceback

            traceback.print_exception(type(error), error, error.__traceback__, file=err)
        mapped = error_from_exception(error, model_id=None) or error
        code = exit_code_for(mapped)
        if isinstance(mapped, BedrockClaudeError):
            message = str(mapped)
        else:
            message = f"unexpected {type(error).__name__}: {error} (run again with --debug)"
        if args.json:
            print(
                json.dumps(
                    {
                        "type": "error",
                        "error": type(mapped).__name__,
                        "message": message,
                        "exit_code": code,
                    }
                ),
                file=err,
            )
        else:
            print(f"{PROG}: error: {message}", file=err)
        return code
