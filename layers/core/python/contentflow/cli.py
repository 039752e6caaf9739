"""The `contentflow` command: run the local system, provision resources, manage API keys, jobs and flags,
read links and reports. Tables on a terminal, JSON with --json or when piped (contentflow.console)."""

import argparse
import sys
from pathlib import Path


def _dev(args: argparse.Namespace) -> int:
    from contentflow.local.runtime import STATE_DIR, run_dev

    return run_dev(host=args.host, port=args.port, state_dir=args.state_dir or STATE_DIR, reset=args.reset)


def _provision(_: argparse.Namespace) -> int:
    from contentflow.resources import provision

    provision()
    print("all catalog resources exist")
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from contentflow.security.models import now
    from contentflow.security.service import create_key

    if args.expires_in_days is not None and args.expires_in_days < 1:
        raise ValueError("--expires-in-days must be at least 1")
    expires_at = now() + timedelta(days=args.expires_in_days) if args.expires_in_days else None
    raw, key = create_key(args.name, tuple(args.scope), expires_at=expires_at)
    until = f", expires {key.expires_at}" if key.expires_at else ""
    print(f"created key {key.key_id} ({', '.join(key.scopes)}{until}); shown once:\n{raw}")
    return 0


def _key_table(keys: list):
    from contentflow.console import STATUS, Column, Table, moment

    return Table(
        keys,
        [
            Column("key", "key_id", wrap=False),
            Column("name", "name"),
            Column("scopes", "scopes"),
            Column("status", "status", style=STATUS),
            Column("created (UTC)", "created_at", format=moment, wrap=False),
            Column("by", "created_by"),
            Column("expires (UTC)", "expires_at", format=moment, wrap=False),
            Column("last used (UTC)", "last_used_at", format=moment, wrap=False),
        ],
        empty="no key",
    )


def _keys_list(args: argparse.Namespace) -> int:
    from contentflow import console
    from contentflow.security.service import list_keys

    page = list_keys(args.limit, args.cursor)
    more = console.Note(f"more: --cursor {page.next_cursor}") if page.next_cursor else None
    console.show(args, page, _key_table(page.items), more)
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    from contentflow import console
    from contentflow.security import service
    from contentflow.security.models import KeyView

    try:
        key = service.revoke_key(args.key_id)
    except service.KeyNotFound:
        raise ValueError(f"no key with id {args.key_id!r}") from None
    except service.KeyAlreadyRevoked as error:
        raise ValueError(str(error)) from None
    view = KeyView.of(key)
    console.show(args, view, _key_table([view]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from contentflow.console import json_option

    parser = argparse.ArgumentParser(prog="contentflow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="start the local system on an embedded AWS (no account, no Docker)")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.add_argument(
        "--state-dir",
        type=Path,
        help="where links, keys, stats, queues, secrets and flags are kept across restarts, one file "
        "per stage (default: .contentflow/local-state, under the current directory)",
    )
    dev.add_argument("--reset", action="store_true", help="delete the saved state and start clean")
    dev.set_defaults(func=_dev)

    provision = commands.add_parser("provision", help="create every catalog resource (AWS_ENDPOINT_URL)")
    provision.set_defaults(func=_provision)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append", required=True, help="repeat for several scopes")
    create.add_argument("--expires-in-days", type=int, help="refused after this many days (default: never)")
    create.set_defaults(func=_keys_create)
    listing = keys.add_parser("list", help="every key: scopes, status, last use (never a secret)")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--cursor")
    json_option(listing).set_defaults(func=_keys_list)
    revoke = keys.add_parser("revoke", help="revoke a key for good (it stays listed)")
    revoke.add_argument("key_id", help="the 12 hex digits after cf_")
    json_option(revoke).set_defaults(func=_keys_revoke)

    from contentflow.analytics import cli as reports_cli
    from contentflow.autopilot import cli as ai_cli
    from contentflow.bandit import cli as bandit_cli
    from contentflow.clicks import cli as postback_cli
    from contentflow.jobs import cli as jobs_cli
    from contentflow.links import cli as links_cli
    from contentflow.maintenance import cli as maintenance_cli

    jobs_cli.add_commands(commands)
    maintenance_cli.add_commands(commands)
    bandit_cli.add_commands(commands)
    postback_cli.add_commands(commands)
    links_cli.add_commands(commands)
    reports_cli.add_commands(commands)
    ai_cli.add_commands(commands)
    return parser


def _operator() -> str:
    """Who runs this command, as the audit log names them."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name in a bare container
        return "cli:unknown"


def _embedded_aws_defaults() -> None:
    """Against an endpoint standing in for AWS (`contentflow dev` prints it), a region and dummy
    credentials are all boto3 needs: `export AWS_ENDPOINT_URL=… STAGE=dev` is enough."""
    import os

    from contentflow.defaults import setting

    if os.environ.get("AWS_ENDPOINT_URL"):
        os.environ.setdefault(
            "AWS_DEFAULT_REGION", os.environ.get("AWS_REGION") or str(setting("AWS_REGION"))
        )
        if not os.environ.get("AWS_ACCESS_KEY_ID") and not os.environ.get("AWS_PROFILE"):
            os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local")  # noqa: S106


def main(argv: list[str] | None = None) -> int:
    from contentflow.ids import ulid
    from contentflow.security.audit import acting

    args = build_parser().parse_args(argv)
    _embedded_aws_defaults()
    try:
        with acting(_operator(), correlation_id=f"cli-{ulid()}"):
            return args.func(args)
    except (ValueError, KeyboardInterrupt) as error:
        print(f"contentflow: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
