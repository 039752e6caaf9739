"""`contentflow postback rotate-key`: a new postback signing key, the previous one accepted a while.

Run by an operator, with their AWS credentials (PutSecretValue on the stage's secret): no function
may write the key.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_commands(commands: argparse._SubParsersAction) -> None:
    postback = commands.add_parser("postback", help="the affiliate postbacks' signing key")
    sub = postback.add_subparsers(dest="postback_command", required=True)
    rotate = sub.add_parser(
        "rotate-key",
        help="store a new signing key; the previous one is still accepted for POSTBACK_ROTATION_GRACE_S",
    )
    rotate.add_argument(
        "--from-stdin",
        action="store_true",
        help="read the new key from standard input (a key the network chose) instead of generating one",
    )
    rotate.add_argument(
        "--show-key",
        action="store_true",
        help="print the new key, to give to the networks (else read it from Secrets Manager)",
    )
    rotate.add_argument(
        "--force",
        action="store_true",
        help="rotate although the previous rotation's grace period is running: its old key stops at once",
    )
    rotate.set_defaults(func=_rotate)


def _rotate(args: argparse.Namespace) -> int:
    from contentflow.clicks.conversions import KEY, rotate_signing_key
    from contentflow.security.secrets import read_keyring

    new_key = sys.stdin.read().strip() if args.from_stdin else None
    if args.from_stdin and not new_key:
        raise ValueError("--from-stdin read nothing: pipe the new key in")
    rotation = rotate_signing_key(new_key, force=args.force)
    shown = rotation.model_dump(mode="json")
    if args.show_key:
        shown["key"] = read_keyring(KEY).current
    print(json.dumps(shown, indent=2))
    if not args.show_key:
        print(
            "give the new key to the affiliate networks before "
            f"{rotation.previous_accepted_until}: aws secretsmanager get-secret-value "
            f"--secret-id {rotation.secret} --query SecretString --output text",
            file=sys.stderr,
        )
    return 0
