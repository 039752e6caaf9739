"""Words as the denylist compares them: case and accents folded, punctuation ignored."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")  # letters and digits; spaces, punctuation and `_` separate words


def fold(text: str) -> str:
    """Case- and accent-free: casefold first (it can add marks, as in 'İ'), then NFKD without marks."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> tuple[str, ...]:
    """The folded words of `text`, in order: 'Gámbling-Tips!' → ('gambling', 'tips')."""
    return tuple(_WORD.findall(fold(text)))


def hashtag_words(tag: str) -> tuple[str, ...]:
    """The words of a hashtag, camel case split: '#OnlineCasino' → ('online', 'casino')."""
    spaced = "".join(f" {c}" if c.isupper() and i and tag[i - 1].islower() else c for i, c in enumerate(tag))
    return words(spaced)
