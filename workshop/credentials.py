"""Credential modes -> a ``boto3.Session`` whose credentials are ready to sign with.

* ``instance``    the default chain (instance role, env, ~/.aws). In sandbox mode the
                  participant's keys stand in for it, so the host's AWS files are never read.
* ``assume-role`` STS AssumeRole from the default chain (ExternalId, session name, duration).
* ``access-keys`` static keys from the (decrypted) config, then AssumeRole. Discouraged.
* ``profile``     a named profile from ~/.aws/config, SSO profiles included.

Assumed-role credentials are botocore ``RefreshableCredentials``: the first AssumeRole runs
here (and is timed, so credentials never count as invocation latency) and botocore calls
our refresh function again before they expire, so a long benchmark never sees
ExpiredToken. Every failure a user can cause becomes a ``CredentialError`` naming the
field and the fix; secrets are never part of a message.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, CredentialResolver, Credentials, RefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ProfileNotFound,
)

from workshop.config import AccessPath, CredentialMode, regional_sts_endpoint
from workshop.errors import CredentialError

STS_CONNECT_TIMEOUT = 3.0
STS_READ_TIMEOUT = 10.0


@dataclass(frozen=True)
class StaticKeys:
    """A key pair standing in for the default credential chain (the sandbox participant)."""

    access_key: str
    secret_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


class _FixedProvider(CredentialProvider):
    """A credential provider that returns one credentials object and nothing else.

    Installed as the session's *only* provider, so botocore can never fall back to the
    host's environment, ~/.aws or the instance metadata service behind our back.
    """

    METHOD = "bedrock-workshop"
    CANONICAL_NAME = "bedrock-workshop"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


def _session_with(credentials: Credentials, region: str, *, isolated: bool = False) -> boto3.Session:
    core = botocore.session.Session()
    if isolated:  # sandbox mode: the host's ~/.aws must not shape the client either
        core.set_config_variable("config_file", os.devnull)
        core.set_config_variable("credentials_file", os.devnull)
    # The resolver decides where credentials come from; ours has exactly one answer.
    core.register_component("credential_provider", CredentialResolver([_FixedProvider(credentials)]))
    return boto3.Session(botocore_session=core, region_name=region)


def _isolated_session(keys: StaticKeys, region: str) -> boto3.Session:
    """A session with ``keys`` that reads no shared AWS files (sandbox mode)."""
    creds = Credentials(keys.access_key, keys.secret_key, keys.session_token, method="sandbox-participant")
    return _session_with(creds, region, isolated=True)


def _source_session(path: AccessPath, default_chain: StaticKeys | None) -> boto3.Session:
    """The session whose credentials sign AssumeRole (or are used directly for instance)."""
    mode = path.credentials
    if mode.kind == "access-keys":
        if not mode.access_key or not mode.secret_key:
            raise CredentialError(
                "access-keys mode needs AccessKey and SecretKey", field="AccessKey",
                fix="set both in the config (encrypted), or use CredentialMode = instance / profile",
            )
        return _session_with(Credentials(mode.access_key, mode.secret_key, method="config-file"), path.region)
    if mode.kind == "profile" or (mode.kind == "assume-role" and mode.profile):
        try:
            return boto3.Session(profile_name=mode.profile, region_name=path.region)
        except ProfileNotFound:
            raise CredentialError(
                f"profile {mode.profile!r} not found", field="Profile",
                fix="check ~/.aws/config (aws configure list-profiles), or set AWS_CONFIG_FILE",
            ) from None
    if default_chain is not None:
        return _isolated_session(default_chain, path.region)
    return boto3.Session(region_name=path.region)


def _resolve(session: boto3.Session, path: AccessPath) -> Credentials:
    """The session's credentials, resolved now (so their cost is measured here)."""
    mode = path.credentials
    try:
        creds = session.get_credentials()
        frozen = creds.get_frozen_credentials() if creds is not None else None
    except BotoCoreError as exc:  # SSO token expired / missing, broken credential_process, ...
        fix = (f"run `aws sso login --profile {mode.profile}`" if mode.profile
               else "check the credential source (environment, ~/.aws, instance role)")
        raise CredentialError(f"could not load credentials: {type(exc).__name__}", field="CredentialMode",
                              fix=fix) from None
    if creds is None or frozen is None or not frozen.access_key:
        raise CredentialError(
            "no credentials found in the default chain",
            field="CredentialMode",
            fix="attach an instance role, set AWS_PROFILE, or use the credential mode profile "
            "(or use the built-in sandbox)",
        )
    return creds


def _sts_client(source: boto3.Session, mode: CredentialMode, region: str) -> Any:
    return source.client(
        "sts",
        region_name=region,
        endpoint_url=mode.sts_endpoint or regional_sts_endpoint(region),
        config=Config(
            connect_timeout=STS_CONNECT_TIMEOUT,
            read_timeout=STS_READ_TIMEOUT,
            retries={"mode": "standard", "max_attempts": 3},
        ),
    )


