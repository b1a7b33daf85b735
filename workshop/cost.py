"""What each access path costs a month, at a volume the user states, from list prices.

Latency is half of what a stakeholder decides on; money is the other half, and the two
paths differ more in money than in milliseconds. For each path of a run this estimates:

* **model**: tokens per call (measured by the run, or stated) x the model's on-demand list
  price — the same on every path (the model does not know how it was reached);
* **fixed network**: what exists per hour whether or not a call is made — NAT gateways
  (and their public IPv4 addresses) for ``nat``; interface endpoints per AZ for ``vpce``;
  account B's endpoint (plus Transit Gateway attachments, when that is the link) for
  ``cross-account``;
* **data processed**: bytes per call (the request and response bodies the run measured,
  plus an estimate of HTTP headers) x the volume x the per-GB charge of what the traffic
  crosses;
* **the gateway paths**: ``api-gateway`` adds API Gateway REST requests, Lambda requests and
  GB-seconds (the proxy's measured wait for Bedrock x its memory: a Lambda is billed while it
  waits) and the execute-api endpoint; ``llm-gateway`` adds its host, a stated assumption
  (one small instance per AZ), and the NAT data processing of its way to Bedrock.

Prices come from ``workshop/data/prices.json``: pinned list prices with their date and
source pages, per region where they differ; any of them can be overridden in the config's
``[cost]`` section. They are list prices: no discounts, no free tier, no Savings Plans.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from workshop.errors import ConfigError

PRICES_FILE = Path(__file__).resolve().parent / "data" / "prices.json"
HEADER_BYTES_PER_CALL = 1600
"""HTTP headers per call, both directions (SigV4 request headers ~1.1 KB, response ~0.5 KB):
estimated, not measured — botocore does not expose what it put on the wire."""
GB = 1_000_000_000  # AWS bills data processing per decimal gigabyte
DEFAULT_CALLS_PER_MONTH = 1_000_000
LINKS = ("peering", "tgw")

_NETWORK_KEYS = {
    # [cost] key -> prices.json network key
    "NatHourly": "nat_gateway_hour",
    "NatPerGB": "nat_gateway_gb",
    "PublicIPv4Hourly": "public_ipv4_hour",
    "EndpointHourly": "interface_endpoint_az_hour",
    "EndpointPerGB": "interface_endpoint_gb",
    "TgwAttachmentHourly": "transit_gateway_attachment_hour",
    "TgwPerGB": "transit_gateway_gb",
    "PeeringCrossAzPerGB": "peering_cross_az_gb",
    "ApiGatewayPerMillion": "apigw_rest_million",
    "LambdaRequestsPerMillion": "lambda_request_million",
    "LambdaGBSecond": "lambda_gb_second",
    "GatewayHostHourly": "gateway_host_hour",
}


@lru_cache(maxsize=1)
def price_table() -> dict[str, Any]:
    """The pinned price table (workshop/data/prices.json)."""
    return json.loads(PRICES_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class CostSettings:
    """The volume and topology a cost estimate is for (``[cost]`` in the config)."""

    calls_per_month: int = DEFAULT_CALLS_PER_MONTH
    azs: int = 2  # AZs the endpoints span (one endpoint ENI per AZ)
    nat_gateways: int | None = None  # default: one per AZ, the highly available layout
    cross_account_link: str = "peering"  # peering (same-AZ traffic: no charge) or tgw
    cross_az_share: float = 0.0  # of peered traffic that crosses AZs (charged both ways)
    input_tokens: float | None = None  # per call; None: the run's mean
    output_tokens: float | None = None
    model_input_per_1m: float | None = None  # override the table's model price
    model_output_per_1m: float | None = None
    lambda_memory_mb: int = 512  # the proxy Lambda's memory (GB-seconds are billed on it)
    gateway_hosts: int | None = None  # LLM gateway instances; default: one per AZ
    network: dict[str, float] = field(default_factory=dict)  # prices.json network key -> price

    @property
    def gateways(self) -> int:
        return self.azs if self.nat_gateways is None else self.nat_gateways

    @classmethod
    def from_mapping(cls, values: Mapping[str, str], *, source: str | None = None) -> CostSettings:
        """From a config's ``[cost]`` section (ConfigError naming the key on a bad value)."""
        lowered = {k.lower(): (k, str(v).strip()) for k, v in values.items()}
        out: dict[str, Any] = {}

        def number(key: str, *, integer: bool = False, minimum: float = 0.0, maximum: float = math.inf) -> Any:
            found = lowered.get(key.lower())
            if found is None or found[1] == "":
                return None
            name, raw = found
            try:
                value = int(raw.replace(",", "").replace("_", "")) if integer else float(raw)
            except ValueError:
                value = None
            if value is None or not math.isfinite(value) or not minimum <= value <= maximum:
                kind = "a whole number" if integer else "a number"
                raise ConfigError(f"{raw!r} is not valid", field=f"[cost] {name}",
                                  fix=f"expected {kind} from {minimum:g}" + (f" to {maximum:g}" if maximum < math.inf else ""),
                                  source=source)
            return value

        for key, attr, integer, maximum in (
            ("CallsPerMonth", "calls_per_month", True, 1e13),
            ("AZs", "azs", True, 6),
            ("NatGateways", "nat_gateways", True, 6),
            ("CrossAzShare", "cross_az_share", False, 1.0),
            ("InputTokensPerCall", "input_tokens", False, 1e7),
            ("OutputTokensPerCall", "output_tokens", False, 1e7),
            ("ModelInputPer1M", "model_input_per_1m", False, 1e4),
            ("ModelOutputPer1M", "model_output_per_1m", False, 1e4),
            ("LambdaMemoryMB", "lambda_memory_mb", True, 10240),
            ("GatewayHosts", "gateway_hosts", True, 100),
        ):
            value = number(key, integer=integer, maximum=maximum)
            if value is not None:
                out[attr] = value
        if "lambda_memory_mb" in out and out["lambda_memory_mb"] < 128:
            raise ConfigError(f"{out['lambda_memory_mb']} is not valid", field="[cost] LambdaMemoryMB",
                              fix="Lambda memory from 128 to 10240 MB", source=source)
        if out.get("azs") == 0:
            raise ConfigError("0 is not valid", field="[cost] AZs", fix="at least 1 Availability Zone", source=source)
        link = lowered.get("crossaccountlink")
        if link and link[1]:
            if link[1].lower() not in LINKS:
                raise ConfigError(f"{link[1]!r} is not valid", field=f"[cost] {link[0]}",
                                  fix="peering or tgw", source=source)
            out["cross_account_link"] = link[1].lower()
        network = {}
        for key, price_key in _NETWORK_KEYS.items():
            value = number(key, maximum=1e3)
            if value is not None:
                network[price_key] = value
        known = {k.lower() for k in (*_NETWORK_KEYS, "CallsPerMonth", "AZs", "NatGateways", "CrossAzShare",
                                     "InputTokensPerCall", "OutputTokensPerCall", "ModelInputPer1M",
                                     "ModelOutputPer1M", "CrossAccountLink", "LambdaMemoryMB", "GatewayHosts")}
        unknown = [name for low, (name, _) in lowered.items() if low not in known]
        if unknown:
            raise ConfigError(f"unknown key {unknown[0]!r}", field=f"[cost] {unknown[0]}",
                              fix="see docs/cost.md for the keys of [cost]", source=source)
        return cls(network=network, **out)

    def with_volume(self, calls_per_month: int) -> CostSettings:
        return replace(self, calls_per_month=int(calls_per_month))


