"""/api/flags: read the feature flags, switch one."""

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow import flags
from contentflow.web.responses import answers, error

router = APIGatewayHttpRouter()


@router.get("/api/flags")
def list_flags() -> flags.FlagsView:
    """Every flag; `readable` false means the store could not be read and these are the safe values."""
    return flags.view()


@router.put("/api/flags/<name>", responses=answers(errors=(404, 409, 503)))
def set_flag(name: str, change: flags.FlagChange) -> flags.FlagState:
    """Write a new configuration version with this flag changed (deployed at once on AWS)."""
    return flags.set_flag(name, change.enabled)


@router.exception_handler(flags.UnknownFlag)
def unknown_flag(exc: flags.UnknownFlag):
    return error(404, f"no flag named {exc.args[0]!r}", flags=list(flags.FLAGS))


@router.exception_handler(flags.FlagChangeInProgress)
def change_in_progress(exc: flags.FlagChangeInProgress):
    return error(409, str(exc))


@router.exception_handler(flags.FlagsUnavailable)
def unavailable(exc: flags.FlagsUnavailable):
    return error(503, str(exc))
