"""A link's destinations as the editor shows them: one per line, its id, its weight and EPC estimate if
given, `->`, its URL; the mode (weighted or best_epc) is a select beside the text.

    shop-a -> https://a.example.com/p/1
    shop-b weight=2 epc=0.3 -> https://b.example.com/p/1

Blank lines and lines starting with `#` are skipped; no line at all means no destinations. The text only
becomes the API's shape here; the link model checks ids, weights and URLs, and its errors are shown per
destination.
"""

from __future__ import annotations

from pydantic import ValidationError

from contentflow.links.models import DestinationsView
from contentflow.links.routing import DESTINATION_MODES, MAX_DESTINATIONS

ARROW = "->"
# The options a line may give, as written → the API's field.
OPTIONS = {"weight": "weight", "epc": "epc_eur", "epc_eur": "epc_eur"}
MODES = DESTINATION_MODES


class Unreadable(ValueError):
    """A line that is not `id [weight=…] [epc=…] -> URL`."""


def parse(text: str, mode: str) -> dict | None:
    """The API's `destinations` ({mode, choices}) from the textarea and the mode; None when empty."""
    choices = []
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    for number, line in enumerate((line for line in lines if line and not line.startswith("#")), start=1):
        head, arrow, url = line.partition(ARROW)
        words = head.split()
        if not arrow or not url.strip() or not words or "=" in words[0]:
            raise Unreadable(f"destination {number}: write its id, then {ARROW} and the URL")
        choice: dict = {"id": words[0], "url": url.strip()}
        for part in words[1:]:
            name, equals, value = part.partition("=")
            if not equals or name.lower() not in OPTIONS or not value:
                raise Unreadable(f"destination {number}: {part!r} is not weight=number or epc=number")
            choice[OPTIONS[name.lower()]] = value
        choices.append(choice)
    return {"mode": mode or MODES[0], "choices": choices} if choices else None


def as_text(destinations: DestinationsView | None) -> str:
    if destinations is None:
        return ""
    lines = []
    for choice in destinations.choices:
        options = [f"weight={choice.weight:g}"] if choice.weight != 1 else []
        options += [f"epc={choice.epc_eur:g}"] if choice.epc_eur is not None else []
        lines.append(" ".join([choice.id, *options, ARROW, choice.url]))
    return "\n".join(lines)


def problems(error: ValidationError) -> dict[str, str]:
    """The destinations' own problems, {"destinations": "destination 2, url: …"} (the mode's under
    "destinations_mode"): the form has one field for all the lines."""
    said, mode = [], []
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        if location[:1] != ["destinations"]:
            continue
        message = item["msg"].removeprefix("Value error, ")
        if location[1:2] == ["mode"]:
            mode.append(f"choose {' or '.join(MODES)}")
        elif location[1:2] == ["choices"] and len(location) > 2 and location[2].isdigit():
            detail = ".".join(location[3:])
            said.append(f"destination {int(location[2]) + 1}{', ' + detail if detail else ''}: {message}")
        elif location[1:2] == ["choices"] and item["type"] in ("too_short", "too_long"):
            said.append(f"write 2 to {MAX_DESTINATIONS} destinations, one per line")
        else:
            said.append(message)
    found = {"destinations": "; ".join(said)} if said else {}
    return found | ({"destinations_mode": mode[0]} if mode else {})
