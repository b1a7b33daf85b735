"""Sandbox cost floor and delay fidelity, measured side by side in one run.

1. Floor: boto3 ``invoke_model`` against the sandbox with no simulated delay, interleaved
   call by call with the same boto3 call against a minimal empty HTTP/1.1 server that answers
   a tiny JSON body (same session, same client Config). Prints p50/p99 of each and the ratio
   (goal: sandbox p50 <= 1.5x the empty server's).
2. Fidelity: against a sandbox *with* its modelled delays, the observed client time minus the
   no-delay floor of the same call is compared to what the sandbox planned (it reports its
   sampled delay in ``x-sandbox-network-ms`` / ``x-sandbox-simulated-ms``). Prints the p50 of
   the error in ms (goal: within 1 ms) for network-only calls on each path and for full
   model invocations.

Usage: ``.venv/bin/python bench/sandbox_floor.py [-n 2000] [--model-calls 20]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3
from botocore.config import Config

from workshop.sandbox import PARTICIPANT_ACCESS_KEY, PARTICIPANT_SECRET_KEY, start_sandbox

MODEL = "anthropic.claude-3-haiku-20240307-v1:0"
BODY = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
                   "messages": [{"role": "user", "content": "Why is PrivateLink private?"}]})
COUNT_INPUT = {"invokeModel": {"body": BODY}}
CONFIG = Config(retries={"total_max_attempts": 1}, max_pool_connections=4, tcp_keepalive=True)


class _Empty(BaseHTTPRequestHandler):
    """The floor: read the request, answer a tiny JSON body, nothing else."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    payload = b'{"ok":true}'

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(self.payload), self.payload))

    def log_message(self, *args: Any) -> None:
        pass


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(call) -> tuple[float, Any]:
    start = time.perf_counter()
    response = call()
    if "body" in response and hasattr(response["body"], "read"):
        response["body"].read()
    return (time.perf_counter() - start) * 1000.0, response


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="interleaved calls per side for the floor")
    parser.add_argument("--network-calls", type=int, default=200, help="network-only calls per path (fidelity)")
    parser.add_argument("--model-calls", type=int, default=20, help="full invocations with delay (fidelity)")
    args = parser.parse_args(argv)

    session = boto3.Session(aws_access_key_id=PARTICIPANT_ACCESS_KEY, aws_secret_access_key=PARTICIPANT_SECRET_KEY,
                            region_name="us-east-1")
    empty = ThreadingHTTPServer(("127.0.0.1", 0), _Empty)
    empty.daemon_threads = True
    threading.Thread(target=empty.serve_forever, daemon=True).start()
    fast = start_sandbox(no_delay=True)
    slow = start_sandbox(no_delay=False, seed=1)
    try:
        floor_client = session.client("bedrock-runtime", endpoint_url=f"http://127.0.0.1:{empty.server_address[1]}",
                                      config=CONFIG)
        fast_client = session.client("bedrock-runtime", endpoint_url=fast.endpoints["vpce"], config=CONFIG)

        def on_empty() -> float:
            return _timed(lambda: floor_client.invoke_model(modelId=MODEL, body=BODY))[0]

        def on_sandbox() -> float:
            return _timed(lambda: fast_client.invoke_model(modelId=MODEL, body=BODY))[0]

        for _ in range(50):  # warm both connections and botocore's caches
            on_empty()
            on_sandbox()
        empty_ms: list[float] = []
        sandbox_ms: list[float] = []
        for i in range(args.n):
            # Alternate which side goes first so neither always follows the other.
            if i % 2:
                empty_ms.append(on_empty())
                sandbox_ms.append(on_sandbox())
            else:
                sandbox_ms.append(on_sandbox())
                empty_ms.append(on_empty())
        p50_e, p99_e = _pct(empty_ms, 0.5), _pct(empty_ms, 0.99)
        p50_s, p99_s = _pct(sandbox_ms, 0.5), _pct(sandbox_ms, 0.99)
        print(f"floor: boto3 invoke_model, {args.n} interleaved calls each")
        print(f"  empty HTTP server   p50 {p50_e:7.3f} ms   p99 {p99_e:7.3f} ms")
        print(f"  sandbox (no delay)  p50 {p50_s:7.3f} ms   p99 {p99_s:7.3f} ms")
        print(f"  ratio sandbox/empty p50 {p50_s / p50_e:5.2f}x     p99 {p99_s / p99_e:5.2f}x   (goal p50 <= 1.5x)")

        print("fidelity: observed - no-delay floor - planned delay (ms)")
        # The cross-account listener only serves account B's role, on each sandbox its own session.
        sessions = {
            "nat": (session, session),
            "vpce": (session, session),
            "cross-account": (_account_b(slow), _account_b(fast)),
        }
        for path, (slow_session, fast_session) in sessions.items():
            errors, planned = _network_errors(
                slow_session.client("bedrock-runtime", endpoint_url=slow.endpoints[path], config=CONFIG),
                fast_session.client("bedrock-runtime", endpoint_url=fast.endpoints[path], config=CONFIG),
                args.network_calls)
            print(f"  {path:<14} network-only  planned p50 {statistics.median(planned):6.3f}  "
                  f"error p50 {statistics.median(errors):+6.3f}  |error| p50 {statistics.median(map(abs, errors)):6.3f}")

        delayed = session.client("bedrock-runtime", endpoint_url=slow.endpoints["vpce"], config=CONFIG)
        errors, planned = [], []
        small = json.dumps({"schemaVersion": "messages-v1", "inferenceConfig": {"maxTokens": 8},
                            "messages": [{"role": "user", "content": [{"text": "One line on NAT gateways"}]}]})
        for _ in range(args.model_calls):
            ms, response = _timed(lambda: delayed.invoke_model(modelId="amazon.nova-micro-v1:0", body=small))
            floor_ms = _timed(lambda: fast_client.invoke_model(modelId="amazon.nova-micro-v1:0", body=small))[0]
            plan = float(response["ResponseMetadata"]["HTTPHeaders"]["x-sandbox-simulated-ms"])
            planned.append(plan)
            errors.append(ms - floor_ms - plan)
        print(f"  {'vpce':<14} invoke (model) planned p50 {statistics.median(planned):6.1f}  "
              f"error p50 {statistics.median(errors):+6.3f}  |error| p50 {statistics.median(map(abs, errors)):6.3f}")
    finally:
        fast.stop()
        slow.stop()
        empty.shutdown()
        empty.server_close()
    return 0


