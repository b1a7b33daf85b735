"""``python -m workshop policy KIND``: print the IAM JSON a setup needs.

stdout is exactly one JSON document (pipe it to ``aws iam create-policy
--policy-document file:///dev/stdin``); where to attach it goes to stderr as ``note:``
lines. With ``--config`` the values the config knows (region, models, the cross-account
role's ExternalId, the VPC endpoint id in VPCEndpointURL, the roles that use the
endpoint) fill in whatever the command line leaves out; the command line wins.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from workshop import policies
from workshop.commands.common import add_config_arguments, say
from workshop.errors import InputError

LOGGING_PARTS: dict[str, str] = {
    "trust": "role_trust_policy",
    "permissions": "role_permissions_policy",
    "bucket": "bucket_policy",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``policy`` with one sub-command per kind of document."""
    parser = subparsers.add_parser(
        "policy",
        help="print IAM policies: invoke, VPC endpoint, deny-outside-VPCe, cross-account trust, logging, "
        "private API, proxy Lambda",
        description="Generate the IAM JSON documents the workshop's setups need. Prints one JSON "
        "document on stdout; notes on where to attach it go to stderr.",
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True

    def common(p: argparse.ArgumentParser) -> None:
        add_config_arguments(p, config_help="take missing values from this config file", no_delay=False)
        p.add_argument("--compact", action="store_true", help="one line of JSON instead of indented")

    p = kinds.add_parser("invoke", help="identity policy: InvokeModel(+WithResponseStream) on exactly these models",
                         description="IAM identity policy allowing bedrock:InvokeModel and "
                         "bedrock:InvokeModelWithResponseStream on the given models only. Inference "
                         "profiles add the profile ARN and the foundation model in every region the "
                         "profile routes to (an approximation of AWS's current routing).")
    p.add_argument("--region", metavar="R", help="region the calls are made in (config: [workshop] Region)")
    p.add_argument("--model", metavar="M", action="append", default=[],
                   help="model id, inference-profile id or bedrock ARN; repeat for several (config: [models])")
    p.add_argument("--account", metavar="A",
                   help="account owning the inference profiles (default *; config with --path: the role's account)")
    p.add_argument("--path", metavar="P", help="with --config: use this path's region and role account")
    common(p)
    p.set_defaults(handler=_invoke)

    p = kinds.add_parser("vpce", help="VPC endpoint policy: only these principals may invoke through it",
                         description="Policy for the bedrock-runtime interface endpoint restricting it to "
                         "the given principals (and, optionally, models).")
    p.add_argument("--principal", metavar="ARN", action="append", default=[],
                   help="role/user ARN or account id allowed to use the endpoint; repeat for several "
                   "(config: every RoleARN of its paths)")
    p.add_argument("--model", metavar="M", action="append", default=[], help="restrict to these models too")
    p.add_argument("--region", metavar="R", help="region of the endpoint, for model ARNs (default: any)")
    p.add_argument("--account", metavar="A", help="account owning inference profiles named in --model")
    common(p)
    p.set_defaults(handler=_vpce)

    p = kinds.add_parser("deny-outside-vpce",
                         help="identity policy / SCP: deny bedrock:Invoke* unless through these endpoints",
                         description="Deny bedrock:Invoke* unless aws:SourceVpce is one of the given "
                         "endpoints (calls AWS services make on your behalf are exempt).")
    p.add_argument("--vpce-id", metavar="ID", action="append", default=[],
                   help="VPC endpoint id vpce-...; repeat for several (config: parsed from the vpce path's URL)")
    common(p)
    p.set_defaults(handler=_deny_outside_vpce)

    p = kinds.add_parser("trust", help="cross-account role trust policy (account B trusts account A)",
                         description="Trust policy for account B's role letting account A's principal "
                         "assume it, with the sts:ExternalId condition when an ExternalId is given.")
    p.add_argument("--trusted-account", metavar="ACCOUNT_ID",
                   help="account A's id, or one principal ARN in account A (narrower)")
    p.add_argument("--external-id", metavar="X",
                   help="ExternalId the caller must pass (config: the cross-account path's ExternalId)")
    common(p)
    p.set_defaults(handler=_trust)

    p = kinds.add_parser("apigw-private", help="private API resource policy: only through these execute-api endpoints",
                         description="Resource policy for a private REST API (seed 001): deny execute-api:Invoke "
                         "unless aws:SourceVpce is one of the given execute-api interface endpoints, allow it "
                         "otherwise. A private API without it answers through any account's execute-api endpoint.")
    p.add_argument("--vpce-id", metavar="ID", action="append", default=[],
                   help="execute-api VPC endpoint id vpce-...; repeat for several")
    p.add_argument("--api-id", metavar="ID", help="the API's id (10 characters); without it the resource is "
                   "execute-api:/* (the API the policy is attached to)")
    p.add_argument("--region", metavar="R", help="the API's region (with --api-id; default *)")
    p.add_argument("--account", metavar="A", help="the API's account (with --api-id; default *)")
    common(p)
    p.set_defaults(handler=_apigw_private)

    p = kinds.add_parser("gateway-lambda", help="the proxy Lambda's least-privilege role policy",
                         description="Permissions of the Lambda behind the api-gateway path "
                         "(infra/gateway/handler.py): InvokeModel on exactly these models, its invocation "
                         "log to CloudWatch Logs and S3, its own function log. Attach AWS's managed "
                         "AWSLambdaVPCAccessExecutionRole beside it for the VPC attachment.")
    p.add_argument("--account", metavar="A", help="the Lambda's account")
    p.add_argument("--region", metavar="R", help="the Lambda's region (config: [workshop] Region)")
    p.add_argument("--model", metavar="M", action="append", default=[],
                   help="model the proxy may call; repeat for several (config: [models])")
    p.add_argument("--log-group", metavar="G", help="CloudWatch Logs group of the invocation log (LOG_GROUP)")
    p.add_argument("--bucket", metavar="B", help="S3 bucket of the invocation log (LOG_BUCKET)")
    p.add_argument("--prefix", metavar="P", default=None, help="key prefix inside the bucket (LOG_PREFIX)")
    common(p)
    p.set_defaults(handler=_gateway_lambda)

    p = kinds.add_parser("logging", help="model-invocation logging: role trust, role permissions, bucket policy",
                         description="The service role Bedrock uses to write CloudWatch Logs (trust + "
                         "permissions) and the S3 bucket policy for log delivery (seed 001).")
    p.add_argument("--account", metavar="A", help="account whose Bedrock writes the logs")
    p.add_argument("--region", metavar="R", help="region of the logging configuration (config: Region)")
    p.add_argument("--log-group", metavar="G", help="CloudWatch Logs group name")
    p.add_argument("--bucket", metavar="B", help="S3 bucket name")
    p.add_argument("--prefix", metavar="P", default=None, help="key prefix inside the bucket")
    p.add_argument("--only", choices=sorted(LOGGING_PARTS),
                   help="print just one of the three documents (ready for the AWS CLI)")
    common(p)
    p.set_defaults(handler=_logging)


# --------------------------------------------------------------------------- helpers


def _config(args: argparse.Namespace) -> Any:
    if not getattr(args, "config", None):
        return None
    from workshop.config import load_config

    return load_config(args.config, key_file=args.key_file)


def _print(document: Any, args: argparse.Namespace) -> int:
    text = json.dumps(document, separators=(",", ":")) if args.compact else json.dumps(document, indent=2)
    print(text)
    return 0


def _note(text: str) -> None:
    say(text, "note")


def _require(value: Any, option: str, why: str) -> Any:
    if value in (None, "", []):
        raise InputError(f"{option} is required", field=option.lstrip("-"), fix=why)
    return value


def _account_of(arn: str | None) -> str | None:
    parts = (arn or "").split(":")
    return parts[4] if len(parts) > 5 and parts[4] else None


# --------------------------------------------------------------------------- handlers


def _invoke(args: argparse.Namespace) -> int:
    config = _config(args)
    region, models, account = args.region, list(args.model), args.account
    if config is not None:
        path = config.path(args.path) if args.path else None
        region = region or (path.region if path else config.region)
        models = models or list(config.models.values())
        if account is None and path is not None:
            account = _account_of(path.credentials.role_arn)
    elif args.path:
        raise InputError("--path needs --config", field="path", fix="add --config C, or drop --path")
    _require(region, "--region", "pass --region R (or --config C)")
    _require(models, "--model", "pass --model M at least once (or --config C with a [models] section)")
    # Build first: a bad value must be the only line on stderr, not follow notes.
    document = policies.invoke_policy(region, models, account)
    resources = [policies.model_resources(region, m, account) for m in models]
    for note in (r.note for r in resources if r.note):
        _note(note)
    if account is None and any(r.profile_arns for r in resources):
        _note("inference-profile ARNs use account * : pass --account to pin them to one account")
    return _print(document, args)


def _vpce(args: argparse.Namespace) -> int:
    config = _config(args)
    principals = list(args.principal)
    region = args.region
    if config is not None:
        if not principals:
            principals = [p.credentials.role_arn for p in config.paths.values() if p.credentials.role_arn]
        region = region or config.region
    _require(principals, "--principal", "pass --principal ROLE_ARN (repeat for each role using the endpoint)")
    document = policies.vpce_policy(principals, args.model or None, region=region, account_id=args.account)
    _note("attach as the policy of the bedrock-runtime interface endpoint (aws ec2 modify-vpc-endpoint "
          "--policy-document); callers still need an identity policy that allows the same")
    return _print(document, args)


def _deny_outside_vpce(args: argparse.Namespace) -> int:
    config = _config(args)
    ids = list(args.vpce_id)
    if not ids and config is not None:
        urls = [p.endpoint_url for p in config.paths.values() if p.kind == "vpce" and p.endpoint_url]
        if not urls:
            raise InputError("the config has no vpce path with an endpoint URL", field="vpce-id",
                             fix="pass --vpce-id vpce-... or set EndpointURL (VPCEndpointURL) in the config")
        ids = [policies.vpce_id_from_url(url) for url in urls]
    _require(ids, "--vpce-id", "pass --vpce-id vpce-... (or --config C with a VPC endpoint URL)")
    document = policies.deny_outside_vpce(ids)
    _note("attach to the participants' roles, or as an SCP to the accounts: a call over the public "
          "endpoint (nat path) is then denied")
    return _print(document, args)


def _trust(args: argparse.Namespace) -> int:
    config = _config(args)
    external_id = args.external_id
    role_arn = None
    if config is not None:
        cross = [p for p in config.paths.values() if p.kind == "cross-account" and p.credentials.role_arn]
        if cross:
            role_arn = cross[0].credentials.role_arn
            external_id = external_id or cross[0].credentials.external_id
    trusted = _require(args.trusted_account, "--trusted-account",
                       "pass account A's 12-digit id (the account the participant's credentials live in; "
                       "`python -m workshop diagnose --path nat` shows it)")
    document = policies.trust_policy(trusted, external_id)
    _note(f"attach as the trust policy of {role_arn or 'account B’s role'} (aws iam update-assume-role-policy)")
    if not external_id:
        _note("no ExternalId: any principal account A allows may assume the role; pass --external-id to "
              "require one")
    return _print(document, args)


def _logging(args: argparse.Namespace) -> int:
    config = _config(args)
    region = args.region or (config.region if config is not None else None)
    account = _require(args.account, "--account", "pass --account A (the account whose Bedrock logs)")
    _require(region, "--region", "pass --region R (or --config C)")
    log_group = _require(args.log_group, "--log-group", "pass --log-group G (the CloudWatch Logs group)")
    bucket = _require(args.bucket, "--bucket", "pass --bucket B (the S3 bucket for log delivery)")
    documents = policies.logging_policies(account, region, log_group, bucket, args.prefix)
    if args.only:
        return _print(documents[LOGGING_PARTS[args.only]], args)
    _note("role_trust_policy + role_permissions_policy: the service role named in Bedrock's logging "
          "settings (CloudWatch Logs); bucket_policy: the S3 destination bucket")
    return _print(documents, args)


def _apigw_private(args: argparse.Namespace) -> int:
    config = _config(args)
    ids = list(args.vpce_id)
    api_id = args.api_id
    if config is not None and api_id is None:
        found = [p.gateway.api_id for p in config.paths.values() if p.kind == "api-gateway" and p.gateway.api_id]
        api_id = found[0] if found else None
    _require(ids, "--vpce-id", "pass --vpce-id vpce-... (the execute-api interface endpoint in your VPC)")
    if (args.region or args.account) and not api_id:
        raise InputError("--region and --account need --api-id", field="api-id",
                         fix="pass --api-id (the 10-character id in the stage URL), or drop --region/--account")
    document = policies.apigw_private_policy(ids, api_id, region=args.region, account=args.account)
    _note("attach as the API's resource policy (aws apigateway update-rest-api ... policy), then deploy the "
          "stage again: a resource policy takes effect only on the next deployment")
    return _print(document, args)


def _gateway_lambda(args: argparse.Namespace) -> int:
    config = _config(args)
    region = args.region or (config.region if config is not None else None)
    models = list(args.model) or (list(config.models.values()) if config is not None else [])
    account = _require(args.account, "--account", "pass --account A (the Lambda's account)")
    _require(region, "--region", "pass --region R (or --config C)")
    _require(models, "--model", "pass --model M at least once (the models the proxy may call)")
    document = policies.gateway_lambda_policy(region, models, account_id=account, log_group=args.log_group,
                                              bucket=args.bucket, prefix=args.prefix)
    _note("the Lambda's execution role: this policy plus the managed AWSLambdaVPCAccessExecutionRole (network "
          "interfaces in the private subnets); set ALLOWED_MODELS to the same models")
    return _print(document, args)
