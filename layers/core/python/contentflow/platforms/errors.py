"""How a platform call fails, beyond the job runtime's transient / permanent / quota kinds."""

from collections.abc import Mapping, Sequence
from typing import Any

from contentflow.jobs.errors import PermanentError


class Unauthorized(PermanentError):
    """The platform refused the credentials (401, an invalid or expired token or key): the account is
    marked unauthorized and not called again until its credentials change."""


class MalformedResponse(PermanentError):
    """The platform answered something that is not what its API documents: that batch fails."""


class Gone(PermanentError):
    """The call failed because the platform no longer has some of the posts asked about (Instagram's
    multi-id lookup fails whole): those posts are removed, the others are asked about next time."""

    def __init__(self, message: str, external_ids: Sequence[str]) -> None:
        super().__init__(message)
        self.external_ids = tuple(external_ids)


class PublishUncertain(Exception):
    """A request that creates a post left, and no clear answer came back (a timeout after sending, a
    dropped connection, a 500/502/504, a success without a readable body): the post may exist. Never
    retried: the post is marked `unconfirmed` for an operator, because a blind second request could
    post twice. `response`: what is known (ids, bytes sent) for the runs log."""

    def __init__(self, message: str, response: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.response = dict(response or {})


class PublishingNotConfigured(PermanentError):
    """The account's credentials read statistics but cannot publish (Reddit without a username and
    password, YouTube without an OAuth refresh token, Instagram without `ig_user_id`): the post fails
    naming what to add, and the account is not marked unauthorized (its statistics still work)."""


class NotSupported(Exception):
    """The connector does not do this (its capabilities say so)."""
