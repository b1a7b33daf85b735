"""The real lab: CloudFormation templates in ``infra/`` and the console's config from their outputs.

Three jobs, all UI-free and offline (nothing here calls AWS):

* **render** a template (``render_template``): ``infra/participant-account.yaml`` (account A)
  and ``infra/central-account.yaml`` (account B) are complete, deployable files. Lines
  marked ``# generated: <what>`` hold IAM documents that come from
  :mod:`workshop.policies` — the same functions ``python -m workshop policy`` uses — so a
  template can never drift from the generator; rendering rewrites them for the chosen
  region and models, repeats the participant block once per participant and fills
  parameter defaults (account B's outputs into account A's template, and so on).
* **read** ``aws cloudformation describe-stacks`` output (``read_stack``) and turn it into
  the console's config (``lab_config``): the nat, vpce and cross-account paths with the
  endpoint, role and ExternalId the stacks created — nobody types an URL or an ARN.
* **print** the AWS CLI steps CloudFormation cannot do: model invocation logging (there is
  no resource type for it), the route back from account B once the peering exists, and
  the teardown.

Text, not a YAML library: the runtime has no YAML parser, and a template keeps its
comments only if it is edited as text. Generated documents are written as YAML flow-free
block mappings with every string double-quoted (JSON string syntax is valid YAML).
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets as _secrets
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workshop import policies
from workshop.config import (
    DEFAULT_MODEL,
    DEFAULT_MODELS,
    AccessPath,
    CredentialMode,
    WorkshopConfig,
    check_vpce_url,
    parse_config,
)
from workshop.errors import InputError

INFRA_DIR = Path(__file__).resolve().parent.parent / "infra"
TEMPLATE_FILES: dict[str, str] = {
    "participant": "participant-account.yaml",
    "central": "central-account.yaml",
}
DEFAULT_REGION = "us-east-1"
DEFAULT_PARTICIPANT_STACK = "bedrock-lab-participants"
DEFAULT_CENTRAL_STACK = "bedrock-lab-central"
LOG_KEY_PREFIX = "bedrock-logs"
"""S3 key prefix of the invocation logs (the bucket policy and the logging call agree on it)."""

PARTICIPANT_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
MAX_PARTICIPANTS = 40
"""An account's default EC2 and EIP quotas allow about this many small instances per lab."""

# Stand-ins the policy generator accepts, replaced by CloudFormation expressions after it
# ran: the template knows these values only at deploy time.
_OWN_ACCOUNT = "000000000000"
_PARTICIPANT_ACCOUNT = "000000000001"
_ROLE_ACCOUNT = "000000000002"
_EXTERNAL_ID = "workshop-placeholder-external-id"
_LOG_GROUP = "workshop-placeholder-log-group"
_BUCKET = "workshop-placeholder-bucket"


# =========================================================================== rendering


@dataclass(frozen=True)
class TemplateOptions:
    """What ``render_template`` fills in. Empty ``parameters`` keep the file's defaults."""

    region: str = DEFAULT_REGION
    models: tuple[str, ...] = (DEFAULT_MODEL,)
    participants: tuple[str, ...] = ("participant-1",)
    parameters: Mapping[str, str] = field(default_factory=dict)


def template_path(name: str) -> Path:
    """The source file of template ``name`` (``participant`` or ``central``)."""
    key = _template_key(name)
    path = INFRA_DIR / TEMPLATE_FILES[key]
    if not path.is_file():
        raise InputError(f"{path} not found", field="template",
                         fix="run from a checkout of the workshop repository (infra/ is not installed by pip)")
    return path


def _template_key(name: str) -> str:
    key = name.removesuffix(".yaml").removesuffix("-account")
    if key not in TEMPLATE_FILES:
        raise InputError(f"unknown template {name!r}", field="template",
                         fix="use participant (account A) or central (account B)")
    return key


