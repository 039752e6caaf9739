"""The `contentflow` command: run the local system, provision resources, manage API keys, jobs and flags."""

import argparse
import sys


def _dev(args: argparse.Namespace) -> int:
    from contentflow.local.runtime import run_dev

    return run_dev(host=args.host, port=args.port)


def _provision(_: argparse.Namespace) -> int:
    from contentflow.resources import provision

    provision()
    print("all catalog resources exist")
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from contentflow.security.service import create_key

    raw, key = create_key(args.name, tuple(args.scope))
    print(f"created key {key.key_id} ({', '.join(key.scopes)}); shown once:\n{raw}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contentflow", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    dev = commands.add_parser("dev", help="start the local system on an embedded AWS (no account, no Docker)")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=8000)
    dev.set_defaults(func=_dev)

    provision = commands.add_parser("provision", help="create every catalog resource (AWS_ENDPOINT_URL)")
    provision.set_defaults(func=_provision)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="create a key and print it once")
    create.add_argument("--name", required=True)
    create.add_argument("--scope", action="append", required=True, help="repeat for several scopes")
    create.set_defaults(func=_keys_create)

    from contentflow.jobs.cli import add_commands

    add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, KeyboardInterrupt) as error:
        print(f"contentflow: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
