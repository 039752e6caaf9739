"""`contentflow links …`: the links, read through the service GET /api/links calls."""

from __future__ import annotations

import argparse
import re

from contentflow import console
from contentflow.console import STATUS, Column, Note, Table, moment

CURSOR = re.compile(r"^[0-9A-Za-z_-]{3,32}$")  # as GET /api/links accepts it
LINK_COLUMNS = [
    Column("code", "code", wrap=False),
    Column("status", "status", style=STATUS),
    Column("affiliate URL", "affiliate_url", wrap=False),
    Column("platform", "platform_hint"),
    Column("tags", "tags"),
    Column("expires (UTC)", "expires_at", format=moment, wrap=False),
    Column("created (UTC)", "created_at", format=moment, wrap=False),
]


def add_commands(commands: argparse._SubParsersAction) -> None:
    links = commands.add_parser("links", help="read the short links")
    sub = links.add_subparsers(dest="links_command", required=True)
    listing = sub.add_parser("list", help="a page of links, as GET /api/links returns it")
    listing.add_argument("--limit", type=int, default=50, help="links in the page, 1 to 100 (default 50)")
    listing.add_argument("--cursor", help="next_cursor of the previous page")
    listing.add_argument(
        "--base-url",
        help="base of each short_url (default: PUBLIC_BASE_URL; empty: a path, /l/<code>)",
    )
    console.json_option(listing).set_defaults(func=_list)


def _list(args: argparse.Namespace) -> int:
    from contentflow.config import get_settings
    from contentflow.links import service

    if not 1 <= args.limit <= 100:
        raise ValueError("--limit must be between 1 and 100")
    if args.cursor is not None and not CURSOR.match(args.cursor):
        raise ValueError("--cursor must be the next_cursor of a previous page")
    base_url = get_settings().public_base_url if args.base_url is None else args.base_url
    page = service.list_links(args.limit, args.cursor, base_url)
    more = Note(f"more: --cursor {page.next_cursor}") if page.next_cursor else None
    console.show(args, page, Table(page.items, LINK_COLUMNS, empty="no link"), more)
    return 0
