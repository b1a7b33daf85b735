"""``python -m workshop models``: the model catalog one access path offers.

The config's ``[models]`` merged with the live ListFoundationModels / ListInferenceProfiles
of that path (the sandbox's when no ``--config``), with each model's family and, when the
model needs one, the inference profile to use instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from workshop.commands.invoke import add_config_arguments


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
    from workshop.catalog import list_models
    from workshop.config import load_or_default
    from workshop.workbench import Workbench

    config = load_or_default(args.config, args.key_file)
    path_name = args.path or config.default_path
    config.path(path_name)  # unknown or misconfigured: one line
    with Workbench.open(config, no_delay=True) as wb:
        models = list_models(wb, path_name)
    if args.json:
        out = {
            "path": path_name,
            "models": [dict(asdict(m), invoke_id=m.invoke_id) for m in models],
            "notes": list(models.notes),
            "warnings": config.warnings,
        }
        print(json.dumps(out, indent=2))
        return 0
    for problem in config.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for note in models.notes:
        print(f"note: {note}", file=sys.stderr)
    width = max((len(m.label) for m in models), default=5)
    print(f"{'label':<{width}}  {'family':<16} {'source':<7} model id")
    for m in models:
        extra = f"  (use profile {m.profile_id})" if m.needs_profile and m.profile_id else ""
        print(f"{m.label:<{width}}  {m.family:<16} {m.source:<7} {m.model_id}{extra}")
    return 0
