"""The sandbox's modelled latency: network per path, model time per family (``latency.json``)."""

from __future__ import annotations

import json
import math
import random
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

PROFILE_FILE = Path(__file__).with_name("latency.json")


@lru_cache(maxsize=1)
def load_profile() -> dict[str, Any]:
    """The latency profile data file, parsed once."""
    return json.loads(PROFILE_FILE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class ModelTiming:
    """Planned model time for one answer: first token after ``ttft_ms``, then ``tokens_per_second``."""

    ttft_ms: float
    tokens_per_second: float

    def total_ms(self, output_tokens: int) -> float:
        return self.ttft_ms + 1000.0 * output_tokens / self.tokens_per_second


class LatencyModel:
    """Seeded sampler of network and model delays; all zero when ``no_delay``.

    One random stream per sandbox, behind a lock, so a given seed and request order give the
    same delays run after run.
    """

    def __init__(self, seed: int = 0, no_delay: bool = False, profile: dict[str, Any] | None = None) -> None:
        self.no_delay = no_delay
        self.profile = profile or load_profile()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    @property
    def group_tokens(self) -> int:
        return int(self.profile.get("stream_group_tokens", 3))

    def _lognormal(self, median: float, sigma: float) -> float:
        with self._lock:
            z = self._rng.gauss(0.0, 1.0)
        return median * math.exp(sigma * z)

    def network_ms(self, path: str) -> float:
        """Round trip plus the path's extra hop for one request on ``path`` (0 with no_delay)."""
        if self.no_delay:
            return 0.0
        spec = self.profile["paths"].get(path) or self.profile["paths"]["nat"]
        return self._lognormal(spec["rtt_median_ms"], spec["rtt_sigma"]) + spec["hop_ms"]

    def model_timing(self, family: str, model_id: str) -> ModelTiming:
        """Planned TTFT and output rate for one answer of ``model_id`` (zero time with no_delay)."""
        if self.no_delay:
            return ModelTiming(0.0, math.inf)
        spec = dict(self.profile["families"].get(family) or _family_default(family))
        spec.update(self.profile.get("models", {}).get(model_id, {}))
        return ModelTiming(self._lognormal(spec["ttft_median_ms"], spec["ttft_sigma"]), spec["tokens_per_second"])


def _family_default(family: str) -> dict[str, float]:
    """A family the profile does not list yet: the modelled timing its own module declares."""
    from workshop.families import get

    spec = get(family).sandbox_latency
    if spec is None:
        raise KeyError(f"latency.json has no 'families' entry for {family!r} and its module declares no "
                       "sandbox_latency")
    return dict(spec)
