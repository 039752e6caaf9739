"""`contentflow bandit …`: evaluate a candidate policy offline on the logged choices; choose an arm."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from contentflow import console
from contentflow.console import Column, Note, Table, percent


def add_commands(commands: argparse._SubParsersAction) -> None:
    bandit = commands.add_parser("bandit", help="evaluate a policy offline, choose an arm")
    sub = bandit.add_subparsers(dest="bandit_command", required=True)
    evaluate = sub.add_parser(
        "evaluate",
        help="replay the logged choices: a candidate policy's CTR (IPS, SNIPS) against the logged one",
    )
    evaluate.add_argument(
        "--policy-config",
        type=Path,
        required=True,
        help="JSON: the candidate's config (PUT /api/bandit/config's body)",
    )
    evaluate.add_argument(
        "--days", type=int, default=90, help="the logged choices of the last N days (default 90)"
    )
    evaluate.add_argument("--seed", type=int, help="seed of the Monte-Carlo propensities (default: random)")
    console.json_option(evaluate).set_defaults(func=_evaluate)
    choose = sub.add_parser("choose", help="choose an arm now (logged like every choice)")
    choose.add_argument("--platform")
    choose.add_argument("--lang")
    choose.add_argument("--arm", action="append", dest="arms", help="an arm to choose among (repeatable)")
    console.json_option(choose).set_defaults(func=_choose)


def _candidate(path: Path):
    from pydantic import ValidationError

    from contentflow.bandit.models import BanditConfig

    try:
        return BanditConfig.model_validate(json.loads(path.read_text()))
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in error.errors()
        )
        raise ValueError(f"{path}: {problems}") from None


def _evaluate(args: argparse.Namespace) -> int:
    import numpy as np

    from contentflow.bandit import service

    if args.days < 1:
        raise ValueError("--days must be at least 1")
    candidate = _candidate(args.policy_config)
    with console.progress(f"replaying the logged choices of the last {args.days} days"):
        result = service.evaluate(candidate, args.days, np.random.default_rng(args.seed))
    estimates = [
        ("logged policy", result.logged),
        ("candidate, IPS", result.ips),
        ("candidate, SNIPS", result.snips),
    ]
    console.show(
        args,
        result,
        Table(
            estimates,
            [
                Column("policy", lambda row: row[0], wrap=False),
                Column("CTR", lambda row: row[1].value, format=percent),
                Column("95 % low", lambda row: row[1].low, format=percent),
                Column("95 % high", lambda row: row[1].high, format=percent),
                Column("n", lambda row: row[1].n),
            ],
        ),
        Note(f"{result.decisions} logged choices with an outcome ({result.left_out} without one yet)"),
    )
    return 0


def _choose(args: argparse.Namespace) -> int:
    from contentflow.bandit import service
    from contentflow.bandit.models import ChoiceContext

    context = ChoiceContext(platform=args.platform, lang=args.lang, arms=args.arms, source="cli")
    console.show(args, service.choose_arm(context))
    return 0
