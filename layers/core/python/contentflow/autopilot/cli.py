"""`contentflow ai …`: run an autopilot tick (dry to see what it would do), read its journal."""

from __future__ import annotations

import argparse

from contentflow import console
from contentflow.console import Column, Note, Table


def add_commands(commands: argparse._SubParsersAction) -> None:
    ai = commands.add_parser("ai", help="the autopilot: run a tick, read its journal")
    sub = ai.add_subparsers(dest="ai_command", required=True)
    tick = sub.add_parser(
        "tick", help="one tick now: proposals scored and explained, the confident best carried out"
    )
    tick.add_argument("--dry", action="store_true", help="propose and journal only, carry out nothing")
    tick.add_argument("--tick-id", help="run once per id (default: a new one)")
    console.json_option(tick).set_defaults(func=_tick)
    actions = sub.add_parser("actions", help="the journal, newest first")
    actions.add_argument("--kind")
    actions.add_argument("--tick", help="one tick's proposals")
    actions.add_argument("--limit", type=int, default=50)
    console.json_option(actions).set_defaults(func=_actions)


def _columns() -> list[Column]:
    return [
        Column("kind", "kind", wrap=False),
        Column("target", "target", wrap=False),
        Column("score", "score"),
        Column("confidence", "confidence"),
        Column("executed", "executed"),
        Column("outcome", "outcome"),
        Column("why", "explanation"),
    ]


def _tick(args: argparse.Namespace) -> int:
    from contentflow.autopilot import service

    with console.progress("reading the signals and proposing"):
        result = service.tick(args.tick_id, dry=args.dry)
    if result.disabled:
        console.show(args, result, Note(result.disabled, style="yellow"))
        return 0
    mode = "dry run: nothing carried out" if result.dry_run else f"{result.executed} carried out"
    console.show(
        args,
        result,
        Table(result.proposals, _columns(), title=f"tick {result.tick_id}: {mode}", empty="no proposal"),
        *(Note(f"{noop.kind}: {noop.why}") for noop in result.noops),
        Note(f"objective {result.objective}: {result.objective_score}"),
    )
    return 0


def _actions(args: argparse.Namespace) -> int:
    from contentflow.autopilot import service

    page = service.list_actions(
        tick_id=args.tick, kind=args.kind, executed=None, limit=args.limit, cursor=None
    )
    console.show(
        args, page, Table(page.items, [Column("tick", "tick_id", wrap=False), *_columns()], empty="no action")
    )
    return 0