def map_sts_error(exc: Exception, mode: CredentialMode, *, caller: str = "the caller") -> CredentialError:
    """A ``CredentialError`` with field and fix for a failed STS call (never echoes secrets)."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        if code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"):
            return CredentialError(
                f"STS rejected the source credentials ({code})",
                field="AccessKey" if mode.kind == "access-keys" else "CredentialMode",
                fix="the access key id or secret key is wrong or deactivated: create new keys "
                "or prefer an instance role / SSO",
            )
        if code == "ExpiredToken":
            return CredentialError("the source credentials have expired (ExpiredToken)", field="CredentialMode",
                                   fix="refresh them (aws sso login, or new session credentials)")
        if code == "AccessDenied":
            return CredentialError(
                f"STS AssumeRole denied for {caller} on {mode.role_arn} (AccessDenied)",
                field="RoleARN",
                fix="check the role ARN, that the role's trust policy allows your principal, "
                "and that ExternalId matches its sts:ExternalId condition",
            )
        if code in ("ValidationError", "ValidationException"):
            return CredentialError(
                f"STS refused the AssumeRole parameters ({code})", field="DurationSeconds",
                fix="DurationSeconds must be 900..the role's MaxSessionDuration (3600 when chaining roles); "
                "SessionName 2-64 of [\\w+=,.@-]",
            )
        if code == "RegionDisabledException":
            return CredentialError("STS is not activated in this region", field="Region",
                                   fix="activate the region for STS in IAM account settings, or set STSEndpointURL")
        return CredentialError(f"STS call failed ({code})", field="RoleARN",
                               fix="check the role ARN and the STS endpoint")
    if isinstance(exc, ParamValidationError):
        # botocore's report names the parameter and the constraint, never the value itself.
        lines = [ln.strip() for ln in str(exc).splitlines()[1:] if ln.strip()] or ["invalid parameter"]
        name = next((n for n in ("ExternalId", "RoleSessionName", "DurationSeconds", "RoleArn") if n in lines[0]),
                    "RoleARN")
        return CredentialError(
            f"AssumeRole parameter rejected: {lines[0]}",
            field={"RoleSessionName": "SessionName", "RoleArn": "RoleARN"}.get(name, name),
            fix="ExternalId and SessionName take 2-64 characters of [\\w+=,.@:/-]; RoleARN 20-2048",
        )
    if isinstance(exc, EndpointConnectionError):
        return CredentialError(
            f"could not reach STS at {mode.sts_endpoint or 'the regional endpoint'}",
            field="STSEndpointURL",
            fix="check network access to STS (an STS VPC endpoint needs STSEndpointURL and private DNS)",
        )
    if isinstance(exc, NoCredentialsError):
        return CredentialError("no source credentials to call STS with", field="CredentialMode",
                               fix="attach an instance role, set AWS_PROFILE, or use CredentialMode = profile")
    return CredentialError(f"STS call failed: {type(exc).__name__}", field="STSEndpointURL",
                           fix="check the STS endpoint and network")


class AssumeRoleRefresher:
    """The refresh function botocore calls for assumed-role credentials.

    Holds one STS client (built from the source credentials) and counts calls, so tests
    can see a refresh happen and the console can show how often it did.
    """

    def __init__(self, sts: Any, mode: CredentialMode) -> None:
        self._sts = sts
        self._mode = mode
        self._lock = threading.Lock()
        self.calls = 0

    def __call__(self) -> dict[str, str]:
        mode = self._mode
        kwargs: dict[str, Any] = {
            "RoleArn": mode.role_arn,
            "RoleSessionName": mode.session_name,
            "DurationSeconds": mode.duration_seconds,
        }
        if mode.external_id:
            kwargs["ExternalId"] = mode.external_id
        try:
            response = self._sts.assume_role(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise map_sts_error(exc, mode) from None
        with self._lock:
            self.calls += 1
        c = response["Credentials"]
        expiry: datetime = c["Expiration"]
        return {
            "access_key": c["AccessKeyId"],
            "secret_key": c["SecretAccessKey"],
            "token": c["SessionToken"],
            "expiry_time": expiry.isoformat(),
        }


def assumed_role_credentials(
    source: boto3.Session,
    mode: CredentialMode,
    region: str,
    *,
    time_fetcher: Callable[[], datetime] | None = None,
) -> tuple[RefreshableCredentials, AssumeRoleRefresher]:
    """AssumeRole now, returning credentials botocore refreshes before they expire.

    botocore refreshes 15 min (advisory) / 10 min (mandatory) before expiry by default;
    for short sessions (DurationSeconds 900) that would mean an AssumeRole before every
    request, so the windows are scaled to the session length.
    """
    refresher = AssumeRoleRefresher(_sts_client(source, mode, region), mode)
    metadata = refresher()
    duration = mode.duration_seconds
    kwargs: dict[str, Any] = {
        "advisory_timeout": min(15 * 60, duration // 4),
        "mandatory_timeout": min(10 * 60, duration // 6),
    }
    creds = RefreshableCredentials(
        metadata["access_key"],
        metadata["secret_key"],
        metadata["token"],
        datetime.fromisoformat(metadata["expiry_time"]),
        refresher,
        "assume-role",
        **({"time_fetcher": time_fetcher} if time_fetcher is not None else {}),
        **kwargs,
    )
    return creds, refresher


def session_for(
    path: AccessPath,
    *,
    default_chain: StaticKeys | None = None,
    time_fetcher: Callable[[], datetime] | None = None,
) -> tuple[boto3.Session, float]:
    """A session for ``path``'s credential mode and the milliseconds it took to get credentials.

    ``default_chain`` replaces the host's default chain (the sandbox passes the participant's
    keys). The time covers resolving the source credentials and the first AssumeRole.
    """
    mode = path.credentials
    started = time.perf_counter()
    source = _source_session(path, default_chain)
    if not mode.assumes_role:
        _resolve(source, path)
        return source, (time.perf_counter() - started) * 1000.0
    if not mode.role_arn:
        raise CredentialError(f"credential mode {mode.kind} needs a role ARN", field="RoleARN",
                              fix="set RoleARN (AssumeRoleARN in the original format)")
    if mode.kind == "assume-role":
        _resolve(source, path)  # a missing default chain is a clearer error than STS's
    creds, _refresher = assumed_role_credentials(source, mode, path.region, time_fetcher=time_fetcher)
    session = _session_with(creds, path.region, isolated=default_chain is not None)
    return session, (time.perf_counter() - started) * 1000.0