def participant_names(count: int | None = None, names: Sequence[str] | None = None) -> tuple[str, ...]:
    """``participant-1 .. participant-N``, or the given names (validated, unique)."""
    if names:
        clean = tuple(n.strip() for n in names if n.strip())
        for name in clean:
            if not PARTICIPANT_NAME_RE.match(name):
                raise InputError(f"participant name {name!r} is not valid", field="names",
                                 fix="use 1-31 lower-case letters, digits and hyphens, starting with a letter")
        if len(set(clean)) != len(clean):
            raise InputError("a participant name is repeated", field="names", fix="give each participant a unique name")
        if count is not None and count != len(clean):
            raise InputError(f"--participants {count} but {len(clean)} names", field="participants",
                             fix="drop --participants or give that many names")
        result = clean
    else:
        result = tuple(f"participant-{i}" for i in range(1, (1 if count is None else count) + 1))
    if not 1 <= len(result) <= MAX_PARTICIPANTS:
        raise InputError(f"{len(result)} participants", field="participants",
                         fix=f"use 1 to {MAX_PARTICIPANTS} (one account's default EC2 and address quotas)")
    return result


def generated_documents(name: str, region: str, models: Sequence[str]) -> dict[str, Any]:
    """The IAM documents of template ``name`` exactly as :mod:`workshop.policies` builds them,
    with stand-ins where only CloudFormation knows the value (see ``_placeholders``)."""
    key = _template_key(name)
    region = policies.validate_region(region)
    invoke = policies.invoke_policy(region, list(models))
    if key == "participant":
        return {
            "invoke-policy": invoke,
            "vpce-policy": policies.vpce_policy([f"arn:aws:iam::{_ROLE_ACCOUNT}:role/workshop-placeholder-role"]),
        }
    logging = policies.logging_policies(_OWN_ACCOUNT, region, _LOG_GROUP, _BUCKET, LOG_KEY_PREFIX)
    return {
        "invoke-policy": invoke,
        "vpce-policy": policies.vpce_policy([f"arn:aws:iam::{_ROLE_ACCOUNT}:role/workshop-placeholder-role"]),
        "trust-policy": policies.trust_policy(_PARTICIPANT_ACCOUNT, _EXTERNAL_ID),
        "logging-bucket-policy": logging["bucket_policy"],
        "logging-role-trust-policy": logging["role_trust_policy"],
        "logging-role-permissions-policy": logging["role_permissions_policy"],
    }


def _placeholders(role_resource: str | None) -> dict[str, str]:
    """Stand-in -> the ``${...}`` CloudFormation fills in at deploy time."""
    subs = {
        _OWN_ACCOUNT: "${AWS::AccountId}",
        _PARTICIPANT_ACCOUNT: "${ParticipantAccountId}",
        _EXTERNAL_ID: "${ExternalId}",
        _LOG_GROUP: "${LogGroupName}",
        _BUCKET: "${InvocationLogBucket}",
    }
    if role_resource:
        subs[f"arn:aws:iam::{_ROLE_ACCOUNT}:role/workshop-placeholder-role"] = "${" + role_resource + ".Arn}"
    return subs


