"""The record of one invocation: what the console charts and the store keeps."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class InvocationResult:
    """One call to Bedrock through one path, successful or not.

    Errors are data here, not exceptions: a failed sample still has a path, a start time
    and a client-side duration, and a comparison run keeps going.

    Timings (milliseconds):
      * ``client_ms``   perf_counter around the call, including reading the whole body
      * ``ttft_ms``     first content chunk (streaming APIs only; None for InvokeModel and
                        Converse, whose answer arrives whole)
      * ``server_ms``   Bedrock's own figure: ``x-amzn-bedrock-invocation-latency``, the stream's
                        ``invocationMetrics.invocationLatency`` or Converse ``metrics.latencyMs``
      * ``overhead_ms`` client_ms - server_ms: network + TLS + auth + SDK
      * ``credentials_ms`` time to obtain this path's credentials (reported apart; 0 when cached)
      * ``ttfb_ms``     first byte of the response (headers in), for every API
      * ``modelled_network_ms`` the sandbox's planned network delay for this call (its
                        ``x-sandbox-network-ms`` header); None against AWS

    The gateway hop (api-gateway and llm-gateway paths; None on the direct paths):
      * ``upstream_ms`` the gateway's own wait for Bedrock (gateway -> Bedrock, as the
                        gateway measured it: the proxy's ``x-proxy-bedrock-ms``, the LLM
                        gateway's ``x-gateway-upstream-ms``)
      * ``init_ms``     the Lambda's cold start on the first call of an environment, apart
      * ``gateway_ms``  client_ms - upstream_ms - init_ms: client -> gateway and back plus
                        the gateway's own work

    Bytes (for the cost of data processed by a NAT gateway or an endpoint):
      * ``request_bytes``  the request body as sent
      * ``response_bytes`` the response body as received (event-stream framing included)
    """

    path: str
    model_id: str
    api: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    client_ms: float | None = None
    ttft_ms: float | None = None
    server_ms: float | None = None
    overhead_ms: float | None = None
    credentials_ms: float | None = None
    retries: int = 0
    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    error_hint: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    request_id: str | None = None
    output_text: str = ""
    stop_reason: str | None = None
    ttfb_ms: float | None = None
    request_bytes: int | None = None
    response_bytes: int | None = None
    modelled_network_ms: float | None = None
    gateway_ms: float | None = None
    upstream_ms: float | None = None
    init_ms: float | None = None
    # The parsed response (JSON body, list of stream chunks, or Converse output) for the
    # raw-response view and the invocation log; never stored in the samples table.
    response_body: Any = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.error_code is None

    def to_dict(self, *, include_body: bool = False) -> dict[str, Any]:
        """JSON-safe dict with the DESIGN.md field names (started_at as ISO 8601 UTC)."""
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["ok"] = self.ok
        if not include_body:
            data.pop("response_body", None)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InvocationResult:
        """The result :meth:`to_dict` described (``ok`` and unknown keys ignored)."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        started = values.get("started_at")
        if isinstance(started, str):
            values["started_at"] = datetime.fromisoformat(started)
        return cls(**values)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name != "response_body"]
