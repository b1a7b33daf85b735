"""The AWS errors the sandbox answers with, shaped as botocore parses them.

Bedrock (rest-json): HTTP status, ``x-amzn-ErrorType`` header and ``{"message": ...}`` body.
STS (query): an XML ``ErrorResponse``. The statuses are those of the shapes in botocore's
service models, so ``client.exceptions.ThrottlingException`` etc. match.
"""

from __future__ import annotations

# Status per error code, as in the bedrock-runtime / bedrock service models, plus the
# authentication-layer codes every AWS JSON service answers with.
STATUS: dict[str, int] = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ModelStreamErrorException": 424,
    "ModelNotReadyException": 429,
    "ThrottlingException": 429,
    "ServiceQuotaExceededException": 400,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
    "InvalidSignatureException": 403,
    "UnrecognizedClientException": 403,
    "ExpiredTokenException": 403,
    "MissingAuthenticationTokenException": 403,
    "IncompleteSignatureException": 400,
    "UnknownOperationException": 404,
}

DEFAULT_MESSAGES: dict[str, str] = {
    "ThrottlingException": "Too many requests, please wait before trying again.",
    "ModelTimeoutException": "Model has timed out in processing the request. Try your request again.",
    "ServiceUnavailableException": "Bedrock is unable to process your request.",
    "InternalServerException": "The server encountered an internal error while processing the request.",
    "ModelErrorException": "The model returned an error. Try your request again.",
    "ModelNotReadyException": "Model is not ready for inference. Wait and try your request again.",
    "ModelStreamErrorException": "The model stream was interrupted. Try your request again.",
    "ServiceQuotaExceededException": "Your request exceeds the service quota for your account.",
    "AccessDeniedException": "You don't have access to the model with the specified model ID.",
    "ValidationException": "Malformed input request, please reformat your input and try again.",
    "ResourceNotFoundException": "Could not resolve the foundation model from the provided model identifier.",
}


class ServiceError(Exception):
    """An AWS error answer: ``code`` is the x-amzn-ErrorType, ``status`` the HTTP status."""

    def __init__(self, code: str, message: str | None = None, status: int | None = None) -> None:
        self.code = code
        self.message = message if message is not None else DEFAULT_MESSAGES.get(code, code)
        self.status = status if status is not None else STATUS.get(code, 400)
        super().__init__(f"{self.code}: {self.message}")


def normalise_code(code: str) -> str:
    """Accept ``throttling``, ``ThrottlingException`` or ``throttlingException`` alike."""
    text = code.strip()
    if not text:
        raise ValueError("empty error code")
    text = text[0].upper() + text[1:]
    if not text.endswith("Exception"):
        text += "Exception"
    return text


def stream_member(code: str) -> str:
    """The event-stream member name for an error code (``ThrottlingException`` -> ``throttlingException``)."""
    code = normalise_code(code)
    return code[0].lower() + code[1:]


def validation(detail: str) -> ServiceError:
    """The real service's wording for a body that does not fit the model's schema."""
    return ServiceError(
        "ValidationException",
        f"Malformed input request: {detail}, please reformat your input and try again.",
    )
