"""The workshop's own limits on what it accepts, in one place (docs/limits.md lists every
limit with its module; a test keeps the page and the code equal).

Each is enforced with a message that names it. The sandbox's HTTP limits are in
``workshop.sandbox.framing.SandboxLimits``; a comparison's sample ceiling is
``workshop.compare.MAX_SAMPLES_PER_PATH``.
"""

from __future__ import annotations

MAX_BODY_BYTES = 20 * 1024 * 1024
"""A request body (editor text, ``--body`` file or stdin): the sandbox takes no more either."""

MAX_JSON_DEPTH = 64
"""Nesting of objects and arrays in a request body: Bedrock's bodies need a handful of levels;
Python's own parser would exhaust its stack at about a thousand."""

MAX_INT = 2**31 - 1
"""The largest integer a count (max tokens, top k) may be: Bedrock's schemas use 32-bit integers."""

MAX_CONFIG_BYTES = 1024 * 1024
"""A config file (INI): the largest real one is a few kilobytes."""

MAX_CONNECT_TIMEOUT_S = 300.0
"""A path's ConnectTimeout ceiling: a connect that takes minutes is a wrong endpoint."""

MAX_READ_TIMEOUT_S = 3600.0
"""A path's ReadTimeout ceiling: longer than any model answer; a run must not wait on one call for hours."""
