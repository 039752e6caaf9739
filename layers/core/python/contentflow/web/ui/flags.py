"""/ui/flags: every feature flag, switched on or off; the kill-switch only after a confirmation page.

A switch goes through `flags.set_flag`, as PUT /api/flags/{name} does (audited as the session's key).
The kill-switch's confirmation is a page of its own, so it works without JavaScript: a POST without
`confirm=yes` shows what the change does and changes nothing.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow import flags
from contentflow.web.ui.pages import form, redirect, render, visit

router = APIGatewayHttpRouter()
KILL_SWITCH = "kill_switch"
STATES = {"on": True, "off": False}
# What the kill-switch does, for the confirmation page: (turning it on, turning it off).
KILL_SWITCH_EFFECT = {
    True: (
        "Every action outside the system stops at once: jobs that call a platform are skipped, so no "
        "post is published, no statistics are fetched, no comment gets an automatic reply and the "
        "autopilot stops acting. Short links keep redirecting and clicks are still counted."
    ),
    False: (
        "Actions outside the system resume, each as its own flag allows: publishing, fetching "
        "statistics, automatic replies and the autopilot."
    ),
}


@router.get("/ui/flags")
def flags_page():
    return _page(notice=changed_notice(visit().event.query_string_parameters or {}))


@router.post("/ui/flags/<name>")
def switch(name: str):
    values = form()
    if name not in flags.FLAGS:
        return _page(404, error=f"There is no flag named {name!r}.")
    enabled = STATES.get(values.get("enabled", ""))
    if enabled is None:
        return _page(422, error="Choose whether to turn the flag on or off.")
    if name == KILL_SWITCH and values.get("confirm") != "yes":
        return render(
            "flag_confirm.html",
            title=f"Turn the kill-switch {'on' if enabled else 'off'}?",
            enabled=enabled,
            effect=KILL_SWITCH_EFFECT[enabled],
        )
    try:
        flags.set_flag(name, enabled)
    except flags.FlagChangeInProgress as error:
        return _page(409, error=f"{name} was not changed: {error}.")
    except flags.FlagsUnavailable as error:
        return _page(503, error=f"{name} was not changed: {error}. Try again once the store is readable.")
    return redirect("/ui/flags", changed=name, enabled="on" if enabled else "off")


def changed_notice(params: dict[str, str]) -> str | None:
    """What the redirect after a switch says, from its query string (nothing for an unknown flag)."""
    name, state = params.get("changed"), params.get("enabled")
    if name not in flags.FLAGS or state not in STATES:
        return None
    return f"{name} turned {state}."


def _page(status: int = 200, *, notice: str | None = None, error: str | None = None):
    view = flags.view()
    states = {flag.name: flag.enabled for flag in view.flags}
    return render(
        "flags.html",
        status,
        title="Flags",
        view=view,
        notice=notice,
        error=error,
        kill=KILL_SWITCH,
        kill_switch=states[KILL_SWITCH],  # the header's state from the same read as the table
        flags_readable=view.readable,
    )
