"""The workshop config: which access paths exist, how each gets credentials, which models.

Two INI formats are read (``configparser``, key case preserved, no interpolation):

* the original workshop's ``[default]`` section (UseVPCe, GetCredentialsFrom 0/1/2, Region,
  AccessKey, SecretKey, AssumeRoleARN, VPCEndpointURL, PromptFilePath, Debug, ModelID) plus
  ``[models]``, including its encrypted form (base64 Fernet tokens with the key stored beside
  them in ``SecretKeyFernet``);
* the new format: ``[workshop]``, ``[quota]``, one ``[path NAME]`` per path, ``[models]`` and
  ``[sandbox]``. Encrypted values are ``enc:<token>`` (see ``workshop.secrets``).

Loading is lenient and use is strict: the seed's sample configs hold placeholders such as
``xxxxx`` yet must load and list their models, so every bad value becomes a
:class:`ConfigProblem` in ``config.problems`` (shown as warnings), and ``config.path(name)``
raises :class:`~workshop.errors.ConfigError` naming the field when that path is used.
"""

from __future__ import annotations

import configparser
import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from workshop import CREDENTIAL_MODES
from workshop.errors import ConfigError, WorkshopError

PATH_KINDS: tuple[str, ...] = ("nat", "vpce", "cross-account", "proxy", "api-gateway", "llm-gateway")
GATEWAY_KINDS: tuple[str, ...] = ("api-gateway", "llm-gateway")
"""Paths that reach Bedrock through a gateway of the participant's own (seeds 001, 002, 004)."""
GATEWAY_AUTHS: tuple[str, ...] = ("api-key", "iam", "none")
"""How an api-gateway path authenticates: x-api-key, SigV4 for execute-api, or nothing."""
RETRY_MODES: tuple[str, ...] = ("standard", "adaptive", "legacy")
DEFAULT_SESSION_NAME = "bedrock-workshop"
DEFAULT_REGION = "us-east-1"

# Labels the console and CLI show next to a credential mode.
CREDENTIAL_MODE_LABELS: dict[str, str] = {
    "instance": "default credential chain (instance role, env, ~/.aws)",
    "assume-role": "STS AssumeRole from the default chain",
    "access-keys": "static access keys, then AssumeRole (discouraged: long-lived keys)",
    "profile": "named profile (SSO included)",
}

# The original workshop's GetCredentialsFrom values.
LEGACY_CREDENTIAL_MODES: dict[str, str] = {"0": "instance", "1": "assume-role", "2": "access-keys"}

# The original tool encrypted these keys of [default] with its Fernet key.
LEGACY_ENCRYPTED_KEYS: tuple[str, ...] = ("AccessKey", "SecretKey", "AssumeRoleARN", "VPCEndpointURL")

# Never echo these values in a message, whatever is wrong with them.
SECRET_KEYS: frozenset[str] = frozenset({"AccessKey", "SecretKey", "SecretKeyFernet", "ApiKey"})

DEFAULT_MODELS: dict[str, str] = {
    "Claude-3-Haiku": "anthropic.claude-3-haiku-20240307-v1:0",
    "Claude-35-Sonnet": "anthropic.claude-3-5-sonnet-20240620-v1:0",
    "Claude-3-Sonnet": "anthropic.claude-3-sonnet-20240229-v1:0",
    "Claude-21": "anthropic.claude-v2:1",
    "Titan-Text": "amazon.titan-text-express-v1",
    "Titan-Text-Lite": "amazon.titan-text-lite-v1",
    "Nova-Lite": "amazon.nova-lite-v1:0",
    "Llama-31-8b-Instruct": "meta.llama3-1-8b-instruct-v1:0",
    "Llama-31-70b-Instruct": "meta.llama3-1-70b-instruct-v1:0",
    "Mistral-7b-Instruct": "mistral.mistral-7b-instruct-v0:2",
    "Mistral-Large-2": "mistral.mistral-large-2407-v1:0",
    "Command-R": "cohere.command-r-v1:0",
    "Jamba-15-Mini": "ai21.jamba-1-5-mini-v1:0",
}
DEFAULT_MODEL = "anthropic.claude-3-haiku-20240307-v1:0"

# --------------------------------------------------------------------------- forms

REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
REGION_EXPECTED = "a region code such as us-east-1, eu-central-2 or us-gov-west-1"

