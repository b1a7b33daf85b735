"""The sandbox's gateway fixtures: the private API, its VPC endpoints, usage plan and API key.

Fake on purpose, like the participant's keys in ``principals``: the API key says EXAMPLE,
the ids have the shapes AWS gives them. Kept apart from the emulation (``gateway.py``) so
the config can bind the gateway paths without importing an HTTP server.
"""

from __future__ import annotations

API_ID = "a1b2c3d4e5"
"""The private REST API whose method needs an API key (``x-apigw-api-id``)."""

IAM_API_ID = "f6g7h8i9j0"
"""A second private REST API whose method uses IAM (SigV4 for ``execute-api``) instead."""

STAGE = "prod"
RESOURCE = "/bedrock"
"""The proxy's one resource: POST {stage URL}/bedrock with the proxy's JSON contract."""

API_KEY = "WorkshopSandboxApiKeyEXAMPLE0123456789"  # a documented fake, printed by the sandbox
API_KEY_ID = "k1e2y3i4d5"
USAGE_PLAN_ID = "u1p2l3a4n5"
USAGE_PLAN_NAME = "workshop-teams"

ALLOWED_VPCE_ID = "vpce-0a1b2c3d4e5f60718"
"""The execute-api interface endpoint in the participant's VPC: the resource policy allows it."""

FOREIGN_VPCE_ID = "vpce-0f9e8d7c6b5a49382"
"""Another VPC's execute-api endpoint (another account's, say): a private API is reachable
from it unless the resource policy names the allowed endpoint (seed 001's warning)."""

LAMBDA_ROLE_SESSION = "bedrock-gateway-proxy"
"""The Lambda's execution-role session name (the identity Bedrock and the log see)."""

FUNCTION_NAME = "bedrock-gateway-proxy"
