"""Bedrock access-path workshop: the core package (UI-free except ``workshop.ui``)."""

__version__ = "0.1.0"

PATH_NAMES: tuple[str, ...] = ("nat", "vpce", "cross-account")
"""The three access paths the workshop teaches, in walk-through order."""

PATH_LABELS: dict[str, str] = {
    "nat": "Public endpoint via NAT",
    "vpce": "VPC endpoint (PrivateLink)",
    "cross-account": "Cross-account (AssumeRole)",
    "proxy": "Through a proxy / gateway",
    "api-gateway": "Private API Gateway + Lambda proxy",
    "llm-gateway": "LLM gateway (forwarding)",
}

CREDENTIAL_MODES: tuple[str, ...] = ("instance", "assume-role", "access-keys", "profile")

APIS: tuple[str, ...] = ("invoke", "invoke-stream", "converse", "converse-stream")
"""InvokeModel, InvokeModelWithResponseStream, Converse, ConverseStream."""
