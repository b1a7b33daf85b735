"""Fault injection: the failures the workshop teaches, switched on from tests, the CLI or config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from workshop.errors import ConfigError
from workshop.sandbox.awserrors import STATUS, normalise_code


def _frozen(mapping: Mapping[str, str] | None) -> Mapping[str, str]:
    return MappingProxyType({k: normalise_code(v) for k, v in (mapping or {}).items()})


@dataclass(frozen=True)
class Faults:
    """What the sandbox should get wrong on purpose.

    - ``throttle_rate``: share of runtime requests answered with ThrottlingException (0..1, seeded).
    - ``errors``: model id -> error code forced on every runtime call for that model
      (``ThrottlingException``, ``ModelTimeoutException``, ``ServiceUnavailableException``, ...).
    - ``stream_errors``: model id -> error code sent as an in-stream exception frame after the
      first chunk of a streamed answer.
    - ``slow_first_byte_ms``: extra time before the first byte of every runtime answer
      (inside the server-measured latency, like a cold model).
    - ``not_enabled``: model ids answered with AccessDeniedException; ``None`` keeps the
      catalog's own choice (Claude 3 Opus is not enabled there).
    """

    throttle_rate: float = 0.0
    errors: Mapping[str, str] = field(default_factory=dict)
    stream_errors: Mapping[str, str] = field(default_factory=dict)
    slow_first_byte_ms: float = 0.0
    not_enabled: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.throttle_rate <= 1.0:
            raise ValueError(f"throttle_rate must be between 0 and 1, got {self.throttle_rate}")
        if self.slow_first_byte_ms < 0:
            raise ValueError(f"slow_first_byte_ms must be >= 0, got {self.slow_first_byte_ms}")
        object.__setattr__(self, "errors", _frozen(self.errors))
        object.__setattr__(self, "stream_errors", _frozen(self.stream_errors))
        for code in (*self.errors.values(), *self.stream_errors.values()):
            if code not in STATUS:
                raise ValueError(f"unknown error code {code!r}; known: {', '.join(sorted(STATUS))}")
        if self.not_enabled is not None:
            object.__setattr__(self, "not_enabled", frozenset(self.not_enabled))

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Faults:
        """Build from a config ``[sandbox]`` section (keys case-insensitive, values strings or typed).

        Keys: ``ThrottleRate`` (0..1), ``SlowFirstByteMs``, ``ForcedErrors`` / ``Errors``
        (``model=Code, model=Code``), ``StreamErrors`` (same form), ``NotEnabled``
        (comma-separated model ids; empty means every model enabled). Other keys of the
        section (``NoDelay``, ``Seed``, ...) are not faults and are ignored here.
        """
        lowered = {str(k).lower(): v for k, v in values.items()}
        kwargs: dict[str, Any] = {}
        try:
            if "throttlerate" in lowered:
                kwargs["throttle_rate"] = float(lowered["throttlerate"])
            if "slowfirstbytems" in lowered:
                kwargs["slow_first_byte_ms"] = float(lowered["slowfirstbytems"])
            for key, name in (("forcederrors", "errors"), ("errors", "errors"), ("streamerrors", "stream_errors")):
                if key in lowered:
                    kwargs[name] = _pairs(lowered[key], key)
            if "notenabled" in lowered:
                raw = lowered["notenabled"]
                ids = raw if not isinstance(raw, str) else [p.strip() for p in raw.split(",")]
                kwargs["not_enabled"] = frozenset(i for i in ids if i)
            return cls(**kwargs)
        except ValueError as exc:
            raise ConfigError(str(exc), field="[sandbox]",
                              fix="e.g. ThrottleRate = 0.1, ForcedErrors = amazon.titan-text-lite-v1=ThrottlingException") from exc


def _pairs(raw: Any, key: str) -> dict[str, str]:
    if isinstance(raw, Mapping):
        return dict(raw)
    result: dict[str, str] = {}
    for part in str(raw).split(","):
        if not part.strip():
            continue
        model, sep, code = part.rpartition("=")
        if not sep or not model.strip() or not code.strip():
            raise ValueError(f"{key}: expected model=ErrorCode, got {part.strip()!r}")
        result[model.strip()] = code.strip()
    return result
