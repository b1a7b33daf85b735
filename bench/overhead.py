"""How much the console's ``invoke()`` adds over bare boto3, measured in one process.

Against the sandbox with simulated delay off, time bare ``boto3`` ``invoke_model`` (read the
body, nothing else) and ``workshop.invoke.invoke`` for the same request, interleaved so
drift hits both alike, and print p50/p99 of each and their ratio. Goal: p50 ratio <= 1.10.

    .venv/bin/python bench/overhead.py [-n 2000] [--api invoke]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
from botocore.config import Config

from workshop.invoke import invoke
from workshop.sandbox import principals
from workshop.workbench import Workbench

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "What is the square root of 16?"}],
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="calls of each kind (default 2000)")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--path", default="nat")
    args = parser.parse_args()

    with Workbench.open(no_delay=True) as wb:
        client = wb.client(args.path)
        bare = boto3.Session(
            aws_access_key_id=principals.PARTICIPANT_ACCESS_KEY,
            aws_secret_access_key=principals.PARTICIPANT_SECRET_KEY,
            region_name=client.path.region,
        ).client("bedrock-runtime", endpoint_url=client.endpoint_url,
                 config=Config(retries={"mode": "standard", "max_attempts": 3}))
        payload = json.dumps(BODY)

        def bare_call() -> float:
            t0 = time.perf_counter()
            response = bare.invoke_model(modelId=MODEL, body=payload, contentType="application/json",
                                         accept="application/json")
            response["body"].read()
            return (time.perf_counter() - t0) * 1000.0

        def console_call() -> float:
            t0 = time.perf_counter()
            result = invoke(client, MODEL, BODY, "invoke")
            elapsed = (time.perf_counter() - t0) * 1000.0
            if not result.ok:
                raise SystemExit(f"console invoke failed: {result.error_code}: {result.error_message}")
            return elapsed

        for _ in range(args.warmup):
            bare_call()
            console_call()
        bare_ms: list[float] = []
        console_ms: list[float] = []
        for i in range(args.n):
            # Alternate which goes first so neither always gets the warmer cache.
            if i % 2:
                bare_ms.append(bare_call())
                console_ms.append(console_call())
            else:
                console_ms.append(console_call())
                bare_ms.append(bare_call())

    def row(name: str, values: list[float]) -> str:
        return (f"{name:<16} n={len(values):>5}  p50={percentile(values, 0.5):7.3f} ms  "
                f"p99={percentile(values, 0.99):7.3f} ms  mean={statistics.fmean(values):7.3f} ms")

    print(f"sandbox, no simulated delay, path {args.path}, model {MODEL}, api invoke")
    print(row("bare boto3", bare_ms))
    print(row("console invoke", console_ms))
    ratio50 = percentile(console_ms, 0.5) / percentile(bare_ms, 0.5)
    ratio99 = percentile(console_ms, 0.99) / percentile(bare_ms, 0.99)
    verdict = "meets" if ratio50 <= 1.10 else "MISSES"
    print(f"ratio p50={ratio50:.3f}  p99={ratio99:.3f}  ({verdict} the goal p50 <= 1.10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
