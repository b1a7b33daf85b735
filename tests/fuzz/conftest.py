"""Hypothesis profiles for the fuzz suite.

``ci`` (the default, inside ``make test``): a fixed, small example budget and a fixed seed,
so the suite takes seconds and fails the same way on every machine. ``fuzz`` (``make
fuzz``): many more examples, random seeds, for a longer hunt. Any exception that is not the
project's own user error (or the sandbox's AWS error answer) is a failure.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                                        HealthCheck.function_scoped_fixture]}
settings.register_profile("ci", max_examples=int(os.environ.get("WORKSHOP_FUZZ_EXAMPLES", "60")),
                          derandomize=True, database=None, print_blob=True, **_COMMON)
settings.register_profile("fuzz", max_examples=int(os.environ.get("WORKSHOP_FUZZ_EXAMPLES", "3000")),
                          database=None, print_blob=True, **_COMMON)
settings.load_profile(os.environ.get("WORKSHOP_FUZZ_PROFILE", "ci"))


def share(fraction: float) -> int:
    """A slower property's example budget: a fraction of the profile's (``@settings(max_examples=...)``)."""
    return max(5, int(settings.default.max_examples * fraction))
