"""Who the sandbox knows: the participant, two roles, and the temporary credentials it issued.

Everything here is fake on purpose. The participant's keys are AWS's own documented example
pair, so nobody can mistake them for real credentials, and any client can be pointed at the
sandbox by hand. Temporary credentials are random per sandbox run and live only in memory.
"""

from __future__ import annotations

import base64
import secrets
import string
import threading
import time
from dataclasses import dataclass, field

ACCOUNT_A = "111122223333"
"""The participant's account (AWS's documented example account id)."""

ACCOUNT_B = "444455556666"
"""The central "AI account" reached by the cross-account path."""

PARTICIPANT_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
PARTICIPANT_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's documented example, not a secret
PARTICIPANT_ARN = f"arn:aws:iam::{ACCOUNT_A}:user/workshop-participant"
PARTICIPANT_USER_ID = "AIDAJQABLZS4A3QDU576Q"

WORKSHOP_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_A}:role/BedrockWorkshopRole"
CROSS_ACCOUNT_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_B}:role/BedrockCrossAccountRole"
CROSS_ACCOUNT_EXTERNAL_ID = "workshop-external-id"

# STS's own bounds for DurationSeconds; role chaining is capped at one hour by AWS.
MIN_DURATION_SECONDS = 900
ROLE_CHAINING_MAX_SECONDS = 3600


@dataclass(frozen=True)
class Role:
    """An IAM role the sandbox lets the participant assume."""

    arn: str
    role_id: str
    external_id: str | None = None
    max_session_seconds: int = 3600

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def name(self) -> str:
        return self.arn.rsplit("/", 1)[-1]


ROLES: dict[str, Role] = {
    WORKSHOP_ROLE_ARN: Role(WORKSHOP_ROLE_ARN, "AROAEXAMPLEWORKSHOP01", None, 43200),
    CROSS_ACCOUNT_ROLE_ARN: Role(CROSS_ACCOUNT_ROLE_ARN, "AROAEXAMPLECROSSACCT1", CROSS_ACCOUNT_EXTERNAL_ID, 3600),
}


@dataclass(frozen=True)
class Principal:
    """The identity behind one access key: what GetCallerIdentity returns, and what it may do."""

    access_key: str
    secret_key: str = field(repr=False)
    account: str
    arn: str
    user_id: str
    session_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None  # epoch seconds; None for long-term keys
    role_arn: str | None = None  # set for assumed-role sessions

    @property
    def is_temporary(self) -> bool:
        return self.session_token is not None

    def expired(self, now: float | None = None) -> bool:
        """True once a temporary credential has passed its expiration."""
        return self.expires_at is not None and (now if now is not None else time.time()) >= self.expires_at


PARTICIPANT = Principal(
    access_key=PARTICIPANT_ACCESS_KEY,
    secret_key=PARTICIPANT_SECRET_KEY,
    account=ACCOUNT_A,
    arn=PARTICIPANT_ARN,
    user_id=PARTICIPANT_USER_ID,
)


class AssumeRoleDenied(Exception):
    """AssumeRole refused; ``code`` and ``status`` are what STS would answer."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _random_id(prefix: str, length: int) -> str:
    alphabet = string.ascii_uppercase + "234567"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length - len(prefix)))


class Principals:
    """The sandbox's credential store: the fixed participant plus sessions issued by AssumeRole.

    Thread-safe: listeners look keys up concurrently while STS adds sessions.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, Principal] = {PARTICIPANT.access_key: PARTICIPANT}

    def lookup(self, access_key: str) -> Principal | None:
        """The principal owning ``access_key``, or None if the sandbox never issued it."""
        with self._lock:
            return self._by_key.get(access_key)

    def expire(self, access_key: str) -> None:
        """Make a temporary credential expire now (lets tests and demos show ExpiredToken)."""
        with self._lock:
            found = self._by_key.get(access_key)
            if found is None or not found.is_temporary:
                raise KeyError(access_key)
            self._by_key[access_key] = Principal(
                found.access_key, found.secret_key, found.account, found.arn, found.user_id,
                found.session_token, time.time() - 1, found.role_arn,
            )

    def assume_role(
        self,
        caller: Principal,
        role_arn: str,
        session_name: str,
        duration_seconds: int | None,
        external_id: str | None,
    ) -> Principal:
        """Issue temporary credentials for ``role_arn``, enforcing what STS would enforce."""
        role = ROLES.get(role_arn)
        not_authorized = (
            f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        )
        if role is None:
            raise AssumeRoleDenied("AccessDenied", not_authorized)
        if role.external_id is not None and external_id != role.external_id:
            # Real STS does not say the ExternalId is the reason; the sandbox keeps that honesty.
            raise AssumeRoleDenied("AccessDenied", not_authorized)
        duration = 3600 if duration_seconds is None else duration_seconds
        if duration < MIN_DURATION_SECONDS:
            raise AssumeRoleDenied(
                "ValidationError",
                f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy "
                f"constraint: Member must have value greater than or equal to {MIN_DURATION_SECONDS}",
                400,
            )
        limit = ROLE_CHAINING_MAX_SECONDS if caller.role_arn else role.max_session_seconds
        if duration > limit:
            message = (
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                if caller.role_arn
                else "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
            )
            raise AssumeRoleDenied("ValidationError", message, 400)
        token = base64.b64encode(b"sandbox-session:" + secrets.token_bytes(96)).decode()
        principal = Principal(
            access_key=_random_id("ASIA", 20),
            secret_key=secrets.token_urlsafe(30)[:40],
            account=role.account,
            arn=f"arn:aws:sts::{role.account}:assumed-role/{role.name}/{session_name}",
            user_id=f"{role.role_id}:{session_name}",
            session_token=token,
            expires_at=time.time() + duration,
            role_arn=role.arn,
        )
        with self._lock:
            self._by_key[principal.access_key] = principal
        return principal
