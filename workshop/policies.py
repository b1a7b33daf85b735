"""IAM policy documents a participant's setup needs, generated from plain inputs or the config.

The seeds carry these as prose to copy and edit by hand (000/003: the identity policy for
InvokeModel; 001: an ``aws:SourceVpce`` resource policy and the invocation-logging role and
bucket policies). Hand-editing is where ``<region>`` stays in an ARN or a model is allowed
in one region but called through a profile in another; so each document is built by a
function here from validated values, and returned as a plain dict ready for ``json.dumps``.

Every function validates its inputs and raises :class:`~workshop.errors.InputError` naming
the field and the fix, so the CLI prints one line and the console shows the same message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from workshop.catalog import base_model_id, is_application_profile, profile_prefix, validate_model_id
from workshop.errors import InputError

POLICY_VERSION = "2012-10-17"

INVOKE_ACTIONS: tuple[str, ...] = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
"""What InvokeModel, InvokeModelWithResponseStream, Converse and ConverseStream need
(Converse is authorised by the InvokeModel actions)."""

# Where each system inference-profile geography routes requests. AWS adds destination
# regions over time and they differ slightly per model, so this is an approximation that
# errs towards the regions most profiles list; docs/governance.md says so.
PROFILE_ROUTES: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "eu": ("eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"),
    "apac": (
        "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-4",
    ),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1", "ca-west-1"),
    # Global profiles may route to any commercial region: the region part is a wildcard.
    "global": ("*",),
}

ACCOUNT_RE = re.compile(r"^\d{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
VPCE_ID_RE = re.compile(r"^vpce-[0-9a-f]{8,17}$")
# IAM principals a resource policy or trust policy may name: the account root, users, roles,
# and assumed-role sessions (sts).
PRINCIPAL_ARN_RE = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):(?P<service>iam|sts)::(?P<account>\d{12}):"
    r"(?P<resource>root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+|assumed-role/[\w+=,.@-]+/[\w+=,.@-]+)$"
)
# STS: 2-1224 characters of [\w+=,.@:/-].
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
LOG_GROUP_RE = re.compile(r"^[\w./#-]{1,512}$")
BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
PREFIX_RE = re.compile(r"^[\w!.*'()/-]{0,900}$")
# The interface endpoint DNS name: vpce-<id>-<suffix>.bedrock-runtime.<region>.vpce.amazonaws.com
_VPCE_HOST_RE = re.compile(r"^(?:\*\.)?(?P<id>vpce-[0-9a-f]{8,17})-[a-z0-9]+[.-]")

INVOCATION_LOG_STREAM = "aws/bedrock/modelinvocations"
"""The log stream Bedrock writes to inside the configured log group."""


# --------------------------------------------------------------------------- validation


def _bad(field: str, value: Any, why: str, fix: str) -> InputError:
    return InputError(f"{value!r} {why}", field=field, fix=fix)


def validate_account_id(value: str, *, field: str = "account") -> str:
    """A 12-digit AWS account id, returned stripped."""
    text = str(value or "").strip()
    if not ACCOUNT_RE.match(text):
        raise _bad(field, text, "is not a 12-digit AWS account id", "use the account number, e.g. 111122223333")
    return text


def validate_region(value: str, *, field: str = "region") -> str:
    """An AWS region name such as ``us-east-1``."""
    text = str(value or "").strip()
    if not REGION_RE.match(text):
        raise _bad(field, text, "is not an AWS region name", "use a region code such as us-east-1 or eu-west-1")
    return text


def validate_principal(value: str, *, field: str = "principal") -> str:
    """An IAM principal ARN (root, user, role, assumed-role) or a 12-digit account id.

    An account id becomes its root ARN (``arn:aws:iam::<id>:root``), which in a resource or
    trust policy means "whoever that account's own IAM policies allow".
    """
    text = str(value or "").strip()
    if ACCOUNT_RE.match(text):
        return f"arn:aws:iam::{text}:root"
    if not PRINCIPAL_ARN_RE.match(text):
        raise _bad(
            field, text, "is not an IAM principal ARN or account id",
            "use arn:aws:iam::<account>:role/<name>, arn:aws:iam::<account>:user/<name>, "
            "arn:aws:iam::<account>:root or a 12-digit account id",
        )
    return text


def validate_vpce_id(value: str, *, field: str = "vpce-id") -> str:
    """A VPC endpoint id ``vpce-<8 to 17 hex digits>``."""
    text = str(value or "").strip()
    if not VPCE_ID_RE.match(text):
        raise _bad(
            field, text, "is not a VPC endpoint id",
            "use the endpoint id as the VPC console shows it, e.g. vpce-0123456789abcdef0",
        )
    return text


def validate_external_id(value: str, *, field: str = "external-id") -> str:
    """An STS ExternalId: 2 to 1224 characters of letters, digits and ``+=,.@:/-_``."""
    text = str(value or "").strip()
    if not EXTERNAL_ID_RE.match(text):
        raise _bad(field, text, "is not a valid ExternalId",
                   "use 2-1224 characters: letters, digits and + = , . @ : / - _")
    return text


def vpce_id_from_url(url: str, *, field: str = "VPCEndpointURL") -> str:
    """The endpoint id inside an interface endpoint's DNS name.

    ``https://vpce-0abc1234def567890-x1y2z3.bedrock-runtime.us-east-1.vpce.amazonaws.com``
    -> ``vpce-0abc1234def567890``. A URL without one (the default name with private DNS,
    or the sandbox's loopback listener) raises InputError: the id has to be given.
    """
    host = (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()
    match = _VPCE_HOST_RE.match(host)
    if not match:
        raise InputError(
            f"the endpoint URL host {host!r} does not contain a VPC endpoint id",
            field=field,
            fix="pass --vpce-id vpce-... (a private-DNS or sandbox endpoint has no id in its name)",
        )
    return match["id"]


def partition_of(region: str) -> str:
    """The ARN partition for a region (``aws``, ``aws-us-gov``, ``aws-cn``)."""
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def _unique(items: Iterable[str]) -> list[str]:
    """Keep first occurrences in order: stable output that diffs cleanly between runs."""
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


def _one_or_list(items: Sequence[str]) -> str | list[str]:
    return items[0] if len(items) == 1 else list(items)


# --------------------------------------------------------------------------- model ARNs


@dataclass(frozen=True)
class ModelResources:
    """The ARNs that invoking one model id touches."""

    model_id: str
    profile_arns: tuple[str, ...]
    foundation_model_arns: tuple[str, ...]
    note: str | None = None

    @property
    def arns(self) -> tuple[str, ...]:
        return self.profile_arns + self.foundation_model_arns


def model_resources(region: str, model_id: str, account_id: str | None = None) -> ModelResources:
    """Resource ARNs for calling ``model_id`` from ``region``.

    * a foundation-model id -> its ARN in ``region`` (foundation models have no account)
    * an inference-profile id (``us.``, ``eu.`` ...) -> the profile ARN in ``region`` (account
      ``*`` when unknown) plus the foundation-model ARN in every region the profile may route
      to: Bedrock authorises the request against both
    * a bedrock ARN -> itself (and, for a profile ARN, the routed foundation models)
    * an application-inference-profile ARN -> itself only; the model behind it is opaque, so
      the note says to add that model too
    """
    region = validate_region(region)
    model_id = validate_model_id(model_id)
    account = validate_account_id(account_id) if account_id else "*"
    partition = partition_of(region)
    if is_application_profile(model_id):
        return ModelResources(
            model_id, (model_id,), (),
            note=f"{model_id} is an application inference profile: also allow the foundation "
            "model(s) it routes to (its ARN does not say which)",
        )
    if model_id.startswith("arn:"):
        parts = model_id.split(":")
        region, partition = parts[3] or region, parts[1]
        if parts[4]:
            account = parts[4]
        if "/foundation-model/" in model_id:
            return ModelResources(model_id, (), (model_id,))
    prefix = profile_prefix(model_id)
    base = base_model_id(model_id)
    if prefix is None:
        return ModelResources(model_id, (), (f"arn:{partition}:bedrock:{region}::foundation-model/{base}",))
    profile_id = model_id.rsplit("/", 1)[-1]
    profile_arn = f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{profile_id}"
    routes = PROFILE_ROUTES.get(prefix, ())
    regions = _unique([region, *routes]) if "*" not in routes else ["*"]
    fm_arns = tuple(f"arn:{partition}:bedrock:{r}::foundation-model/{base}" for r in regions)
    return ModelResources(model_id, (profile_arn,), fm_arns)


def _model_arns(region: str, models: Iterable[str], account_id: str | None) -> list[str]:
    arns: list[str] = []
    for model in models:
        arns.extend(model_resources(region, model, account_id).arns)
    return _unique(arns)


# --------------------------------------------------------------------------- documents


def invoke_policy(region: str, models: Sequence[str], account_id: str | None = None) -> dict[str, Any]:
    """IAM identity policy allowing InvokeModel / InvokeModelWithResponseStream on exactly
    ``models`` (foundation-model ids, inference-profile ids or bedrock ARNs).

    Profiles get two statements: one for the profile, one for the foundation models it
    routes to, so reviewers see why a model ARN in another region is there.
    """
    if not models:
        raise InputError("no model given", field="model", fix="pass at least one --model MODEL_ID")
    resources = [model_resources(region, m, account_id) for m in models]
    fm = _unique(arn for r in resources for arn in r.foundation_model_arns)
    profiles = _unique(arn for r in resources for arn in r.profile_arns)
    statements: list[dict[str, Any]] = []
    if fm:
        statements.append({
            "Sid": "InvokeFoundationModels",
            "Effect": "Allow",
            "Action": list(INVOKE_ACTIONS),
            "Resource": _one_or_list(fm),
        })
    if profiles:
        statements.append({
            "Sid": "InvokeThroughInferenceProfiles",
            "Effect": "Allow",
            "Action": list(INVOKE_ACTIONS),
            "Resource": _one_or_list(profiles),
        })
    return {"Version": POLICY_VERSION, "Statement": statements}


def vpce_policy(
    principals: Sequence[str],
    models: Sequence[str] | None = None,
    *,
    region: str | None = None,
    account_id: str | None = None,
) -> dict[str, Any]:
    """VPC endpoint policy: only ``principals`` may invoke models through this endpoint.

    ``models`` narrows it further to those models (their ARNs in ``region``, or in any region
    when no region is given); without models any model the principal's IAM allows.
    An endpoint policy never grants on its own: the caller's identity policy must allow too.
    """
    if not principals:
        raise InputError("no principal given", field="principal",
                         fix="pass --principal ROLE_ARN (repeat for each role that may use the endpoint)")
    arns = _unique(validate_principal(p) for p in principals)
    resource: str | list[str] = "*"
    if models:
        resource = _one_or_list(_model_arns(region or "us-east-1", models, account_id))
        if region is None:
            # Region-less: the endpoint lives in one region anyway, so any region is exact enough.
            resource = _wildcard_region(resource)
    return {
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "AllowListedPrincipalsToInvoke",
            "Effect": "Allow",
            "Principal": {"AWS": _one_or_list(arns)},
            "Action": list(INVOKE_ACTIONS),
            "Resource": resource,
        }],
    }


def _wildcard_region(resource: str | list[str]) -> str | list[str]:
    items = [resource] if isinstance(resource, str) else resource
    out = _unique(re.sub(r"^(arn:[^:]+:bedrock:)[^:]*:", r"\1*:", arn) for arn in items)
    return _one_or_list(out)


def deny_outside_vpce(vpce_ids: Sequence[str]) -> dict[str, Any]:
    """Identity policy or SCP statement denying ``bedrock:Invoke*`` unless the request came
    through one of ``vpce_ids`` (``aws:SourceVpce``).

    A request over the public endpoint (NAT path) has no ``aws:SourceVpce`` at all, and
    ``StringNotEquals`` on a missing key is true, so it is denied. ``aws:ViaAWSService``
    exempts calls AWS services make on the principal's behalf (e.g. Bedrock Agents, which
    never come through your endpoint) — without it those features break silently.
    """
    if not vpce_ids:
        raise InputError("no VPC endpoint id given", field="vpce-id", fix="pass --vpce-id vpce-...")
    ids = _unique(validate_vpce_id(v) for v in vpce_ids)
    return {
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "DenyBedrockInvokeOutsideVpce",
            "Effect": "Deny",
            "Action": "bedrock:Invoke*",
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {"aws:SourceVpce": _one_or_list(ids)},
                "BoolIfExists": {"aws:ViaAWSService": "false"},
            },
        }],
    }


def trust_policy(trusted: str, external_id: str | None = None) -> dict[str, Any]:
    """Account B's role trust policy letting account A's principal assume it.

    ``trusted`` is account A's id (any principal A's IAM allows) or one principal ARN
    (narrower). ``external_id`` adds the ``sts:ExternalId`` condition the caller must pass.
    """
    principal = validate_principal(trusted, field="trusted-account")
    statement: dict[str, Any] = {
        "Sid": "AllowWorkshopAccountToAssume",
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": validate_external_id(external_id)}}
    return {"Version": POLICY_VERSION, "Statement": [statement]}


def validate_log_group(value: str | None, *, field: str = "log-group") -> str:
    """A CloudWatch Logs group name."""
    group = str(value or "").strip()
    if not LOG_GROUP_RE.match(group):
        raise _bad(field, group, "is not a CloudWatch Logs group name",
                   "use 1-512 characters: letters, digits and _ - / . #")
    return group


def validate_bucket(value: str | None, *, field: str = "bucket") -> str:
    """An S3 bucket name."""
    name = str(value or "").strip()
    if not BUCKET_RE.match(name) or ".." in name:
        raise _bad(field, name, "is not an S3 bucket name", "use 3-63 lower-case letters, digits, dots and hyphens")
    return name


def validate_prefix(value: str | None, *, field: str = "prefix") -> str:
    """An S3 key prefix, without leading or trailing slashes ("" for none)."""
    clean = str(value or "").strip().strip("/")
    if not PREFIX_RE.match(clean):
        raise _bad(field, clean, "is not a usable S3 key prefix", "use letters, digits and / - _ . ! * ' ( )")
    return clean


def logging_policies(
    account_id: str, region: str, log_group: str, bucket: str, prefix: str | None = None
) -> dict[str, dict[str, Any]]:
    """The three documents model-invocation logging needs (seed 001):

    * ``role_trust_policy``: the service role Bedrock assumes to write CloudWatch Logs,
      limited to this account's Bedrock (confused-deputy guard via aws:SourceAccount/Arn)
    * ``role_permissions_policy``: CreateLogStream / PutLogEvents on Bedrock's log stream
    * ``bucket_policy``: lets bedrock.amazonaws.com put log objects under the prefix
    """
    account = validate_account_id(account_id)
    region = validate_region(region)
    group = validate_log_group(log_group)
    bucket_name = validate_bucket(bucket)
    clean_prefix = validate_prefix(prefix)
    partition = partition_of(region)

    def source_conditions() -> dict[str, Any]:
        # A fresh dict per document: callers may edit one without changing the other.
        return {
            "StringEquals": {"aws:SourceAccount": account},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:bedrock:{region}:{account}:*"},
        }

    key_prefix = f"{clean_prefix}/" if clean_prefix else ""
    return {
        "role_trust_policy": {
            "Version": POLICY_VERSION,
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": "bedrock.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": source_conditions(),
            }],
        },
        "role_permissions_policy": {
            "Version": POLICY_VERSION,
            "Statement": [{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:{partition}:logs:{region}:{account}:log-group:{group}"
                f":log-stream:{INVOCATION_LOG_STREAM}",
            }],
        },
        "bucket_policy": {
            "Version": POLICY_VERSION,
            "Statement": [{
                "Sid": "AmazonBedrockLogsWrite",
                "Effect": "Allow",
                "Principal": {"Service": "bedrock.amazonaws.com"},
                "Action": ["s3:PutObject"],
                "Resource": [
                    f"arn:{partition}:s3:::{bucket_name}/{key_prefix}AWSLogs/{account}/BedrockModelInvocationLogs/*"
                ],
                "Condition": source_conditions(),
            }],
        },
    }


API_ID_RE = re.compile(r"^[a-z0-9]{10}$")


def validate_api_id(value: str, *, field: str = "api-id") -> str:
    """An API Gateway REST API id: 10 lower-case letters and digits."""
    text = str(value or "").strip()
    if not API_ID_RE.match(text):
        raise _bad(field, text, "is not an API Gateway API id",
                   "use the 10-character id from the stage URL https://<api-id>.execute-api.<region>.amazonaws.com")
    return text


def apigw_private_policy(
    vpce_ids: Sequence[str], api_id: str | None = None, *, region: str | None = None, account: str | None = None
) -> dict[str, Any]:
    """The resource policy of a private REST API reachable only through ``vpce_ids`` (seed 001).

    Private is not private enough: a private API answers through *any* execute-api VPC
    endpoint, another account's included, unless its resource policy names the allowed ones.
    So this denies ``execute-api:Invoke`` when ``aws:SourceVpce`` is not one of them, and
    allows it otherwise (the Deny wins over the Allow for every other endpoint). With
    ``api_id`` the resource is that API's ARN; without it, ``execute-api:/*`` (the shorthand
    API Gateway expands to the API the policy is attached to).
    """
    ids = _unique(validate_vpce_id(v) for v in vpce_ids)
    if not ids:
        raise InputError("no VPC endpoint id given", field="vpce-id",
                         fix="pass --vpce-id vpce-... (the execute-api interface endpoint in your VPC)")
    if api_id is not None:
        api = validate_api_id(api_id)
        reg = validate_region(region) if region else "*"
        acct = validate_account_id(account) if account else "*"
        partition = partition_of(region) if region else "aws"
        resource = f"arn:{partition}:execute-api:{reg}:{acct}:{api}/*"
    else:
        resource = "execute-api:/*"
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "DenyOutsideAllowedVpcEndpoints",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": resource,
                "Condition": {"StringNotEquals": {"aws:SourceVpce": _one_or_list(ids)}},
            },
            {
                "Sid": "AllowThroughAllowedVpcEndpoints",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": resource,
            },
        ],
    }


def gateway_lambda_policy(
    region: str,
    models: Sequence[str],
    *,
    account_id: str,
    log_group: str | None = None,
    bucket: str | None = None,
    prefix: str | None = None,
) -> dict[str, Any]:
    """The proxy Lambda's least-privilege permissions (infra/gateway/handler.py).

    InvokeModel on exactly ``models`` (what :func:`invoke_policy` allows: Converse needs the
    same actions), writing its ModelInvocationLog records to ``log_group`` (its own streams,
    not Bedrock's) and to ``bucket`` under the prefix Bedrock's logging uses, and its own
    function log (``/aws/lambda/...``). The VPC attachment's network-interface permissions
    are AWS's managed AWSLambdaVPCAccessExecutionRole, attached beside this.
    """
    account = validate_account_id(account_id)
    region = validate_region(region)
    partition = partition_of(region)
    statements = [dict(s) for s in invoke_policy(region, models, account)["Statement"]]
    statements.append({
        "Sid": "OwnFunctionLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": f"arn:{partition}:logs:{region}:{account}:log-group:/aws/lambda/*:*",
    })
    if log_group:
        group = validate_log_group(log_group)
        statements.append({
            "Sid": "InvocationLogToCloudWatch",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:{partition}:logs:{region}:{account}:log-group:{group}:log-stream:*",
        })
    if bucket:
        name = validate_bucket(bucket)
        clean = validate_prefix(prefix)
        key_prefix = f"{clean}/" if clean else ""
        statements.append({
            "Sid": "InvocationLogToS3",
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": f"arn:{partition}:s3:::{name}/{key_prefix}AWSLogs/{account}/BedrockModelInvocationLogs/*",
        })
    return {"Version": POLICY_VERSION, "Statement": statements}


POLICY_KINDS: tuple[str, ...] = ("invoke", "vpce", "deny-outside-vpce", "trust", "logging", "apigw-private",
                                 "gateway-lambda")
