"""Limits on request bodies that hold before any parser sees them."""

import re

MAX_JSON_DEPTH = 16  # the deepest body the API expects is 3; Python's parser recurses per level
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON `text` nests arrays and objects deeper than `limit` (valid JSON or not)."""
    depth = 0
    for bracket in _NOT_BRACKETS.sub("", _STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def body_size(body: str | None, base64_encoded: bool) -> int:
    """The bytes a request sent, as API Gateway hands its body over (base64 for what is not text)."""
    body = body or ""
    return len(body) * 3 // 4 if base64_encoded else len(body.encode())
