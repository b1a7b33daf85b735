"""SigV4 verification by recomputing the signature with botocore's own signer.

We never implement the algorithm ourselves: the request is rebuilt as a botocore
``AWSRequest`` with exactly the headers the client says it signed, the client's own
``X-Amz-Date`` is put where botocore's ``SigV4Auth`` reads its timestamp, and botocore
computes the canonical request, string to sign and signature. The sandbox only compares.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Collection
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from workshop.sandbox.principals import Principal, Principals

_AUTH = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+)\s*,\s*SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<sig>[0-9a-f]+)\s*$"
)
_TIMESTAMP = "%Y%m%dT%H%M%SZ"
MAX_SKEW = dt.timedelta(minutes=15)  # what AWS allows between the client's clock and its own


class AuthFailure(Exception):
    """The request is not authentic. ``kind`` is one of: missing, incomplete, region, unknown-key,
    bad-token, signature, skew, expired, wrong-service. The caller turns it into the
    service's own error code."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class Verified:
    """An authentic request: who signed it, and for which service and region."""

    principal: Principal
    service: str
    region: str


def signing_service(authorization: str | None) -> str | None:
    """The service name in an Authorization header's credential scope, if it parses."""
    match = _AUTH.match(authorization or "")
    if not match:
        return None
    parts = match.group("cred").split("/")
    return parts[3] if len(parts) == 5 else None


@dataclass(frozen=True)
class _Scope:
    match: re.Match[str]
    access_key: str
    scope_date: str
    region: str
    service: str
    amz_date: str
    timestamp: dt.datetime
    principal: Principal


def _scope(headers: dict[str, list[str]], principals: Principals, regions: Collection[str] | None) -> _Scope:
    """Everything that can be judged without the body: header syntax, scope, key, token, region."""
    authorization = (headers.get("authorization") or [""])[0]
    if not authorization:
        raise AuthFailure("missing", "Missing Authentication Token")
    match = _AUTH.match(authorization)
    if not match:
        raise AuthFailure("incomplete", "Authorization header requires 'Credential', 'SignedHeaders' and "
                                        "'Signature' parameters with the AWS4-HMAC-SHA256 algorithm.")
    cred_parts = match.group("cred").split("/")
    if len(cred_parts) != 5 or cred_parts[4] != "aws4_request":
        raise AuthFailure("incomplete", "Credential should be scoped to a valid region, service and 'aws4_request'.")
    access_key, scope_date, region, service, _ = cred_parts
    amz_date = (headers.get("x-amz-date") or [""])[0]
    try:
        timestamp = dt.datetime.strptime(amz_date, _TIMESTAMP).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise AuthFailure("incomplete", "Authorization header requires existence of either a 'X-Amz-Date' or a "
                                        "'Date' header.") from exc
    if regions is not None and region not in regions:
        # AWS checks the scope's region before the signature: a request signed for another
        # region never reaches the service.
        raise AuthFailure("region", "Credential should be scoped to a valid region.")
    principal = principals.lookup(access_key)
    if principal is None:
        raise AuthFailure("unknown-key", "The security token included in the request is invalid.")
    token = (headers.get("x-amz-security-token") or [None])[0]
    if principal.session_token is not None and not hmac.compare_digest(token or "", principal.session_token):
        raise AuthFailure("bad-token", "The security token included in the request is invalid.")
    return _Scope(match, access_key, scope_date, region, service, amz_date, timestamp, principal)


def precheck(*, headers: dict[str, list[str]], principals: Principals, regions: Collection[str] | None = None) -> None:
    """Raise AuthFailure for what needs no body (missing or malformed Authorization, a region
    this endpoint does not serve, an unknown key or session token), so a request without valid
    credentials is refused before its body is read."""
    _scope(headers, principals, regions)


def verify(
    *,
    method: str,
    raw_path: str,
    headers: dict[str, list[str]],
    body: bytes,
    principals: Principals,
    now: dt.datetime | None = None,
    regions: Collection[str] | None = None,
) -> Verified:
    """Check the SigV4 signature of one request. ``headers`` maps lower-case names to values;
    ``regions`` are the signing regions this endpoint serves (None: any)."""
    scope = _scope(headers, principals, regions)
    principal, amz_date, match = scope.principal, scope.amz_date, scope.match
    signed = match.group("signed").split(";")

    content_sha = (headers.get("x-amz-content-sha256") or [None])[0]
    if content_sha is not None and content_sha != "UNSIGNED-PAYLOAD" and content_sha != hashlib.sha256(body).hexdigest():
        raise AuthFailure("signature", "The provided 'x-amz-content-sha256' header does not match what was computed.")

    request = AWSRequest(
        method=method,
        url=f"http://{(headers.get('host') or ['localhost'])[0]}{raw_path}",
        headers={name: ",".join(headers.get(name, [""])) for name in signed},
        data=body,
    )
    request.context["timestamp"] = amz_date  # the client's clock, not ours: this is what it signed
    signer = SigV4Auth(Credentials(principal.access_key, principal.secret_key, principal.session_token),
                       scope.service, scope.region)
    expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    if scope.scope_date != amz_date[:8] or not hmac.compare_digest(expected, match.group("sig")):
        raise AuthFailure(
            "signature",
            "The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.",
        )

    current = now or dt.datetime.now(dt.UTC)
    if abs(current - scope.timestamp) > MAX_SKEW:
        raise AuthFailure(
            "skew",
            f"Signature expired: {amz_date} is now earlier than "
            f"{(current - MAX_SKEW).strftime(_TIMESTAMP)} ({current.strftime(_TIMESTAMP)} - 15 min.)",
        )
    if principal.expired(current.timestamp()):
        raise AuthFailure("expired", "The security token included in the request is expired")
    return Verified(principal, scope.service, scope.region)
