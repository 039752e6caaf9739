"""A link's routing rules as the editor shows them: one rule per line, its conditions, `->`, its URL.

    country=FR,BE device=mobile -> https://shop.example.fr/p/42
    os=ios -> https://apps.apple.com/app/id123

Blank lines and lines starting with `#` are skipped. The text only becomes the API's shape here; the
link model checks values and URLs, and its errors are shown per rule.
"""

from __future__ import annotations

from pydantic import ValidationError

from contentflow.links.models import RuleView

ARROW = "->"


class Unreadable(ValueError):
    """A line that is not `conditions -> URL`."""


def parse(text: str) -> list[dict]:
    rules = []
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    for number, line in enumerate((line for line in lines if line and not line.startswith("#")), start=1):
        conditions, arrow, url = line.partition(ARROW)
        if not arrow or not url.strip():
            raise Unreadable(f"rule {number}: write its conditions, then {ARROW} and the URL")
        when: dict[str, list[str]] = {}
        for part in conditions.split():
            name, equals, values = part.partition("=")
            if not equals or not name or not values:
                raise Unreadable(f"rule {number}: {part!r} is not name=value,value")
            when.setdefault(name.lower(), []).extend(v for v in values.split(",") if v)
        rules.append({"when": when, "url": url.strip()})
    return rules


def as_text(rules: list[RuleView]) -> str:
    return "\n".join(
        " ".join(
            f"{name}={','.join(values)}" for name, values in rule.when.model_dump(exclude_none=True).items()
        )
        + f" {ARROW} {rule.url}"
        for rule in rules
    )


def problems(error: ValidationError) -> dict[str, str]:
    """The rules' own problems, {"rules": "rule 2, url: …"}: the form has one field for them all."""
    said = []
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        if location[:1] == ["rules"]:
            where = f"rule {int(location[1]) + 1}" if len(location) > 1 and location[1].isdigit() else "rules"
            detail = ".".join(location[2:])
            said.append(
                f"{where}{', ' + detail if detail else ''}: {item['msg'].removeprefix('Value error, ')}"
            )
    return {"rules": "; ".join(said)} if said else {}
