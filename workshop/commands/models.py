"""``python -m workshop models``: the model catalog one access path offers.

The config's ``[models]`` merged with the live ListFoundationModels / ListInferenceProfiles
of that path (the sandbox's when no ``--config``), with each model's family and, when the
model needs one, the inference profile to use instead.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from workshop.commands.common import add_config_arguments, say


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``models`` command."""
    p = subparsers.add_parser(
        "models",
        help="list the models an access path offers (config list + live catalog)",
        description="List the models of one access path: the config's [models] merged with the live "
        "catalog (ListFoundationModels, ListInferenceProfiles). Without --config: the sandbox.",
    )
    add_config_arguments(p)
    p.add_argument("--path", metavar="P", help="access path (default: the config's DefaultPath)")
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from workshop.catalog import ModelList, builtin_models, config_models, list_models
    from workshop.config import load_or_default
    from workshop.errors import ConfigError, CredentialError
    from workshop.workbench import Workbench

    config = load_or_default(args.config, args.key_file)
    path_name = args.path or config.default_path
    if path_name not in config.paths:
        config.path(path_name)  # unknown path: one line naming the known ones
    try:
        config.path(path_name)
        with Workbench.open(config, no_delay=True) as wb:
            models = list_models(wb, path_name)
    except (ConfigError, CredentialError) as err:
        # The seed's sample files hold placeholders (xxxxx) yet must list their models:
        # without a usable path (or credentials) there is no live catalog, but the
        # config's list still is one.
        models = config_models(config.models, config.region) if config.models else ModelList(
            builtin_models(config.region))
        models.notes.append(f"live catalog unavailable: path {path_name!r} is not usable ({err})")
    if args.json:
        out = {
            "path": path_name,
            "models": [dict(asdict(m), invoke_id=m.invoke_id) for m in models],
            "notes": list(models.notes),
            "warnings": config.warnings,
        }
        print(json.dumps(out, indent=2))
        return 0
    for warning in config.warnings:
        say(warning)
    for note in models.notes:
        say(note, "note")
    width = min(40, max((len(m.label) for m in models), default=5))
    print(f"{'label':<{width}}  {'family':<16} {'source':<7} model id")
    for m in models:
        extra = f"  (use profile {m.profile_id})" if m.needs_profile and m.profile_id else ""
        label = m.label if len(m.label) <= width else m.label[: width - 1] + "…"
        print(f"{label:<{width}}  {m.family:<16} {m.source:<7} {m.model_id}{extra}")
    return 0
