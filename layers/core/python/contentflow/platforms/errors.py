"""How a platform call fails, beyond the job runtime's transient / permanent / quota kinds."""

from collections.abc import Sequence

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


class NotSupported(Exception):
    """The connector does not do this (its capabilities say so)."""