@dataclass(frozen=True)
class CostLine:
    """One priced item: what, how many, at what unit price, for how much a month."""

    item: str
    quantity: float
    unit: str
    unit_price: float

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class PathCost:
    """A month of one path at the stated volume."""

    path: str
    kind: str
    fixed: tuple[CostLine, ...]  # hourly infrastructure
    data: tuple[CostLine, ...]  # per GB processed
    model: CostLine | None  # tokens x price (None: no price known)
    bytes_per_call: float
    notes: tuple[str, ...] = ()

    @property
    def fixed_monthly(self) -> float:
        return sum(line.monthly for line in self.fixed)

    @property
    def data_monthly(self) -> float:
        return sum(line.monthly for line in self.data)

    @property
    def network_monthly(self) -> float:
        return self.fixed_monthly + self.data_monthly

    @property
    def model_monthly(self) -> float | None:
        return self.model.monthly if self.model is not None else None

    @property
    def total_monthly(self) -> float:
        return self.network_monthly + (self.model_monthly or 0.0)

    def to_dict(self) -> dict[str, Any]:
        def line(c: CostLine) -> dict[str, Any]:
            return {"item": c.item, "quantity": c.quantity, "unit": c.unit, "unit_price": c.unit_price,
                    "monthly": c.monthly}

        return {
            "path": self.path, "kind": self.kind, "bytes_per_call": self.bytes_per_call,
            "fixed_monthly": self.fixed_monthly, "data_monthly": self.data_monthly,
            "network_monthly": self.network_monthly, "model_monthly": self.model_monthly,
            "total_monthly": self.total_monthly,
            "lines": [line(c) for c in (*self.fixed, *self.data, *([self.model] if self.model else []))],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class CostEstimate:
    """Every path of a run, priced at one volume, with where the prices came from."""

    calls_per_month: int
    region: str
    model_id: str
    paths: dict[str, PathCost]
    as_of: str
    sources: tuple[str, ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls_per_month": self.calls_per_month, "region": self.region, "model_id": self.model_id,
            "prices": "list prices", "as_of": self.as_of, "sources": list(self.sources),
            "paths": {p: c.to_dict() for p, c in self.paths.items()}, "notes": list(self.notes),
        }


def network_prices(region: str, overrides: Mapping[str, float] | None = None) -> tuple[dict[str, float], bool]:
    """(prices, listed): the region's network prices (the default row where the table has no
    entry for the region; ``listed`` False then), with the config's overrides applied."""
    table = price_table()["network"]
    prices = dict(table["default"])
    listed = region in table["regions"]
    prices.update(table["regions"].get(region, {}))
    prices.update(overrides or {})
    return prices, listed


def model_price(model_id: str, settings: CostSettings) -> tuple[float, float] | None:
    """(input, output) USD per million tokens: the config's override, else the table's for the
    base model (an inference profile is priced as its model), else None."""
    if settings.model_input_per_1m is not None and settings.model_output_per_1m is not None:
        return settings.model_input_per_1m, settings.model_output_per_1m
    from workshop.catalog import base_model_id

    try:
        base = base_model_id(model_id)
    except Exception:  # an ARN or an unknown shape: no table price
        base = model_id
    row = price_table()["models"].get(base)
    if row is None:
        return None
    return (settings.model_input_per_1m if settings.model_input_per_1m is not None else row["input"],
            settings.model_output_per_1m if settings.model_output_per_1m is not None else row["output"])


def estimate(
    per_path: Mapping[str, Mapping[str, float]],
    *,
    kinds: Mapping[str, str],
    model_id: str,
    region: str,
    settings: CostSettings | None = None,
) -> CostEstimate:
    """Price every path of a run.

    ``per_path[path]`` holds the run's means per call: ``input_tokens``, ``output_tokens``,
    ``request_bytes``, ``response_bytes`` (NaN or missing: 0). ``kinds`` maps a path to its
    kind (nat, vpce, cross-account; another kind gets the model cost only, and a note).
    """
    settings = settings or CostSettings()
    hours = float(price_table()["hours_per_month"])
    net, listed = network_prices(region, settings.network)
    volume = settings.calls_per_month
    price = model_price(model_id, settings)
    notes = []
    if not listed:
        notes.append(f"network prices for {region} are not in the table: the default (us-east-1) list prices are used")
    if price is None:
        notes.append(f"no list price for {model_id} in the table: set ModelInputPer1M and ModelOutputPer1M in [cost]")
    out: dict[str, PathCost] = {}
    for path, means in per_path.items():
        kind = kinds.get(path, path)
        body = _num(means.get("request_bytes")) + _num(means.get("response_bytes"))
        per_call = body + HEADER_BYTES_PER_CALL
        gb = per_call * volume / GB
        tokens_in = settings.input_tokens if settings.input_tokens is not None else _num(means.get("input_tokens"))
        tokens_out = settings.output_tokens if settings.output_tokens is not None else _num(means.get("output_tokens"))
        model = None
        if price is not None:
            per_call_usd = (tokens_in * price[0] + tokens_out * price[1]) / 1e6
            model = CostLine(f"model: {tokens_in:,.0f} in + {tokens_out:,.0f} out tokens per call", volume,
                             "calls", per_call_usd)
        fixed: list[CostLine] = []
        data: list[CostLine] = []
        path_notes: list[str] = []
        if kind == "nat":
            n = settings.gateways
            fixed.append(CostLine(f"NAT gateway x {n}", n * hours, "gateway-hours", net["nat_gateway_hour"]))
            fixed.append(CostLine(f"public IPv4 address x {n}", n * hours, "address-hours", net["public_ipv4_hour"]))
            data.append(CostLine("NAT data processing", gb, "GB", net["nat_gateway_gb"]))
            path_notes.append("a NAT gateway usually serves other traffic too: then only its data processing is "
                              "Bedrock's")
        elif kind == "vpce":
            fixed.append(CostLine(f"bedrock-runtime interface endpoint x {settings.azs} AZ", settings.azs * hours,
                                  "endpoint-AZ-hours", net["interface_endpoint_az_hour"]))
            data.append(CostLine("endpoint data processing", gb, "GB", net["interface_endpoint_gb"]))
        elif kind == "cross-account":
            fixed.append(CostLine(f"account B's interface endpoint x {settings.azs} AZ", settings.azs * hours,
                                  "endpoint-AZ-hours", net["interface_endpoint_az_hour"]))
            data.append(CostLine("endpoint data processing (account B)", gb, "GB", net["interface_endpoint_gb"]))
            if settings.cross_account_link == "tgw":
                fixed.append(CostLine("Transit Gateway attachment x 2 (A and B)", 2 * hours, "attachment-hours",
                                      net["transit_gateway_attachment_hour"]))
                data.append(CostLine("Transit Gateway data processing", gb, "GB", net["transit_gateway_gb"]))
            else:
                crossing = gb * settings.cross_az_share
                data.append(CostLine(f"peering across AZs ({settings.cross_az_share:.0%} of traffic)", crossing, "GB",
                                     net["peering_cross_az_gb"]))
                path_notes.append("VPC peering has no hourly charge; traffic that stays within one AZ costs nothing")
            path_notes.append("AssumeRole (STS) is free; the model is billed to account B")
        elif kind == "api-gateway":
            _price_api_gateway(fixed, data, path_notes, settings, net, hours, gb, volume, _num(means.get("upstream_ms")))
        elif kind == "llm-gateway":
            hosts = settings.gateway_hosts if settings.gateway_hosts is not None else settings.azs
            fixed.append(CostLine(f"LLM gateway host x {hosts} (assumed: one small instance per AZ)", hosts * hours,
                                  "instance-hours", net["gateway_host_hour"]))
            data.append(CostLine("NAT data processing (gateway -> Bedrock)", gb, "GB", net["nat_gateway_gb"]))
            path_notes.append("the gateway's host is an assumption (set GatewayHosts and GatewayHostHourly in [cost] "
                              "for yours); it reaches Bedrock through the NAT gateway, whose hours the nat path counts")
        else:
            path_notes.append(f"no network price model for a {kind!r} path: model cost only")
        out[path] = PathCost(path, kind, tuple(fixed), tuple(data), model, per_call, tuple(path_notes))
    pt = price_table()
    sources = tuple(pt["sources"]["network"]) + tuple(pt["sources"]["models"])
    return CostEstimate(volume, region, model_id, out, pt["as_of"], sources, tuple(notes))


def _price_api_gateway(fixed: list[CostLine], data: list[CostLine], notes: list[str], settings: CostSettings,
                       net: Mapping[str, float], hours: float, gb: float, volume: int, upstream_ms: float) -> None:
    """The private API + Lambda proxy: API Gateway requests, Lambda requests and duration, the
    execute-api endpoint, and the Lambda's way to Bedrock (a bedrock-runtime endpoint)."""
    millions = volume / 1e6
    fixed.append(CostLine(f"execute-api interface endpoint x {settings.azs} AZ", settings.azs * hours,
                          "endpoint-AZ-hours", net["interface_endpoint_az_hour"]))
    data.append(CostLine("API Gateway REST requests", millions, "million requests", net["apigw_rest_million"]))
    data.append(CostLine("Lambda requests", millions, "million requests", net["lambda_request_million"]))
    seconds = upstream_ms / 1000.0
    gb_seconds = volume * seconds * settings.lambda_memory_mb / 1024.0
    data.append(CostLine(f"Lambda duration ({seconds * 1000:,.0f} ms x {settings.lambda_memory_mb} MB per call)",
                         gb_seconds, "GB-seconds", net["lambda_gb_second"]))
    data.append(CostLine("execute-api endpoint data processing", gb, "GB", net["interface_endpoint_gb"]))
    data.append(CostLine("bedrock-runtime endpoint data processing (Lambda -> Bedrock)", gb, "GB",
                         net["interface_endpoint_gb"]))
    notes.append("the Lambda is billed while it waits for the model: its duration is the proxy's measured wait "
                 "for Bedrock, so this line grows with the answer's length")
    if not seconds:
        notes.append("no measured Lambda duration (no gateway timings in the run): the duration line is $0")
    notes.append("the Lambda reaches Bedrock through a bedrock-runtime endpoint whose hours the vpce path counts")


def _num(value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return 0.0
    return f if math.isfinite(f) else 0.0


def money(value: float | None) -> str:
    """$1,234 / $12.40 / $0.0031: enough digits to be useful, never scientific notation."""
    if value is None:
        return "n/a"
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    if value == 0:
        return "$0"
    return f"${value:.2g}" if value >= 0.0001 else "<$0.0001"


def from_summary(summary: Any, *, kinds: Mapping[str, str], model_id: str, region: str,
                 settings: CostSettings | None = None) -> CostEstimate:
    """:func:`estimate` from a ``stats.summarize`` frame (its ``<x>_mean`` columns)."""
    per_path = {
        str(path): {name: row.get(f"{name}_mean") for name in
                    ("input_tokens", "output_tokens", "request_bytes", "response_bytes", "upstream_ms")}
        for path, row in summary.iterrows()
    }
    return estimate(per_path, kinds=kinds, model_id=model_id, region=region, settings=settings)
