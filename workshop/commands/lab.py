"""``python -m workshop lab``: the real lab on AWS, from templates to the console's config.

``template`` renders ``infra/`` for a region, models and participants (account B's
outputs fill account A's parameters); ``config`` turns ``describe-stacks`` output into
the console's config; ``logging``, ``peer-route`` and ``teardown`` print the exact AWS CLI
commands for the steps CloudFormation does not do. Nothing here calls AWS.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workshop import lab
from workshop.commands.common import add_key_file_argument, say
from workshop.config import DEFAULT_MODEL
from workshop.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``lab`` with its sub-commands."""
    parser = subparsers.add_parser(
        "lab",
        help="the real lab: render the CloudFormation templates, build the config from stack outputs",
        description="Templates in infra/ for account A (participants) and account B (central), the console's "
        "config from `aws cloudformation describe-stacks` output, and the AWS CLI steps CloudFormation cannot "
        "do. Guide: docs/lab.md. Nothing here calls AWS.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True

    p = actions.add_parser("template", help="print or write a template with its policies and parameters filled",
                           description="Render infra/participant-account.yaml or infra/central-account.yaml: IAM "
                           "documents from workshop/policies.py for the region and models, one instance per "
                           "participant, parameter defaults filled.")
    p.add_argument("name", metavar="NAME", help="participant (account A) or central (account B)")
    p.add_argument("--region", default=lab.DEFAULT_REGION, help="region the stack is deployed in (default us-east-1)")
    p.add_argument("--model", action="append", default=[], metavar="M",
                   help=f"model id or inference-profile id the roles may invoke; repeat (default {DEFAULT_MODEL})")
    p.add_argument("--lab-name", metavar="NAME", help="prefix for names and tags (default bedrock-lab)")
    p.add_argument("--vpc-cidr", metavar="CIDR", help="the VPC's network; its subnets are derived from it")
    p.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    a = p.add_argument_group("participant (account A)")
    a.add_argument("--participants", type=int, metavar="N", help="number of participant instances (default 1)")
    a.add_argument("--names", metavar="A,B,...", help="participant names instead of participant-1..N")
    a.add_argument("--central-outputs", metavar="B.json",
                   help="account B's describe-stacks output: fills the cross-account role, ExternalId and peering")
    a.add_argument("--console-repository", metavar="URL", help="https git URL the instances install the console from")
    a.add_argument("--console-ref", metavar="REF", help="branch or tag to install (default main)")
    a.add_argument("--private-dns", action="store_true",
                   help="turn private DNS on for the endpoints (the nat path then becomes PrivateLink too)")
    a.add_argument("--nat", choices=("one", "per-az"), help="NAT gateways: one (default, cheaper) or per-az")
    a.add_argument("--sts-endpoint", action="store_true", help="add an STS interface endpoint")
    a.add_argument("--bedrock-endpoint", action="store_true", help="add a bedrock (control plane) interface endpoint")
    b = p.add_argument_group("central (account B)")
    b.add_argument("--participant-account", metavar="ID", help="account A's 12-digit id (required for central)")
    b.add_argument("--participant-vpc-cidr", metavar="CIDR", help="account A's VPC CIDR (default 10.20.0.0/16)")
    b.add_argument("--external-id", metavar="X", help="ExternalId the role requires (default: a new random one)")
    p.set_defaults(handler=_template)

    p = actions.add_parser("config", help="the console's config from describe-stacks output",
                           description="Build the nat, vpce and cross-account paths from the stacks' outputs and "
                           "write the config (sensitive values encrypted, as encrypt-config does).")
    p.add_argument("--outputs", required=True, metavar="A.json",
                   help="`aws cloudformation describe-stacks --stack-name <account A's stack>` output")
    p.add_argument("--central-outputs", metavar="B.json", help="account B's describe-stacks output (optional)")
    p.add_argument("--stack", metavar="NAME", help="the stack in --outputs when it holds several")
    p.add_argument("--out", metavar="FILE", help="write the config here (mode 600) instead of stdout")
    p.add_argument("--no-encrypt", action="store_true", help="write values in clear (nothing in it is a key)")
    add_key_file_argument(p)
    p.set_defaults(handler=_config)

    p = actions.add_parser("logging", help="print the AWS CLI call that turns on model invocation logging in B",
                           description="CloudFormation has no resource type for Bedrock's model invocation "
                           "logging setting: print the put-model-invocation-logging-configuration call for the log "
                           "group, role and bucket account B's stack created.")
    p.add_argument("--central-outputs", required=True, metavar="B.json", help="account B's describe-stacks output")
    p.add_argument("--profile", metavar="P", help="AWS CLI profile of account B")
    p.set_defaults(handler=_logging)

    p = actions.add_parser("peer-route", help="print the update of B's stack that routes replies back to A",
                           description="Once account A's stack created the peering connection, account B's "
                           "stack needs its id for the route back: print the update-stack call.")
    p.add_argument("--outputs", required=True, metavar="A.json", help="account A's describe-stacks output")
    p.add_argument("--central-stack", default=lab.DEFAULT_CENTRAL_STACK, metavar="NAME",
                   help=f"account B's stack name (default {lab.DEFAULT_CENTRAL_STACK})")
    p.add_argument("--profile", metavar="P", help="AWS CLI profile of account B")
    p.set_defaults(handler=_peer_route)

    p = actions.add_parser("teardown", help="print the commands that remove the lab",
                           description="Print the exact commands, in order: account A's stack (the hourly costs), "
                           "logging off and account B's stack, then the retained invocation logs.")
    p.add_argument("--region", default=lab.DEFAULT_REGION, help="region of the stacks (default us-east-1)")
    p.add_argument("--participant-stack", default=lab.DEFAULT_PARTICIPANT_STACK, metavar="NAME")
    p.add_argument("--central-stack", default=lab.DEFAULT_CENTRAL_STACK, metavar="NAME")
    p.add_argument("--no-central", action="store_true", help="only account A was deployed")
    p.add_argument("--participant-profile", metavar="P", help="AWS CLI profile of account A")
    p.add_argument("--central-profile", metavar="P", help="AWS CLI profile of account B")
    p.add_argument("--central-outputs", metavar="B.json", help="name the retained log group and bucket literally")
    p.set_defaults(handler=_teardown)


def _note(text: str) -> None:
    say(text, "note")


def _write_or_print(text: str, out: str | None, what: str) -> None:
    if not out:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    from workshop import secrets

    secrets.atomic_write(Path(out), text if text.endswith("\n") else text + "\n")
    print(f"wrote {what} to {out}")


def _template(args: argparse.Namespace) -> int:
    key = lab._template_key(args.name)
    params: dict[str, str] = {}
    if args.lab_name:
        params["LabName"] = args.lab_name
    participants: tuple[str, ...] = ("participant-1",)
    if key == "participant":
        names = [n for n in (args.names or "").split(",") if n.strip()] or None
        participants = lab.participant_names(args.participants, names)
        if args.vpc_cidr:
            subnets = lab.subnet_cidrs(args.vpc_cidr, 4)
            params.update(VpcCidr=args.vpc_cidr, PublicSubnet1Cidr=subnets[0], PublicSubnet2Cidr=subnets[1],
                          PrivateSubnet1Cidr=subnets[2], PrivateSubnet2Cidr=subnets[3])
        for flag, parameter in ((args.private_dns, "PrivateDnsEnabled"), (args.sts_endpoint, "CreateStsEndpoint"),
                                (args.bedrock_endpoint, "CreateBedrockEndpoint")):
            if flag:
                params[parameter] = "true"
        if args.nat:
            params["NatGateways"] = args.nat
        if args.console_repository:
            if not args.console_repository.startswith("https://"):
                raise InputError(f"{args.console_repository!r} is not an https URL", field="console-repository",
                                 fix="give the https clone URL of the repository")
            params["ConsoleRepository"] = args.console_repository
        if args.console_ref:
            params["ConsoleRef"] = args.console_ref
        if args.central_outputs:
            central = lab.load_stack(args.central_outputs)
            params.update(lab.template_parameters_from_central(central))
            if args.external_id:
                params["CentralExternalId"] = args.external_id
        for option in ("participant_account", "participant_vpc_cidr"):
            if getattr(args, option):
                raise InputError(f"--{option.replace('_', '-')} is for the central template", field=option,
                                 fix="drop it, or render central")
    else:
        if args.participants or args.names or args.central_outputs or args.console_repository:
            raise InputError("participant options given for the central template", field="name",
                             fix="render participant for --participants/--names/--central-outputs/--console-*")
        if not args.participant_account:
            raise InputError("--participant-account is required", field="participant-account",
                             fix="pass account A's 12-digit id (`aws sts get-caller-identity` in account A)")
        from workshop import policies

        params["ParticipantAccountId"] = policies.validate_account_id(args.participant_account,
                                                                      field="participant-account")
        if args.participant_vpc_cidr:
            lab.subnet_cidrs(args.participant_vpc_cidr, 1, field_name="participant-vpc-cidr")
            params["ParticipantVpcCidr"] = args.participant_vpc_cidr
        if args.vpc_cidr:
            subnets = lab.subnet_cidrs(args.vpc_cidr, 2)
            params.update(VpcCidr=args.vpc_cidr, PrivateSubnet1Cidr=subnets[0], PrivateSubnet2Cidr=subnets[1])
        external_id = args.external_id or lab.new_external_id()
        params["ExternalId"] = policies.validate_external_id(external_id)
    options = lab.TemplateOptions(region=args.region, models=tuple(args.model) or (DEFAULT_MODEL,),
                                  participants=participants, parameters=params)
    text = lab.render_template(key, options)
    _write_or_print(text, args.out, f"the {key} template")
    if key == "central" and not args.external_id:
        _note("a new ExternalId is in the template's ExternalId default; account B's stack outputs carry it to "
              "account A (lab template participant --central-outputs)")
    if key == "participant" and "ConsoleRepository" not in params:
        _note("ConsoleRepository has no default: pass --console-repository URL, or "
              "--parameter-overrides ConsoleRepository=URL when deploying")
    return 0


def _config(args: argparse.Namespace) -> int:
    from workshop.config import dump_config

    participant = lab.load_stack(args.outputs, stack=args.stack)
    central = lab.load_stack(args.central_outputs) if args.central_outputs else None
    built = lab.lab_config(participant, central)
    for note in built.notes:
        _note(note)
    encrypt = not args.no_encrypt
    if args.out:
        from workshop.config import save_config

        save_config(built.config, args.out, encrypt=encrypt, key_file=args.key_file)
        print(f"wrote the config ({', '.join(built.config.paths)}) to {args.out}"
              + (" — sensitive values encrypted" if encrypt else ""))
    else:
        sys.stdout.write(dump_config(built.config, encrypt=encrypt, key_file=args.key_file))
    if encrypt:
        from workshop import secrets

        keyring = secrets.load_keyring(args.key_file)
        _note(f"the key is in {keyring.source} (never in the config): the console needs it to load the file")
    return 0


def _logging(args: argparse.Namespace) -> int:
    central = lab.load_stack(args.central_outputs)
    print("\n".join(lab.logging_commands(central, profile=args.profile)))
    return 0


def _peer_route(args: argparse.Namespace) -> int:
    participant = lab.load_stack(args.outputs)
    print("\n".join(lab.peer_route_commands(participant, central_stack=args.central_stack, profile=args.profile)))
    return 0


def _teardown(args: argparse.Namespace) -> int:
    central = lab.load_stack(args.central_outputs) if args.central_outputs else None
    lines = lab.teardown_commands(
        region=args.region,
        participant_stack=args.participant_stack,
        central_stack=None if args.no_central else args.central_stack,
        participant_profile=args.participant_profile,
        central_profile=args.central_profile,
        central=central,
    )
    print("\n".join(lines))
    return 0