ROLE_ARN_RE = re.compile(r"^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
ROLE_ARN_EXPECTED = "an IAM role ARN: arn:aws[-cn|-us-gov]:iam::<12-digit account>:role/<path/name>"

VPCE_HOST_RE = re.compile(
    r"^vpce-[0-9a-z]+-[0-9a-z]+(?:-(?P<az>[a-z]{2}(?:-[a-z]+)+-\d[a-z]))?"
    r"\.bedrock-runtime\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2})\.vpce\.amazonaws\.com(?:\.cn)?$"
)
VPCE_EXPECTED = (
    "https://vpce-<id>-<suffix>.bedrock-runtime.<region>.vpce.amazonaws.com "
    "(or the zonal https://vpce-<id>-<suffix>-<az>.bedrock-runtime.<region>.vpce.amazonaws.com)"
)

MODEL_ID_EXPECTED = (
    "a model id such as anthropic.claude-3-haiku-20240307-v1:0, an inference-profile id such as "
    "us.anthropic.claude-3-5-sonnet-20240620-v1:0, or a Bedrock model/profile ARN"
)

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


def is_valid_region(value: str) -> bool:
    return bool(REGION_RE.match(value))


def is_valid_role_arn(value: str) -> bool:
    return bool(ROLE_ARN_RE.match(value))


def model_id_problem(value: str) -> str | None:
    """Why ``value`` is not a model id / inference-profile id / model ARN, or None.

    The catalog owns the id forms; this only asks it, so config and CLI agree.
    """
    from workshop import catalog
    from workshop.errors import InputError

    try:
        catalog.validate_model_id(value)
    except InputError as err:
        return err.message
    return None


def is_valid_model_id(value: str) -> bool:
    return model_id_problem(value) is None


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint_url(value: str, *, allow_http_anywhere: bool = False, allow_userinfo: bool = False) -> str | None:
    """Why ``value`` is not a usable endpoint URL, or None when it is.

    https is required except on loopback (the sandbox, a local proxy): plain http to a real
    endpoint would send signed requests and prompts in clear text. An AWS endpoint takes no
    ``user:password@`` (SigV4 signs the request); only a proxy URL may carry one.
    """
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError on a non-numeric port
    except ValueError:
        return "is not a URL"
    del port
    if not allow_userinfo and (parts.username is not None or parts.password is not None):
        return "carries a user name or password (user:password@): an AWS endpoint takes none, SigV4 signs the request"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "is not an http(s) URL with a host name"
    if parts.scheme == "http" and not allow_http_anywhere and not is_loopback_host(parts.hostname):
        return "uses http to a non-loopback host (only https is allowed off 127.0.0.0/8)"
    if parts.query or parts.fragment:
        return "has a query or fragment"
    return None


def check_vpce_url(value: str) -> tuple[str, str] | None:
    """(problem, fix) when ``value`` is not a bedrock-runtime VPC endpoint URL, else None.

    Loopback URLs pass (the sandbox and local tests stand in for the endpoint).
    """
    generic = check_endpoint_url(value)
    if generic:
        return generic, f"expected {VPCE_EXPECTED}"
    parts = urlsplit(value)
    host = parts.hostname or ""
    if is_loopback_host(host):
        return None
    if parts.scheme != "https":
        return "is not https", f"expected {VPCE_EXPECTED}"
    if VPCE_HOST_RE.match(host):
        return None
    if ".bedrock." in host and host.startswith("vpce-"):
        # The original workshop's own sample makes this mistake.
        return (
            "names the 'bedrock' (control-plane) service, not 'bedrock-runtime'",
            "InvokeModel is served by the bedrock-runtime interface endpoint: replace '.bedrock.' "
            f"with '.bedrock-runtime.' (expected {VPCE_EXPECTED})",
        )
    return "is not a VPC endpoint DNS name for bedrock-runtime", f"expected {VPCE_EXPECTED}"


APIGW_EXPECTED = (
    "the API stage URL: https://<api-id>.execute-api.<region>.amazonaws.com/<stage>, or for a private API "
    "through an execute-api VPC endpoint https://vpce-<id>-<suffix>.execute-api.<region>.vpce.amazonaws.com/<stage> "
    "(with ApiId) or https://<api-id>-<vpce-id>.execute-api.<region>.amazonaws.com/<stage>"
)
APIGW_VPCE_HOST_RE = re.compile(
    r"^vpce-[0-9a-z]+-[0-9a-z]+(?:-[a-z]{2}(?:-[a-z]+)+-\d[a-z])?\.execute-api\.[a-z0-9-]+\.vpce\.amazonaws\.com(?:\.cn)?$"
)
APIGW_HOST_RE = re.compile(r"^(?P<api>[a-z0-9]{10})(?:-(?P<vpce>vpce-[0-9a-f]+))?\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?$")
API_ID_RE = re.compile(r"^[a-z0-9]{10}$")


def is_apigw_vpce_host(host: str) -> bool:
    """True for an execute-api interface endpoint's own DNS name (it needs ``x-apigw-api-id``)."""
    return bool(APIGW_VPCE_HOST_RE.match(host))


def check_apigw_url(value: str, api_id: str | None) -> tuple[str, str] | None:
    """(problem, fix) when ``value`` is not a usable API Gateway stage URL, else None.

    The stage is part of the URL (``/prod``): without it API Gateway answers 403 "Missing
    Authentication Token", the most confusing of its errors, so it is caught here. A custom
    domain name is accepted as it is; loopback URLs stand in for the sandbox's emulation.
    """
    generic = check_endpoint_url(value)
    if generic:
        return generic, f"expected {APIGW_EXPECTED}"
    parts = urlsplit(value)
    host = parts.hostname or ""
    if not parts.path.strip("/"):
        return "has no stage in its path", f"add the stage name, e.g. {value.rstrip('/')}/prod ({APIGW_EXPECTED})"
    if ".bedrock-runtime." in host or host.startswith("bedrock-runtime."):
        return ("is a bedrock-runtime endpoint, not an API stage",
                "use Kind = nat / vpce for bedrock-runtime, or give the API Gateway stage URL here")
    if is_apigw_vpce_host(host) and not api_id:
        return ("is an execute-api VPC endpoint name, which needs the API id",
                "set ApiId (sent as the x-apigw-api-id header), or use https://<api-id>-<vpce-id>.execute-api."
                "<region>.amazonaws.com/<stage>")
    return None


# --------------------------------------------------------------------------- nouns


@dataclass(frozen=True)
class CredentialMode:
    """How a path obtains credentials. Keys are never shown (repr=False)."""

    kind: str
    role_arn: str | None = None
    external_id: str | None = field(default=None, repr=False)
    session_name: str = DEFAULT_SESSION_NAME
    duration_seconds: int = 3600
    profile: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    sts_endpoint: str | None = None

    @property
    def label(self) -> str:
        return CREDENTIAL_MODE_LABELS.get(self.kind, self.kind)

    @property
    def discouraged(self) -> bool:
        """Long-lived keys in a file: allowed for the workshop, labelled as a risk."""
        return self.kind == "access-keys"

    @property
    def assumes_role(self) -> bool:
        return self.kind in ("assume-role", "access-keys")


@dataclass(frozen=True)
class GatewaySettings:
    """What a gateway path needs beyond an endpoint (``api-gateway`` and ``llm-gateway``).

    ``api-gateway``: ``auth`` (api-key / iam / none), the ``api_key`` value (a secret,
    never shown), ``api_id`` (sent as ``x-apigw-api-id`` when the endpoint is an execute-api
    VPC endpoint's own DNS name), and for quota figures the usage plan and API key ids plus
    the API Gateway control-plane URL. ``llm-gateway``: ``upstream_url``, the bedrock-runtime
    endpoint the gateway forwards to, which the client signs for (default: the public one).
    """

    auth: str = "api-key"
    api_key: str | None = field(default=None, repr=False)
    api_id: str | None = None
    upstream_url: str | None = None
    usage_plan_id: str | None = None
    api_key_id: str | None = None
    control_url: str | None = None


@dataclass(frozen=True)
class AccessPath:
    """One way to reach Bedrock: endpoint, region, credentials and client settings."""

    name: str
    kind: str
    region: str
    endpoint_url: str | None
    credentials: CredentialMode
    control_endpoint_url: str | None = None
    proxy: str | None = None
    connect_timeout: float = 3.0
    read_timeout: float = 60.0
    retry_mode: str = "standard"
    max_attempts: int = 3
    gateway: GatewaySettings = field(default_factory=GatewaySettings)

    @property
    def is_gateway(self) -> bool:
        return self.kind in GATEWAY_KINDS

    @property
    def runtime_endpoint(self) -> str:
        """The URL the bedrock-runtime client calls: configured, else the public regional one."""
        return self.endpoint_url or public_runtime_endpoint(self.region)


@dataclass(frozen=True)
class QuotaSettings:
    """Facilitator limits per participant (enforced by ``workshop.quotas``); None = unlimited."""

    max_invocations: int | None = None
    per_minute: int | None = None


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a config file, found while loading leniently.

    ``path`` is the access path it makes unusable (None when it concerns the whole file);
    ``severity`` is "error" (the path cannot be used) or "warning" (usable, but say so).
    """

    source: str
    section: str
    key: str
    message: str
    fix: str | None = None
    path: str | None = None
    severity: str = "error"

    @property
    def field(self) -> str:
        return f"[{self.section}] {self.key}" if self.key else f"[{self.section}]"

    def to_error(self) -> ConfigError:
        return ConfigError(self.message, field=self.field, fix=self.fix, source=self.source)

    def __str__(self) -> str:
        return str(self.to_error())


@dataclass(frozen=True)
class WorkshopConfig:
    """Everything a config file says. Treat as immutable (use ``dataclasses.replace``)."""

    paths: dict[str, AccessPath]
    models: dict[str, str] = field(default_factory=dict)
    region: str = DEFAULT_REGION
    default_path: str = "nat"
    default_model: str | None = None
    prompt_file: str | None = None
    debug: bool = False
    sandbox: bool = False
    source: str = "<built-in sandbox>"
    store_url: str | None = None
    log_bodies: bool = True
    quota: QuotaSettings = field(default_factory=QuotaSettings)
    problems: tuple[ConfigProblem, ...] = ()
    sandbox_settings: dict[str, str] = field(default_factory=dict)
    legacy: bool = False
    encrypted: bool = False
    cost_settings: dict[str, str] = field(default_factory=dict)
    """The ``[cost]`` section as written (volume, AZs, price overrides): workshop.cost reads it."""

    @property
    def path_names(self) -> list[str]:
        return list(self.paths)

    @property
    def warnings(self) -> list[str]:
        """Every problem as one line, for the console banner and the CLI's stderr."""
        # One problem may block several paths (legacy keys are shared): say it once.
        return list(dict.fromkeys(str(p) for p in self.problems))

    def problems_for(self, name: str) -> list[ConfigProblem]:
        return [p for p in self.problems if p.path == name]

    def path(self, name: str) -> AccessPath:
        """The path called ``name``, ready to use; ConfigError when unknown or misconfigured."""
        found = self.paths.get(name)
        if found is None:
            known = ", ".join(self.paths) or "none"
            raise ConfigError(
                f"unknown path {name!r}",
                field="path",
                fix=f"use one of: {known}",
                source=self.source,
            )
        for problem in self.problems_for(name):
            if problem.severity == "error":
                raise problem.to_error()
        return found

    def usable_paths(self) -> list[str]:
        return [n for n in self.paths if not any(p.severity == "error" for p in self.problems_for(n))]


def public_runtime_endpoint(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://bedrock-runtime.{region}.{suffix}"


def public_control_endpoint(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://bedrock.{region}.{suffix}"


def regional_sts_endpoint(region: str) -> str:
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://sts.{region}.{suffix}"


# --------------------------------------------------------------------------- defaults


def default_config() -> WorkshopConfig:
    """The built-in sandbox with all five paths; endpoints are bound when it starts.

    The three direct paths, then the two gateway paths the sandbox emulates (issue 12): a
    private API Gateway + Lambda proxy with an API key, and an LLM gateway.

    nat and vpce use the participant's keys as the "default chain" (``instance``); the
    cross-account path assumes account B's role with its ExternalId, as on AWS.
    """
    from workshop.sandbox import principals

    instance = CredentialMode("instance")
    cross = CredentialMode(
        "assume-role",
        role_arn=principals.CROSS_ACCOUNT_ROLE_ARN,
        external_id=principals.CROSS_ACCOUNT_EXTERNAL_ID,
    )
    paths = {
        "nat": AccessPath("nat", "nat", DEFAULT_REGION, None, instance),
        "vpce": AccessPath("vpce", "vpce", DEFAULT_REGION, None, instance),
        "cross-account": AccessPath("cross-account", "cross-account", DEFAULT_REGION, None, cross),
        **sandbox_gateway_paths(),
    }
    return WorkshopConfig(
        paths=paths,
        models=dict(DEFAULT_MODELS),
        region=DEFAULT_REGION,
        default_path="nat",
        default_model=DEFAULT_MODEL,
        sandbox=True,
        source="<built-in sandbox>",
    )


def sandbox_gateway_paths() -> dict[str, AccessPath]:
    """The sandbox's two gateway paths (``api-gateway``, ``llm-gateway``), unbound.

    The API key is the sandbox's own fake one (printed by ``python -m workshop sandbox``);
    binding fills in the listeners' URLs, the API id and the usage plan's ids.
    """
    instance = CredentialMode("instance")
    return {
        "api-gateway": AccessPath("api-gateway", "api-gateway", DEFAULT_REGION, None, instance,
                                  gateway=GatewaySettings(auth="api-key")),
        "llm-gateway": AccessPath("llm-gateway", "llm-gateway", DEFAULT_REGION, None, instance),
    }


def _bind_gateway(path: AccessPath, server: Any) -> AccessPath:
    """A gateway path pointed at the sandbox's emulation (its own settings kept where given:
    a wrong ApiKey in a sandbox config must still get the 403 it would get on AWS)."""
    from workshop.sandbox import gateway_facts as facts

    urls: Mapping[str, str] = getattr(server, "gateway_endpoints", None) or {}
    gw = path.gateway
    if path.kind == "api-gateway":
        key = gw.api_key if gw.api_key else (facts.API_KEY if gw.auth == "api-key" else None)
        gw = replace(gw, api_key=key, api_id=gw.api_id or facts.API_ID,
                     usage_plan_id=gw.usage_plan_id or facts.USAGE_PLAN_ID,
                     api_key_id=gw.api_key_id or facts.API_KEY_ID, control_url=urls.get("apigateway"))
        return replace(path, endpoint_url=urls.get("api-gateway"), gateway=gw)
    gw = replace(gw, upstream_url=server.endpoints["nat"])
    return replace(path, endpoint_url=urls.get("llm-gateway"), gateway=gw)


def bind_sandbox(config: WorkshopConfig, server: Any) -> WorkshopConfig:
    """``config`` with every path pointed at the running sandbox ``server``.

    Each path uses the listener of its kind (a ``proxy`` or unknown kind goes through the
    nat listener), STS and the control plane go to the sandbox too, and the region is the
    sandbox's: in sandbox mode nothing may leave loopback.
    """
    endpoints: Mapping[str, str] = server.endpoints
    bound: dict[str, AccessPath] = {}
    for name, path in config.paths.items():
        url = endpoints.get(path.kind) or endpoints.get(name) or endpoints["nat"]
        creds = replace(path.credentials, sts_endpoint=server.sts_endpoint)
        bound[name] = replace(
            path,
            region=server.region,
            endpoint_url=url,
            control_endpoint_url=server.control_endpoint,
            proxy=None,
            credentials=creds,
        )
        if path.is_gateway:
            bound[name] = _bind_gateway(bound[name], server)
    return replace(config, paths=bound, region=server.region)


# --------------------------------------------------------------------------- parsing


class _Reader:
    """Collects problems while turning raw strings into typed values."""

    def __init__(self, source: str, key_file: str | Path | None) -> None:
        self.source = source
        self.key_file = key_file
        self.problems: list[ConfigProblem] = []
        self._keyring: Any = None
        self._keyring_error: WorkshopError | None = None

    def problem(
        self,
        section: str,
        key: str,
        message: str,
        fix: str | None = None,
        *,
        path: str | None = None,
        severity: str = "error",
    ) -> None:
        self.problems.append(ConfigProblem(self.source, section, key, message, fix, path, severity))

    def bad_value(self, section: str, key: str, value: str, expected: str, *, path: str | None = None) -> None:
        shown = "(value hidden)" if key in SECRET_KEYS else repr(value)
        self.problem(section, key, f"{shown} is not valid", f"expected {expected}", path=path)

    def flag(self, section: str, key: str, value: str | None, default: bool) -> bool:
        if value is None:
            return default
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        self.bad_value(section, key, value, "true or false")
        return default

    def number(
        self,
        section: str,
        key: str,
        value: str | None,
        default: Any,
        *,
        kind: type = int,
        low: float | None = None,
        high: float | None = None,
        path: str | None = None,
    ) -> Any:
        if value is None or value.strip() == "":
            return default
        expected = ("an integer" if kind is int else "a number") + (
            f" from {low:g} to {high:g}" if low is not None and high is not None else
            (f" greater than {low:g}" if low is not None else "")
        )
        try:
            number = kind(value.strip())
        except ValueError:
            self.bad_value(section, key, value, expected, path=path)
            return default
        if not math.isfinite(number):  # "inf", "nan", "1e999": float() takes them, nothing else may
            self.bad_value(section, key, value, expected, path=path)
            return default
        if (low is not None and number < low) or (high is not None and number > high) or (
            low is not None and high is None and number <= low
        ):
            self.bad_value(section, key, value, expected, path=path)
            return default
        return number

    def decrypt(self, section: str, key: str, value: str | None, *, path: str | None) -> str | None:
        """Plain text for an ``enc:`` value; a problem (and None) if it cannot be decrypted."""
        if value is None or not value.startswith("enc:"):
            return value
        from workshop import secrets  # lazy: the secrets module pulls in cryptography

        try:
            if self._keyring is None and self._keyring_error is None:
                self._keyring = secrets.load_keyring(self.key_file)
            if self._keyring_error is not None:
                raise self._keyring_error
            return self._keyring.decrypt(value, field=f"[{section}] {key}")
        except WorkshopError as err:
            if self._keyring is None:
                self._keyring_error = err
            self.problem(section, key, f"encrypted value cannot be decrypted: {err.message}", err.fix, path=path)
            return None


def _parser() -> configparser.RawConfigParser:
    from workshop.ini import new_parser

    return new_parser()


def _get(section: Mapping[str, str], key: str) -> str | None:
    """A value by key, case-insensitively (hand-written files vary: useVPCe, REGION)."""
    if key in section:
        value = section[key]
    else:
        lowered = {k.lower(): k for k in section}
        real = lowered.get(key.lower())
        if real is None:
            return None
        value = section[real]
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value


def _nonempty(value: str | None) -> str | None:
    return value if value else None


def load_config(path: str | Path, key_file: str | Path | None = None) -> WorkshopConfig:
    """Read the config at ``path`` (either format). Missing or unreadable file: ConfigError."""
    from workshop.limits import MAX_CONFIG_BYTES

    file = Path(path)
    try:
        if file.is_file() and file.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"the config file is larger than {MAX_CONFIG_BYTES:,} bytes (MAX_CONFIG_BYTES, "
                              "docs/limits.md)", field="--config", source=str(file),
                              fix="give the workshop's INI config, a few kilobytes")
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            "config file not found", field="--config", source=str(file),
            fix="check the path, or omit --config to use the built-in sandbox",
        ) from None
    except (OSError, ValueError) as exc:  # a folder, no permission, not UTF-8, a name the OS refuses
        raise ConfigError(
            f"cannot read the config file ({type(exc).__name__})", field="--config", source=repr(str(file))[1:-1],
            fix="give a readable UTF-8 INI file",
        ) from None
    return parse_config(text, source=str(file), key_file=key_file)


def parse_config(text: str, source: str = "<config>", key_file: str | Path | None = None) -> WorkshopConfig:
    """Parse config text (either format). Syntax errors raise; bad values become problems."""
    from workshop.ini import parse_ini

    parser = parse_ini(text, source=source)  # the one INI reader (secrets uses it too)
    sections = parser.sections()
    if not sections:
        raise ConfigError(
            "the file has no sections", source=source,
            fix="expected [default] (original workshop) or [workshop] / [path NAME] sections",
        )
    reader = _Reader(source, key_file)
    new_format = any(s == "workshop" or s.startswith("path ") for s in sections)
    if new_format:
        return _parse_new(parser, reader)
    if parser.has_section("default"):
        return _parse_legacy(parser, reader)
    raise ConfigError(
        f"no [default], [workshop] or [path NAME] section (found: {', '.join(sections)})",
        source=source,
        fix="use the original workshop's [default] section or the new [workshop] + [path NAME] sections",
    )


def _parse_models(parser: configparser.RawConfigParser, reader: _Reader) -> dict[str, str]:
    models: dict[str, str] = {}
    if not parser.has_section("models"):
        return models
    for label, raw in parser.items("models"):
        model_id = (raw or "").strip()
        why = model_id_problem(model_id)
        if why:
            reader.problem("models", label, why,
                           f"expected {MODEL_ID_EXPECTED}", severity="warning")
        models[label] = model_id
    return models


def _check_region(reader: _Reader, section: str, key: str, value: str | None, path: str) -> str:
    if not value:
        reader.problem(section, key, "no region given", f"expected {REGION_EXPECTED}", path=path)
        return DEFAULT_REGION
    if not is_valid_region(value):
        reader.bad_value(section, key, value, REGION_EXPECTED, path=path)
    return value


def _check_path(
    reader: _Reader,
    path: AccessPath,
    *,
    section_of: Mapping[str, str],
    key_of: Mapping[str, str],
) -> None:
    """Record every reason ``path`` cannot be used. ``section_of``/``key_of`` say where each
    field came from, so the message names the line the user must edit."""

    def where(name: str) -> tuple[str, str]:
        return section_of.get(name, f"path {path.name}"), key_of.get(name, name)

    creds = path.credentials
    if path.is_gateway:
        _check_gateway(reader, path, where)
    if path.endpoint_url:
        section, key = where("endpoint_url")
        if path.kind == "api-gateway":
            bad = check_apigw_url(path.endpoint_url, path.gateway.api_id)
            if bad:
                reader.problem(section, key, f"{path.endpoint_url!r} {bad[0]}", bad[1], path=path.name)
        elif path.kind == "vpce":
            bad = check_vpce_url(path.endpoint_url)
            if bad:
                reader.problem(section, key, f"{path.endpoint_url!r} {bad[0]}", bad[1], path=path.name)
        else:
            why = check_endpoint_url(path.endpoint_url)
            if why:
                reader.problem(section, key, f"{path.endpoint_url!r} {why}",
                               "expected https://<host>[:port] (http only for 127.0.0.1 / localhost)",
                               path=path.name)
    if creds.sts_endpoint:
        section, key = where("sts_endpoint")
        why = check_endpoint_url(creds.sts_endpoint)
        if why:
            reader.problem(section, key, f"{creds.sts_endpoint!r} {why}",
                           "expected https://sts.<region>.amazonaws.com or an STS VPC endpoint URL",
                           path=path.name)
    if path.proxy:
        section, key = where("proxy")
        why = check_endpoint_url(path.proxy, allow_http_anywhere=True, allow_userinfo=True)
        if why:
            reader.problem(section, key, f"{path.proxy!r} {why}", "expected http(s)://<proxy-host>:<port>",
                           path=path.name)
    if creds.assumes_role:
        section, key = where("role_arn")
        if not creds.role_arn:
            reader.problem(section, key, f"credential mode {creds.kind} needs a role ARN",
                           f"expected {ROLE_ARN_EXPECTED}", path=path.name)
        elif not is_valid_role_arn(creds.role_arn):
            reader.bad_value(section, key, creds.role_arn, ROLE_ARN_EXPECTED, path=path.name)
    if creds.kind == "access-keys":
        reader.problem(where("access_key")[0], where("access_key")[1],
                       "uses long-lived access keys from the config (discouraged)",
                       "prefer an instance role, SSO (credential mode profile) or AssumeRole from the default chain",
                       path=path.name, severity="warning")
        for name in ("access_key", "secret_key"):
            value = getattr(creds, name)
            section, key = where(name)
            if not value:
                what = "an access key ID" if name == "access_key" else "a secret access key"
                reader.problem(section, key, f"credential mode access-keys needs {what}",
                               "give it; a saved config keeps it encrypted", path=path.name)
            elif name == "access_key" and not re.fullmatch(r"(AKIA|ASIA)[A-Z0-9]{16}", value):
                reader.bad_value(section, key, value, "an access key id: AKIA + 16 capitals/digits", path=path.name)
    if creds.kind == "profile" and not creds.profile:
        section, key = where("profile")
        reader.problem(section, key, "credential mode profile needs a profile name",
                       "name a profile from ~/.aws/config (SSO profiles work)", path=path.name)


def _parse_legacy(parser: configparser.RawConfigParser, reader: _Reader) -> WorkshopConfig:
    """Map the original workshop's ``[default]`` onto paths and credential modes.

    ``nat`` (public endpoint) always exists; ``vpce`` when VPCEndpointURL is set. The
    original had one credential setting for everything, so both paths share it: the file
    cannot say whether the role is in another account.
    """
    sec = "default"
    raw = parser[sec]
    values: dict[str, str | None] = {k: _get(raw, k) for k in (
        "UseVPCe", "GetCredentialsFrom", "Region", "AccessKey", "SecretKey", "AssumeRoleARN",
        "VPCEndpointURL", "PromptFilePath", "Debug", "ModelID", "SecretKeyFernet",
    )}
    fernet_key = values.pop("SecretKeyFernet")
    encrypted = bool(fernet_key)
    if fernet_key:
        reader.problem(
            sec, "SecretKeyFernet",
            "uses the original tool's encryption, which stores the key beside the values it protects",
            "run `python -m workshop import-legacy IN OUT` to re-encrypt with a key kept outside the file",
            severity="warning",
        )
        from workshop import secrets  # lazy: only legacy-encrypted files need it

        for key in LEGACY_ENCRYPTED_KEYS:
            value = values.get(key)
            if not value:
                continue
            try:
                values[key] = secrets.decrypt_legacy(value, fernet_key, field=f"[{sec}] {key}")
            except WorkshopError as err:
                reader.problem(sec, key, f"cannot decrypt the legacy value: {err.message}",
                               err.fix or "check SecretKeyFernet matches the key the file was encrypted with",
                               path=None, severity="warning")
                values[key] = None if key != "VPCEndpointURL" else value

    use_vpce = reader.flag(sec, "UseVPCe", values["UseVPCe"], False)
    debug = reader.flag(sec, "Debug", values["Debug"], False)
    mode_raw = (values["GetCredentialsFrom"] or "0").strip()
    mode_kind = LEGACY_CREDENTIAL_MODES.get(mode_raw)
    path_names = ["nat"] + (["vpce"] if values["VPCEndpointURL"] else [])
    if mode_kind is None:
        for name in path_names:  # the fallback guess must not silently sign with the wrong identity
            reader.bad_value(sec, "GetCredentialsFrom", mode_raw,
                             "0 (instance role / default chain), 1 (AssumeRole) or 2 (access keys, then AssumeRole)",
                             path=name)
        mode_kind = "instance"
    creds = CredentialMode(
        mode_kind,
        role_arn=_nonempty(values["AssumeRoleARN"]) if mode_kind != "instance" else None,
        access_key=_nonempty(values["AccessKey"]) if mode_kind == "access-keys" else None,
        secret_key=_nonempty(values["SecretKey"]) if mode_kind == "access-keys" else None,
    )
    where_sec = dict.fromkeys(("endpoint_url", "role_arn", "access_key", "secret_key", "region"), sec)
    where_key = {"endpoint_url": "VPCEndpointURL", "role_arn": "AssumeRoleARN", "access_key": "AccessKey",
                 "secret_key": "SecretKey", "region": "Region"}
    paths: dict[str, AccessPath] = {}
    region_value = values["Region"]
    for name in path_names:
        region = _check_region(reader, sec, "Region", region_value, name)
        endpoint = values["VPCEndpointURL"] if name == "vpce" else None
        path = AccessPath(name, name, region, endpoint, creds)
        _check_path(reader, path, section_of=where_sec, key_of=where_key)
        paths[name] = path
    if use_vpce and "vpce" not in paths:
        reader.problem(sec, "VPCEndpointURL", "UseVPCe is true but no VPC endpoint URL is set",
                       f"set VPCEndpointURL to {VPCE_EXPECTED}")
    models = _parse_models(parser, reader)
    model_id = values["ModelID"]
    if model_id and model_id not in models.values():
        models[model_id] = model_id  # the encrypted variant carried one model in [default]
    return WorkshopConfig(
        paths=paths,
        models=models,
        region=region_value if region_value and is_valid_region(region_value) else DEFAULT_REGION,
        default_path="vpce" if use_vpce and "vpce" in paths else "nat",
        default_model=model_id or next(iter(models.values()), None),
        prompt_file=values["PromptFilePath"] or None,
        debug=debug,
        sandbox=False,
        source=reader.source,
        problems=_dedupe(reader.problems),
        legacy=True,
        encrypted=encrypted,
    )


# New-format path keys -> (field it sets, where). The order is the order dump_config writes.
PATH_KEYS: tuple[str, ...] = (
    "Kind", "Region", "EndpointURL", "ControlEndpointURL", "CredentialMode", "RoleARN", "ExternalId",
    "SessionName", "DurationSeconds", "Profile", "AccessKey", "SecretKey", "STSEndpointURL", "ProxyURL",
    "ConnectTimeout", "ReadTimeout", "MaxAttempts", "RetryMode",
    "Auth", "ApiKey", "ApiId", "UpstreamURL", "UsagePlanId", "ApiKeyId", "ApiGatewayControlURL",
)


def _parse_new(parser: configparser.RawConfigParser, reader: _Reader) -> WorkshopConfig:
    ws = parser["workshop"] if parser.has_section("workshop") else {}
    region = _get(ws, "Region") or DEFAULT_REGION
    if not is_valid_region(region):
        reader.bad_value("workshop", "Region", region, REGION_EXPECTED)
    sandbox = reader.flag("workshop", "Sandbox", _get(ws, "Sandbox"), False)
    encrypted = reader.flag("workshop", "Encrypted", _get(ws, "Encrypted"), False)
    paths: dict[str, AccessPath] = {}
    for section in parser.sections():
        if not section.startswith("path "):
            if section not in ("workshop", "quota", "models", "sandbox", "default", "cost"):
                reader.problem(section, "", "unknown section (ignored)",
                               "expected [workshop], [quota], [path NAME], [models], [cost] or [sandbox]",
                               severity="warning")
            continue
        name = section[len("path "):].strip()
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
            reader.problem(section, "", f"path name {name!r} is not valid",
                           "use lower-case letters, digits, '-' or '_' (e.g. [path vpce])")
            continue
        paths[name] = _parse_path(parser[section], section, name, region, reader)
    if not paths and sandbox:
        paths = dict(default_config().paths)
    for name, found in paths.items():
        # The sandbox fills these in when it binds (its own listener and fake key): only AWS needs them.
        if found.kind == "api-gateway" and found.gateway.auth == "api-key" and not found.gateway.api_key \
                and not sandbox:
            reader.problem(f"path {name}", "ApiKey", "Auth = api-key but no ApiKey is set",
                           "paste the usage plan's API key value into ApiKey (it is encrypted on save), or "
                           "set Auth = iam for an API that uses SigV4", path=name)
        if found.is_gateway and not found.endpoint_url and not sandbox:
            what = "the API stage URL" if found.kind == "api-gateway" else "the gateway's URL"
            reader.problem(f"path {name}", "EndpointURL", f"this {found.kind} path needs {what}",
                           f"expected {APIGW_EXPECTED}" if found.kind == "api-gateway" else
                           "expected https://<gateway host>[:port] (the client signs for bedrock-runtime and sends "
                           "there)", path=name)
    if not paths:
        reader.problem("workshop", "", "no [path NAME] sections", "add at least one, e.g. [path nat]")
    for key in set(ws) - {"Region", "Sandbox", "DefaultPath", "DefaultModel", "StoreURL", "LogBodies", "Debug",
                        "Encrypted", "PromptFile", "PromptFilePath"}:
        reader.problem("workshop", key, "unknown key (ignored)", None, severity="warning")
    default_path = _get(ws, "DefaultPath") or (next(iter(paths)) if paths else "nat")
    if paths and default_path not in paths:
        reader.problem("workshop", "DefaultPath", f"{default_path!r} is not a configured path",
                       f"use one of: {', '.join(paths)}")
        default_path = next(iter(paths))
    models = _parse_models(parser, reader) or ({} if not sandbox else dict(DEFAULT_MODELS))
    default_model = _get(ws, "DefaultModel") or next(iter(models.values()), None)
    if default_model and not is_valid_model_id(default_model):
        reader.bad_value("workshop", "DefaultModel", default_model, MODEL_ID_EXPECTED)
    qs = parser["quota"] if parser.has_section("quota") else {}
    quota = QuotaSettings(
        max_invocations=reader.number("quota", "MaxInvocations", _get(qs, "MaxInvocations"), None, low=0),
        per_minute=reader.number("quota", "PerMinute", _get(qs, "PerMinute"), None, low=0),
    )
    sandbox_settings = dict(parser["sandbox"]) if parser.has_section("sandbox") else {}
    cost_settings = dict(parser["cost"]) if parser.has_section("cost") else {}
    if cost_settings:
        from workshop.cost import CostSettings

        try:
            CostSettings.from_mapping(cost_settings, source=reader.source)
        except ConfigError as err:
            reader.problem("cost", (err.field or "").removeprefix("[cost] "), err.message, err.fix)
    return WorkshopConfig(
        paths=paths,
        models=models,
        region=region,
        default_path=default_path,
        default_model=default_model,
        prompt_file=_get(ws, "PromptFile") or _get(ws, "PromptFilePath"),
        debug=reader.flag("workshop", "Debug", _get(ws, "Debug"), False),
        sandbox=sandbox,
        source=reader.source,
        store_url=_get(ws, "StoreURL") or None,
        log_bodies=reader.flag("workshop", "LogBodies", _get(ws, "LogBodies"), True),
        quota=quota,
        problems=_dedupe(reader.problems),
        sandbox_settings=sandbox_settings,
        legacy=False,
        encrypted=encrypted,
        cost_settings=cost_settings,
    )


def _parse_path(sec: Mapping[str, str], section: str, name: str, default_region: str, reader: _Reader) -> AccessPath:
    from workshop import limits  # the timeouts' ceilings (docs/limits.md)

    for key in sec:
        if key not in PATH_KEYS and key.lower() not in {k.lower() for k in PATH_KEYS}:
            reader.problem(section, key, "unknown key (ignored)", f"expected one of: {', '.join(PATH_KEYS)}",
                           path=name, severity="warning")

    def val(key: str) -> str | None:
        return _nonempty(reader.decrypt(section, key, _get(sec, key), path=name))

    kind = val("Kind") or (name if name in PATH_KINDS else "nat")
    if kind not in PATH_KINDS:
        reader.bad_value(section, "Kind", kind, " / ".join(PATH_KINDS), path=name)
        kind = "nat"
    region_raw = val("Region")
    region = _check_region(reader, section if region_raw else "workshop", "Region",
                           region_raw or default_region, name)
    mode_raw = (val("CredentialMode") or ("assume-role" if kind == "cross-account" else "instance")).strip()
    mode = LEGACY_CREDENTIAL_MODES.get(mode_raw, mode_raw)
    if mode not in CREDENTIAL_MODES:
        reader.bad_value(section, "CredentialMode", mode_raw, " / ".join(CREDENTIAL_MODES), path=name)
        mode = "instance"
    creds = CredentialMode(
        mode,
        role_arn=val("RoleARN"),
        external_id=val("ExternalId"),
        session_name=val("SessionName") or DEFAULT_SESSION_NAME,
        duration_seconds=reader.number(section, "DurationSeconds", val("DurationSeconds"), 3600,
                                       low=900, high=43200, path=name),
        profile=val("Profile"),
        access_key=val("AccessKey"),
        secret_key=val("SecretKey"),
        sts_endpoint=val("STSEndpointURL"),
    )
    if not re.fullmatch(r"[\w+=,.@-]{2,64}", creds.session_name):
        reader.bad_value(section, "SessionName", creds.session_name,
                         "2-64 characters of letters, digits and + = , . @ - _", path=name)
    retry_mode = (val("RetryMode") or "standard").lower()
    if retry_mode not in RETRY_MODES:
        reader.bad_value(section, "RetryMode", retry_mode, " / ".join(RETRY_MODES), path=name)
        retry_mode = "standard"
    path = AccessPath(
        name=name,
        kind=kind,
        region=region,
        endpoint_url=val("EndpointURL"),
        credentials=creds,
        control_endpoint_url=val("ControlEndpointURL"),
        proxy=val("ProxyURL"),
        connect_timeout=reader.number(section, "ConnectTimeout", val("ConnectTimeout"), 3.0, kind=float,
                                      low=0.001, high=limits.MAX_CONNECT_TIMEOUT_S, path=name),
        read_timeout=reader.number(section, "ReadTimeout", val("ReadTimeout"), 60.0, kind=float, low=0.001,
                                   high=limits.MAX_READ_TIMEOUT_S, path=name),
        retry_mode=retry_mode,
        max_attempts=reader.number(section, "MaxAttempts", val("MaxAttempts"), 3, low=1, high=20, path=name),
        gateway=GatewaySettings(
            auth=(val("Auth") or "api-key").strip().lower(),
            api_key=val("ApiKey"),
            api_id=val("ApiId"),
            upstream_url=val("UpstreamURL"),
            usage_plan_id=val("UsagePlanId"),
            api_key_id=val("ApiKeyId"),
            control_url=val("ApiGatewayControlURL"),
        ),
    )
    keys = {"endpoint_url": "EndpointURL", "role_arn": "RoleARN", "access_key": "AccessKey",
            "secret_key": "SecretKey", "sts_endpoint": "STSEndpointURL", "proxy": "ProxyURL",
            "profile": "Profile"}
    _check_path(reader, path, section_of=dict.fromkeys(keys, section), key_of=keys)
    return path


def _check_gateway(reader: _Reader, path: AccessPath, where: Any) -> None:
    """The gateway keys of an api-gateway or llm-gateway path (each problem names its key)."""
    gw = path.gateway
    section, _ = where("endpoint_url")
    if path.kind == "api-gateway":
        if gw.auth not in GATEWAY_AUTHS:
            reader.bad_value(section, "Auth", gw.auth, " / ".join(GATEWAY_AUTHS), path=path.name)
        if gw.api_id and not API_ID_RE.match(gw.api_id):
            reader.bad_value(section, "ApiId", gw.api_id, "the 10-character API id, e.g. a1b2c3d4e5", path=path.name)
        if gw.control_url:
            why = check_endpoint_url(gw.control_url)
            if why:
                reader.problem(section, "ApiGatewayControlURL", f"{gw.control_url!r} {why}",
                               "expected https://apigateway.<region>.amazonaws.com", path=path.name)
    if path.kind == "llm-gateway" and gw.upstream_url:
        why = check_endpoint_url(gw.upstream_url)
        if why:
            reader.problem(section, "UpstreamURL", f"{gw.upstream_url!r} {why}",
                           "expected the bedrock-runtime URL the gateway forwards to, e.g. "
                           "https://bedrock-runtime.us-east-1.amazonaws.com", path=path.name)


def _dedupe(problems: list[ConfigProblem]) -> tuple[ConfigProblem, ...]:
    seen: dict[tuple[Any, ...], ConfigProblem] = {}
    for p in problems:
        seen.setdefault((p.section, p.key, p.message, p.path), p)
    return tuple(seen.values())


# --------------------------------------------------------------------------- writing


def dump_config(config: WorkshopConfig, encrypt: bool = True, key_file: str | Path | None = None) -> str:
    """The config in the new format. With ``encrypt``, sensitive values become ``enc:...``
    using the key from $WORKSHOP_CONFIG_KEY or ``key_file`` (created if missing)."""
    keyring = None
    sensitive: frozenset[str] = frozenset()
    if encrypt:
        from workshop import secrets

        keyring = secrets.load_keyring(key_file, create=True)
        sensitive = frozenset(secrets.SENSITIVE_KEYS)

    def out(key: str, value: Any, *, kind: str | None = None) -> str | None:
        if value is None or value == "":
            return None
        text = str(value).lower() if isinstance(value, bool) else str(value)
        secret = key in sensitive and (key != "EndpointURL" or kind == "vpce")
        if keyring is not None and secret and not text.startswith("enc:"):
            text = keyring.encrypt(text)
        return text

    parser = _parser()
    parser["workshop"] = {}
    ws = parser["workshop"]
    for key, value in (
        ("Region", config.region), ("Sandbox", config.sandbox), ("DefaultPath", config.default_path),
        ("DefaultModel", config.default_model), ("StoreURL", config.store_url),
        ("LogBodies", config.log_bodies), ("Debug", config.debug), ("PromptFile", config.prompt_file),
        ("Encrypted", bool(keyring)),
    ):
        text = out(key, value)
        if text is not None:
            ws[key] = text
    if config.quota.max_invocations is not None or config.quota.per_minute is not None:
        parser["quota"] = {}
        for key, value in (("MaxInvocations", config.quota.max_invocations), ("PerMinute", config.quota.per_minute)):
            if value is not None:
                parser["quota"][key] = str(value)
    for name, path in config.paths.items():
        c = path.credentials
        section = f"path {name}"
        parser[section] = {}
        for key, value in (
            ("Kind", path.kind), ("Region", path.region), ("EndpointURL", path.endpoint_url),
            ("ControlEndpointURL", path.control_endpoint_url), ("CredentialMode", c.kind),
            ("RoleARN", c.role_arn), ("ExternalId", c.external_id),
            ("SessionName", c.session_name if c.session_name != DEFAULT_SESSION_NAME else None),
            ("DurationSeconds", c.duration_seconds if c.duration_seconds != 3600 else None),
            ("Profile", c.profile), ("AccessKey", c.access_key), ("SecretKey", c.secret_key),
            ("STSEndpointURL", c.sts_endpoint), ("ProxyURL", path.proxy),
            ("ConnectTimeout", path.connect_timeout if path.connect_timeout != 3.0 else None),
            ("ReadTimeout", path.read_timeout if path.read_timeout != 60.0 else None),
            ("MaxAttempts", path.max_attempts if path.max_attempts != 3 else None),
            ("RetryMode", path.retry_mode if path.retry_mode != "standard" else None),
            *_gateway_items(path),
        ):
            text = out(key, value, kind=path.kind)
            if text is not None:
                parser[section][key] = text
    if config.models:
        parser["models"] = dict(config.models)
    if config.sandbox_settings:
        parser["sandbox"] = dict(config.sandbox_settings)
    if config.cost_settings:
        parser["cost"] = dict(config.cost_settings)
    import io

    buffer = io.StringIO()
    buffer.write(f"# Bedrock workshop config (written by python -m workshop; source: {config.source})\n")
    parser.write(buffer)
    return buffer.getvalue()


def _gateway_items(path: AccessPath) -> list[tuple[str, Any]]:
    """The gateway keys dump_config writes for a gateway path (none for the direct kinds)."""
    gw = path.gateway
    if path.kind == "api-gateway":
        return [("Auth", gw.auth), ("ApiKey", gw.api_key), ("ApiId", gw.api_id), ("UsagePlanId", gw.usage_plan_id),
                ("ApiKeyId", gw.api_key_id), ("ApiGatewayControlURL", gw.control_url)]
    if path.kind == "llm-gateway":
        return [("UpstreamURL", gw.upstream_url)]
    return []


def save_config(
    config: WorkshopConfig, path: str | Path, *, encrypt: bool = True, key_file: str | Path | None = None
) -> Path:
    """Write ``config`` to ``path`` atomically (never a half-written config), mode 0600."""
    text = dump_config(config, encrypt=encrypt, key_file=key_file)
    target = Path(path)
    from workshop import secrets

    secrets.atomic_write(target, text)
    return target


def sandbox_options(config: WorkshopConfig) -> dict[str, Any]:
    """NoDelay, Seed, Port and LatencyProfile (a JSON file shaped like the sandbox's
    latency.json) from the ``[sandbox]`` section (ConfigError on a bad value)."""
    raw = {k.lower(): v.strip() for k, v in config.sandbox_settings.items()}
    no_delay_raw = raw.get("nodelay", "false").lower()
    if no_delay_raw not in _TRUE | _FALSE:
        raise ConfigError(f"{raw['nodelay']!r} is not valid", field="[sandbox] NoDelay",
                          fix="expected true or false", source=config.source)
    options: dict[str, Any] = {"no_delay": no_delay_raw in _TRUE, "seed": 0, "port": 0,
                               "latency_profile": raw.get("latencyprofile") or None}
    for key, name in (("seed", "Seed"), ("port", "Port")):
        if raw.get(key):
            try:
                options[key] = int(raw[key])
            except ValueError:
                raise ConfigError(f"{raw[key]!r} is not valid", field=f"[sandbox] {name}",
                                  fix="expected an integer", source=config.source) from None
    if not 0 <= options["port"] <= 65528:
        raise ConfigError(f"{options['port']!r} is not valid", field="[sandbox] Port",
                          fix="expected 0 (any free port) or a port up to 65528 (the sandbox takes eight)",
                          source=config.source)
    return options


def load_or_default(path: str | Path | None, key_file: str | Path | None = None) -> WorkshopConfig:
    """The config at ``path``, or the built-in sandbox when no path is given (CLI ``--config``)."""
    return default_config() if path is None else load_config(path, key_file=key_file)