def _account_b(server: Any) -> boto3.Session:
    """A session of account B's role, assumed through ``server``'s STS."""
    from workshop.sandbox import CROSS_ACCOUNT_EXTERNAL_ID, CROSS_ACCOUNT_ROLE_ARN

    participant = boto3.Session(aws_access_key_id=PARTICIPANT_ACCESS_KEY,
                                aws_secret_access_key=PARTICIPANT_SECRET_KEY, region_name="us-east-1")
    creds = participant.client("sts", endpoint_url=server.sts_endpoint).assume_role(
        RoleArn=CROSS_ACCOUNT_ROLE_ARN, RoleSessionName="bench", ExternalId=CROSS_ACCOUNT_EXTERNAL_ID)["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name="us-east-1")


def _network_errors(delayed: Any, floor: Any, n: int) -> tuple[list[float], list[float]]:
    """CountTokens has no model time, so its delay is the path's network delay alone.

    Each delayed call is paired with a no-delay call right after it, so drift in machine
    load cancels out of the difference.
    """
    for _ in range(20):
        delayed.count_tokens(modelId=MODEL, input=COUNT_INPUT)
        floor.count_tokens(modelId=MODEL, input=COUNT_INPUT)
    errors, planned = [], []
    for _ in range(n):
        ms, response = _timed(lambda: delayed.count_tokens(modelId=MODEL, input=COUNT_INPUT))
        floor_ms, _ = _timed(lambda: floor.count_tokens(modelId=MODEL, input=COUNT_INPUT))
        plan = float(response["ResponseMetadata"]["HTTPHeaders"]["x-sandbox-network-ms"])
        planned.append(plan)
        errors.append(ms - floor_ms - plan)
    return errors, planned


if __name__ == "__main__":
    sys.exit(main())