def _scalar(value: Any, subs: Mapping[str, str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if "${" in text:  # IAM policy variables would need ${!...} inside Fn::Sub; we generate none
        raise ValueError(f"policy text {text!r} contains '${{'")
    replaced = text
    for literal, expression in subs.items():
        replaced = replaced.replace(literal, expression)
    if replaced == text:
        return json.dumps(text, ensure_ascii=False)
    if re.fullmatch(r"\$\{\w+\.Arn\}", replaced):
        return f"!GetAtt {replaced[2:-1]}"
    if re.fullmatch(r"\$\{\w+\}", replaced):
        return f"!Ref {replaced[2:-1]}"
    return "!Sub " + json.dumps(replaced, ensure_ascii=False)


def _yaml_lines(value: Any, indent: int, subs: Mapping[str, str]) -> list[str]:
    """``value`` (dicts, lists, scalars) as block-style YAML lines at ``indent`` spaces."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            label = key if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", key) else json.dumps(key)
            if isinstance(item, (Mapping, list)) and item:
                lines.append(f"{pad}{label}:")
                lines.extend(_yaml_lines(item, indent + 2, subs))
            else:
                lines.append(f"{pad}{label}: {_scalar(item, subs)}")
        return lines
    if isinstance(value, list):
        for item in value:
            if isinstance(item, (Mapping, list)) and item:
                inner = _yaml_lines(item, indent + 2, subs)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_scalar(item, subs)}")
        return lines
    return [f"{pad}{_scalar(value, subs)}"]


_MARKER = re.compile(r"^(?P<indent> *)(?P<key>[\w:]+):(?P<value>[^#]*?)\s*# generated: (?P<what>[\w-]+)(?: (?P<arg>\w+))?\s*$")


def _render_generated(text: str, documents: Mapping[str, Any], models: Sequence[str]) -> str:
    """Rewrite every ``# generated:`` line (and the block under it) from ``documents``."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _MARKER.match(line)
        if not match:
            out.append(line)
            i += 1
            continue
        indent, key, what = len(match["indent"]), match["key"], match["what"]
        if what == "model-ids":
            out.append(f"{match['indent']}{key}: {json.dumps(','.join(models))}  # generated: model-ids")
            i += 1
            continue
        if what not in documents:
            raise ValueError(f"template marker {what!r} has no generated document")  # a template bug
        out.append(line)
        i += 1
        while i < len(lines) and (lines[i].strip() == "" or len(lines[i]) - len(lines[i].lstrip(" ")) > indent):
            if lines[i].strip() == "":
                break  # a blank line ends the block (generated blocks contain none)
            i += 1
        out.extend(_yaml_lines(documents[what], indent + 2, _placeholders(match["arg"])))
    return "\n".join(out)


_BLOCK = re.compile(r"(?ms)^(?P<indent> *)# >>> participant\n(?P<body>.*?)^(?P=indent)# <<< participant\n")


def _expand_participants(text: str, names: Sequence[str]) -> str:
    """Repeat each participant block once per participant (logical ids, names, subnets)."""

    def one(body: str, index: int, name: str) -> str:
        body = re.sub(r"Participant1(?=[A-Z])", f"Participant{index}", body)
        body = re.sub(r"\bparticipant-1\b", name, body)
        # Alternate the two private subnets (two AZs) between participants.
        return re.sub(r"\bPrivateSubnet1\b", f"PrivateSubnet{(index - 1) % 2 + 1}", body)

    def expand(match: re.Match[str]) -> str:
        pad, body = match["indent"], match["body"]
        copies = [one(body, i, name) for i, name in enumerate(names, 1)]
        return f"{pad}# >>> participant\n" + "\n".join(copies) + f"{pad}# <<< participant\n"

    return _BLOCK.sub(expand, text)


def _set_default(text: str, parameter: str, value: str) -> str:
    """Set ``Default:`` of ``parameter`` in the Parameters section (added when missing)."""
    head = re.search(rf"(?m)^  {re.escape(parameter)}:\n", text)
    section = text.find("\nParameters:\n")
    end = text.find("\n\n", section + 1)
    if head is None or not section < head.start() < end:
        raise InputError(f"the template has no parameter {parameter!r}", field="parameter",
                         fix="see the template's Parameters section")
    start = head.end()
    stop = start
    while stop < len(text) and text.startswith("    ", stop):
        stop = text.index("\n", stop) + 1
    block = text[start:stop]
    line = f"    Default: {json.dumps(value, ensure_ascii=False)}\n"
    if re.search(r"(?m)^    Default: .*\n", block):
        block = re.sub(r"(?m)^    Default: .*\n", lambda _m: line, block, count=1)
    else:
        block = re.sub(r"(?m)^(    Type: .*\n)", lambda m: m.group(1) + line, block, count=1)
    return text[:start] + block + text[stop:]


def _set_region(text: str, region: str) -> str:
    text = re.sub(r"(?m)^(    renderedForRegion: ).*$", lambda m: m.group(1) + region, text, count=1)
    text = re.sub(r'(!Equals \[!Ref "AWS::Region", )[^\]]+\]', lambda m: f"{m.group(1)}{region}]", text, count=1)
    return re.sub(r"(rendered for )[a-z0-9-]+(;)", lambda m: f"{m.group(1)}{region}{m.group(2)}", text, count=1)


def render_template(name: str, options: TemplateOptions | None = None, *, source: str | None = None) -> str:
    """Template ``name`` for ``options``: policies for the region and models, one block per
    participant, parameter defaults filled. ``source`` replaces the file (tests)."""
    key = _template_key(name)
    options = options or TemplateOptions()
    region = policies.validate_region(options.region)
    models = _validate_models(options.models)
    text = source if source is not None else template_path(key).read_text(encoding="utf-8")
    if key == "participant":
        text = _expand_participants(text, participant_names(names=options.participants))
    text = _render_generated(text, generated_documents(key, region, models), models)
    text = _set_region(text, region)
    for parameter, value in options.parameters.items():
        text = _set_default(text, parameter, value)
    return text


def _validate_models(models: Iterable[str]) -> tuple[str, ...]:
    from workshop.catalog import validate_model_id

    clean = tuple(dict.fromkeys(validate_model_id(m) for m in models))
    if not clean:
        raise InputError("no model given", field="model", fix="pass --model MODEL_ID at least once")
    return clean


def subnet_cidrs(vpc_cidr: str, count: int, *, field_name: str = "vpc-cidr") -> list[str]:
    """The first ``count`` /24 (or smaller) subnets of ``vpc_cidr``, for the subnet parameters."""
    try:
        network = ipaddress.ip_network(vpc_cidr, strict=True)
    except ValueError:
        raise InputError(f"{vpc_cidr!r} is not a network", field=field_name,
                         fix="use a private IPv4 network such as 10.20.0.0/16 (host bits zero)") from None
    if network.version != 4 or not 16 <= network.prefixlen <= 22 or not network.is_private:
        raise InputError(f"{vpc_cidr!r} is not usable for the lab's VPC", field=field_name,
                         fix="use a private IPv4 network from /16 to /22, e.g. 10.20.0.0/16")
    new_prefix = min(network.prefixlen + 8, 28) if network.prefixlen <= 20 else network.prefixlen + 2
    return [str(s) for s in list(network.subnets(new_prefix=new_prefix))[:count]]


def new_external_id() -> str:
    """A fresh ExternalId (32 URL-safe characters) for the cross-account role's trust policy."""
    return "bedrock-lab-" + _secrets.token_urlsafe(24)


# =========================================================================== stack outputs


@dataclass(frozen=True)
class StackOutputs:
    """One stack of ``aws cloudformation describe-stacks`` output: outputs and parameters."""

    source: str
    stack_name: str
    outputs: Mapping[str, str]
    parameters: Mapping[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        """An output's value, or None when the stack has no such output (or it is empty)."""
        value = str(self.outputs.get(key) or "").strip()
        return value or None

    def require(self, key: str, why: str) -> str:
        value = self.get(key)
        if value is None:
            raise InputError(f"the stack outputs have no {key}", field="--outputs", source=self.source,
                             fix=f"{why} (give the describe-stacks output of the stack deployed from infra/)")
        return value


def read_stack(text: str, *, source: str = "<outputs>", stack: str | None = None) -> StackOutputs:
    """Parse ``aws cloudformation describe-stacks`` JSON (the whole answer, or just
    ``Stacks[0].Outputs`` as ``--query`` prints it)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", field="--outputs",
                         source=source, fix="save `aws cloudformation describe-stacks --stack-name NAME` as is") from None
    if isinstance(data, list):
        data = {"Stacks": [{"StackName": stack or "", "Outputs": data}]}
    stacks = data.get("Stacks") if isinstance(data, dict) else None
    if not isinstance(stacks, list) or not stacks:
        raise InputError("no Stacks in the file", field="--outputs", source=source,
                         fix="save the output of `aws cloudformation describe-stacks --stack-name NAME`")
    if stack:
        stacks = [s for s in stacks if s.get("StackName") == stack]
        if not stacks:
            raise InputError(f"no stack named {stack!r} in the file", field="--stack", source=source,
                             fix="check the stack name")
    elif len(stacks) > 1:
        raise InputError(f"{len(stacks)} stacks in the file", field="--outputs", source=source,
                         fix="describe one stack (--stack-name NAME)")
    chosen = stacks[0]

    def pairs(items: Any, key: str, value: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in items or []:
            if isinstance(item, dict) and key in item:
                out[str(item[key])] = str(item.get(value, ""))
        return out

    return StackOutputs(
        source=source,
        stack_name=str(chosen.get("StackName") or ""),
        outputs=pairs(chosen.get("Outputs"), "OutputKey", "OutputValue"),
        parameters=pairs(chosen.get("Parameters"), "ParameterKey", "ParameterValue"),
    )


def load_stack(path: str | Path, *, stack: str | None = None) -> StackOutputs:
    """``read_stack`` of a file; InputError naming the file when it cannot be read."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {file} ({exc.strerror or type(exc).__name__})", field="--outputs",
                         fix="save `aws cloudformation describe-stacks --stack-name NAME > FILE` first") from None
    return read_stack(text, source=str(file), stack=stack)


def template_parameters_from_central(central: StackOutputs) -> dict[str, str]:
    """Account A's Central* parameters from account B's outputs (lab template participant)."""
    values = {
        "CentralAccountId": central.require("AccountId", "account B's stack must be deployed first"),
        "CentralRoleArn": central.require("CrossAccountRoleArn", "account B's stack creates the role"),
        "CentralExternalId": central.get("ExternalId") or central.parameters.get("ExternalId") or "",
        "CentralVpcId": central.require("VpcId", "account B's stack creates the VPC"),
        "CentralVpcCidr": central.require("VpcCidr", "account B's stack creates the VPC"),
        "CentralPeerRoleArn": central.require("PeerRoleArn", "account B's stack creates the peering role"),
        "CentralEndpointDns": central.require("BedrockRuntimeEndpointDns", "account B's stack creates the endpoint"),
    }
    if not values["CentralExternalId"] or set(values["CentralExternalId"]) == {"*"}:
        raise InputError("account B's stack shows no ExternalId", field="--central-outputs", source=central.source,
                         fix="pass --external-id with the value account B's stack was deployed with")
    return values


# =========================================================================== config


@dataclass(frozen=True)
class LabConfig:
    """The console's config built from the stacks, with notes for the facilitator."""

    config: WorkshopConfig
    notes: tuple[str, ...] = ()


def _url(host: str | None) -> str | None:
    return f"https://{host}" if host else None


def _model_label(model_id: str) -> str:
    known = {v: k for k, v in DEFAULT_MODELS.items()}
    # configparser splits keys at ':' and '=', which model ids contain.
    return known.get(model_id) or re.sub(r"[:=\s]", "-", model_id)


def lab_config(participant: StackOutputs, central: StackOutputs | None = None) -> LabConfig:
    """The nat, vpce (and cross-account) paths from account A's stack outputs, and B's.

    Everything comes from the outputs: the vpce path's endpoint is the interface
    endpoint's own DNS name (https), the cross-account path assumes account B's role
    with its ExternalId and, when the VPCs are peered, calls account B's endpoint.
    InputError when an output is missing or the two stacks do not belong together.
    """
    notes: list[str] = []
    region = policies.validate_region(participant.require("Region", "deploy infra/participant-account.yaml"),
                                      field="Region")
    runtime_dns = participant.require(
        "BedrockRuntimeEndpointDns",
        "the stack's BedrockRuntimeEndpointDns output names the vpce path's endpoint",
    )
    bad = check_vpce_url(f"https://{runtime_dns}")
    if bad:
        raise InputError(f"BedrockRuntimeEndpointDns {runtime_dns!r} {bad[0]}", field="--outputs",
                         source=participant.source, fix=bad[1])
    models = [m for m in (participant.get("ModelIds") or "").split(",") if m.strip()]
    models = list(_validate_models(models)) if models else [DEFAULT_MODEL]
    sts_url = _url(participant.get("StsEndpointDns"))
    instance = CredentialMode("instance", sts_endpoint=sts_url)
    paths: dict[str, AccessPath] = {
        "nat": AccessPath("nat", "nat", region, None, CredentialMode("instance")),
        "vpce": AccessPath("vpce", "vpce", region, f"https://{runtime_dns}", instance,
                           control_endpoint_url=_url(participant.get("BedrockEndpointDns"))),
    }
    private_dns = (participant.get("PrivateDnsEnabled") or "false").lower() == "true"
    if private_dns:
        notes.append("PrivateDnsEnabled is true: inside this VPC the public bedrock-runtime name resolves to the "
                     "endpoint, so the nat path goes through PrivateLink too (Diagnostics flags it; the comparison "
                     "will not call nat and vpce different). Redeploy with PrivateDnsEnabled=false to measure NAT.")

    role_arn = participant.get("CentralRoleArn")
    external_id = participant.get("CentralExternalId")
    central_dns = participant.get("CentralEndpointDns")
    if central is not None:
        b_role = central.require("CrossAccountRoleArn", "deploy infra/central-account.yaml in account B")
        if role_arn and role_arn != b_role:
            raise InputError(f"account A's stack assumes {role_arn}, account B's stack created {b_role}",
                             field="--central-outputs", source=central.source,
                             fix="render account A's template from this account B's outputs "
                             "(lab template participant --central-outputs) and redeploy it")
        b_region = central.get("Region")
        if b_region and b_region != region:
            raise InputError(f"account B's stack is in {b_region}, account A's in {region}",
                             field="--central-outputs", source=central.source,
                             fix="deploy both stacks in one region (the peering and the endpoint are regional)")
        role_arn = b_role
        external_id = external_id or central.get("ExternalId") or central.parameters.get("ExternalId")
        if participant.get("PeeringConnectionId") or central_dns:
            central_dns = central_dns or central.get("BedrockRuntimeEndpointDns")
    if role_arn:
        if not external_id or set(external_id) == {"*"}:
            raise InputError("no ExternalId for the cross-account role", field="--outputs", source=participant.source,
                             fix="give --central-outputs (account B's describe-stacks output)")
        if central_dns is None:
            notes.append("the VPCs are not peered: the cross-account path calls account B's Bedrock through the "
                         "public endpoint (NAT)" + (", and with private DNS on, through this VPC's endpoint, whose "
                         "policy does not list account B's role: those calls are denied" if private_dns else ""))
        paths["cross-account"] = AccessPath(
            "cross-account", "cross-account", region, _url(central_dns),
            CredentialMode("assume-role", role_arn=role_arn, external_id=external_id, sts_endpoint=sts_url),
        )
    config = WorkshopConfig(
        paths=paths,
        models={_model_label(m): m for m in models},
        region=region,
        default_path="nat",
        default_model=models[0],
        sandbox=False,
        source=f"stack {participant.stack_name or participant.source}",
    )
    _check_loads(config)
    return LabConfig(config, tuple(notes))


def _check_loads(config: WorkshopConfig) -> None:
    """The config survives a round trip through the parser with no problem (else a bug here
    or an output in a form the console rejects: say which)."""
    from workshop.config import dump_config

    loaded = parse_config(dump_config(config, encrypt=False), source=config.source)
    errors = [p for p in loaded.problems if p.severity == "error"]
    if errors:
        raise InputError(f"the outputs give a config the console rejects: {errors[0]}", field="--outputs",
                         fix="check the stack was deployed from infra/ unmodified")


# =========================================================================== AWS CLI steps


def _cli(*words: str) -> str:
    return " ".join(shlex.quote(w) if not w.startswith("$(") else w for w in words)


def _where(region: str | None, profile: str | None) -> list[str]:
    out: list[str] = []
    if region:
        out += ["--region", region]
    if profile:
        out += ["--profile", profile]
    return out


def logging_configuration(central: StackOutputs) -> dict[str, Any]:
    """Bedrock's ``loggingConfig`` for account B's log group, role and bucket (text only:
    the console's invocation log keeps the same fields)."""
    return {
        "cloudWatchConfig": {
            "logGroupName": central.require("LogGroupName", "account B's stack creates the log group"),
            "roleArn": central.require("LoggingRoleArn", "account B's stack creates the logging role"),
        },
        "s3Config": {
            "bucketName": central.require("LogBucketName", "account B's stack creates the bucket"),
            "keyPrefix": LOG_KEY_PREFIX,
        },
        "textDataDeliveryEnabled": True,
        "imageDataDeliveryEnabled": False,
        "embeddingDataDeliveryEnabled": False,
    }


def logging_commands(central: StackOutputs, *, profile: str | None = None) -> list[str]:
    """Turn on model invocation logging in account B (CloudFormation has no resource for it)."""
    document = json.dumps(logging_configuration(central), separators=(",", ":"))
    where = _where(central.get("Region"), profile)
    return [
        _cli("aws", "bedrock", "put-model-invocation-logging-configuration", *where, "--logging-config", document),
        _cli("aws", "bedrock", "get-model-invocation-logging-configuration", *where),
    ]


CENTRAL_PARAMETERS: tuple[str, ...] = (
    "LabName", "VpcCidr", "PrivateSubnet1Cidr", "PrivateSubnet2Cidr", "ParticipantAccountId",
    "ParticipantVpcCidr", "ExternalId", "PeeringConnectionId", "LogGroupName", "LogRetentionDays",
)


def peer_route_commands(participant: StackOutputs, *, central_stack: str = DEFAULT_CENTRAL_STACK,
                        profile: str | None = None) -> list[str]:
    """Update account B's stack with account A's peering connection (the route back)."""
    pcx = participant.require("PeeringConnectionId",
                              "account A's stack peers only when rendered with --central-outputs")
    region = participant.require("Region", "deploy infra/participant-account.yaml")
    params = [f"ParameterKey={p},UsePreviousValue=true" for p in CENTRAL_PARAMETERS if p != "PeeringConnectionId"]
    where = _where(region, profile)
    return [
        _cli("aws", "cloudformation", "update-stack", "--stack-name", central_stack, *where,
             "--use-previous-template", "--capabilities", "CAPABILITY_NAMED_IAM",
             "--parameters", f"ParameterKey=PeeringConnectionId,ParameterValue={pcx}", *params),
        _cli("aws", "cloudformation", "wait", "stack-update-complete", "--stack-name", central_stack, *where),
    ]


def _output_query(stack: str, key: str, where: list[str]) -> str:
    query = f"Stacks[0].Outputs[?OutputKey=='{key}'].OutputValue"
    return "$(" + _cli("aws", "cloudformation", "describe-stacks", "--stack-name", stack, *where,
                       "--query", query, "--output", "text") + ")"


def teardown_commands(
    *,
    region: str = DEFAULT_REGION,
    participant_stack: str = DEFAULT_PARTICIPANT_STACK,
    central_stack: str | None = DEFAULT_CENTRAL_STACK,
    participant_profile: str | None = None,
    central_profile: str | None = None,
    central: StackOutputs | None = None,
) -> list[str]:
    """Everything the lab created, removed: account A first (instances, NAT: the hourly
    costs), then logging off and account B, then the retained log group and bucket."""
    region = policies.validate_region(region)
    a_where = _where(region, participant_profile)
    lines = [
        "# account A: instances, NAT gateway(s), endpoints, peering request",
        _cli("aws", "cloudformation", "delete-stack", "--stack-name", participant_stack, *a_where),
        _cli("aws", "cloudformation", "wait", "stack-delete-complete", "--stack-name", participant_stack, *a_where),
    ]
    if not central_stack:
        return lines
    b_where = _where(region, central_profile)
    if central is not None:
        group = shlex.quote(central.require("LogGroupName", "account B's stack creates the log group"))
        bucket = shlex.quote(central.require("LogBucketName", "account B's stack creates the bucket"))
    else:
        group = _output_query(central_stack, "LogGroupName", b_where)
        bucket = _output_query(central_stack, "LogBucketName", b_where)
    lines += [
        "# account B: read the retained names first (the stack keeps the invocation logs on deletion)",
        f"LOG_GROUP={group}",
        f"LOG_BUCKET={bucket}",
        _cli("aws", "bedrock", "delete-model-invocation-logging-configuration", *b_where),
        _cli("aws", "cloudformation", "delete-stack", "--stack-name", central_stack, *b_where),
        _cli("aws", "cloudformation", "wait", "stack-delete-complete", "--stack-name", central_stack, *b_where),
        "# when the invocation logs are no longer needed:",
        "aws logs delete-log-group --log-group-name \"$LOG_GROUP\" " + " ".join(shlex.quote(w) for w in b_where),
        "aws s3 rb \"s3://$LOG_BUCKET\" --force " + " ".join(shlex.quote(w) for w in b_where),
    ]
    return [line.rstrip() for line in lines]


__all__ = [
    "DEFAULT_CENTRAL_STACK", "DEFAULT_PARTICIPANT_STACK", "INFRA_DIR", "TEMPLATE_FILES", "LabConfig",
    "StackOutputs", "TemplateOptions", "generated_documents", "lab_config", "load_stack", "logging_commands",
    "logging_configuration", "new_external_id", "participant_names", "peer_route_commands", "read_stack",
    "render_template", "subnet_cidrs", "teardown_commands", "template_parameters_from_central",
]
