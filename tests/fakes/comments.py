"""What the fakes of platforms with comments share: the comments they know, per post, in a neutral form
each fake renders in its platform's recorded shapes.

    fake.add_comment(post, "Does it fit a 30 cm pan?", author="buyer_1")           # a top-level comment
    fake.add_comment(post, "It does.", parent=first)                                # a reply under it
    fake.comments[post]  # every comment of the post, replies included, in the order they were made

A comment is made a minute after the previous one (from `START`) unless `at` says when; `deleted` makes
it one its author deleted. A reply sent through the connector lands in `comments` too, by the account
(`ACCOUNT`), and is kept in `replies` by its id.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
ACCOUNT = "contentflow"


class CommentsFake(ABC):
    """A mixin: `init_comments()` in the fake's constructor, `comment_id()` in the fake."""

    comments: dict[str, list[dict]]
    replies: dict[str, dict]

    def init_comments(self) -> None:
        self.comments = {}
        self.replies = {}
        self.comments_made = 0

    @abstractmethod
    def comment_id(self, number: int, parent: dict | None) -> str:
        """The platform's id of the `number`-th comment the fake makes (from 1), under `parent`."""

    def add_comment(
        self,
        post: str,
        text: str = "Does it fit a 30 cm pan?",
        *,
        author: str = "buyer_1",
        parent: str | None = None,
        at: datetime | None = None,
        likes: int = 0,
        deleted: bool = False,
    ) -> str:
        """A comment on `post` (under the comment `parent`, when given); its id."""
        above = self.find_comment(parent) if parent else None
        if parent and above is None:
            raise ValueError(f"no comment {parent} to reply under")
        self.comments_made += 1
        record = {
            "id": self.comment_id(self.comments_made, above),
            "post": post,
            "author": author,
            "author_id": f"{author}-id",
            "text": text,
            "at": at or START + timedelta(minutes=self.comments_made),
            "parent": parent,
            "likes": likes,
            "deleted": deleted,
        }
        self.comments.setdefault(post, []).append(record)
        return record["id"]

    def find_comment(self, comment_id: str | None) -> dict | None:
        return next(
            (c for comments in self.comments.values() for c in comments if c["id"] == comment_id), None
        )

    def newest_first(self, post: str, parent: str | None = None) -> list[dict]:
        """The comments directly under `parent` (None: the top-level ones), newest first."""
        under = [c for c in self.comments.get(post, []) if c["parent"] == parent]
        return sorted(under, key=lambda c: (c["at"], c["id"]), reverse=True)

    def reply_made(self, parent: str, text: str) -> dict:
        """A reply the connector sent, under `parent`, by the account."""
        post = self.find_comment(parent)["post"]
        reply = self.find_comment(self.add_comment(post, text, author=ACCOUNT, parent=parent))
        self.replies[reply["id"]] = reply
        return reply
