"""/ui/schedule: the composer (one date or a recurrence, previewed), the calendar, statuses, unconfirmed.

Posts are created and cancelled through publishing.service, the functions /api/posts calls, and the
preview is service.preview, what /api/schedule/preview answers: the page shows the instants the
scheduler will fire. An `unconfirmed` post has no operation to resolve it (it is never sent again):
the page lists it with what to check on its platform and a link to schedule it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import groupby
from zoneinfo import available_timezones

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import ValidationError

from contentflow.platforms.registry import CAPABILITIES, CONNECTED
from contentflow.posts import repository as posts_repository
from contentflow.posts import service as posts
from contentflow.posts.models import SCHEDULE_STATUSES, Post
from contentflow.posts.service import BadEntries, PostNotFound
from contentflow.publishing import recurrence, service
from contentflow.publishing.models import DEFAULT_ZONE, PostCreate, Preview
from contentflow.web.ui.pages import form, problem, redirect, render, visit

router = APIGatewayHttpRouter()
CALENDAR_DAYS = 14
UPCOMING = ("scheduled", "queued", "publishing")  # on the calendar
PREVIEW_COUNT = 10
PER_SERIES = 60  # occurrences of one series drawn on the calendar (an hourly rule has 336 in 14 days)
COUNT_CAP = 1000  # statuses are counted up to this
UNCONFIRMED_SHOWN = 50
TEXT_FIELDS = ("lang", "hook_id", "title", "text", "hashtags", "link_code", "affiliate_url", "media")


def publishable() -> tuple[str, ...]:
    return tuple(p for p in CONNECTED if CAPABILITIES[p].publish)


def options_of(platform: str) -> tuple[str, ...]:
    return CAPABILITIES[platform].publishing.options if platform in CAPABILITIES else ()


def option_field(platform: str, name: str) -> str:
    return f"opt_{platform}_{name}"


class FormProblems(ValueError):
    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


# --- the form → the models ---------------------------------------------------------------------------


def _wall(value: str, name: str) -> datetime:
    """A datetime-local value (YYYY-MM-DDTHH:MM[:SS]): a wall time, without zone."""
    try:
        wall = datetime.fromisoformat(value.strip())
    except ValueError:
        raise FormProblems({name: "give a date and a time (YYYY-MM-DDTHH:MM)"}) from None
    if wall.tzinfo is not None:
        raise FormProblems({name: "give the wall time without a zone: the time zone field says which"})
    return wall


def schedule_fields(values: dict[str, str]) -> dict:
    """{publish_at, tz} or {rrule, tz} from the composer: a datetime-local read in the chosen zone (a
    blank one: now), or the RRULE parts with a DTSTART line built from the first date and the zone
    (a rule that already has its DTSTART line is taken as written)."""
    tz = (values.get("tz") or "").strip() or DEFAULT_ZONE
    try:
        zone = recurrence.zone(tz)
    except recurrence.RuleError as error:
        raise FormProblems({"tz": error.problem}) from None
    if values.get("when") != "recurring":
        text = (values.get("publish_at") or "").strip()
        if not text:
            return {"tz": tz}
        return {"publish_at": _wall(text, "publish_at").replace(tzinfo=zone, fold=0), "tz": tz}
    rule = (values.get("rrule") or "").strip()
    if not rule:
        raise FormProblems({"rrule": "give a rule, such as FREQ=WEEKLY;BYDAY=MO,TH"})
    if "DTSTART" in rule.upper():
        return {"rrule": rule, "tz": tz}
    start = (values.get("dtstart") or "").strip()
    if not start:
        raise FormProblems({"dtstart": "give the first date and time: the rule repeats its time of day"})
    wall = _wall(start, "dtstart")
    rule = rule.removeprefix("RRULE:").removeprefix("rrule:")
    return {"rrule": f"DTSTART;TZID={tz}:{wall:%Y%m%dT%H%M%S}\nRRULE:{rule}", "tz": tz}


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


def post_data(values: dict[str, str]) -> dict:
    """The body of POST /api/posts from the composer: blanks left out, the options of the chosen
    platform only, hashtags and media keys split on commas."""
    platform = (values.get("platform") or "").strip()
    text = {name: (values.get(name) or "").strip() for name in TEXT_FIELDS}
    content: dict = {"text": text["text"]}
    for name in ("title", "link_code", "affiliate_url"):
        if text[name]:
            content[name] = text[name]
    for name in ("hashtags", "media"):
        if text[name]:
            content[name] = _split(text[name])
    options = {
        name: (values.get(option_field(platform, name)) or "").strip() for name in options_of(platform)
    }
    content["options"] = {name: value for name, value in options.items() if value}
    data = {"platform": platform, "lang": text["lang"], "hook_id": text["hook_id"], "content": content}
    if (values.get("quality") or "").strip():
        data["quality"] = values["quality"].strip()
    return data | schedule_fields(values)


def form_field(api_field: str, platform: str) -> str:
    """An API field (`content.options.subreddit`, `content.hashtags.2`) as the composer's field."""
    parts = api_field.split(".")
    if parts[0] == "content" and len(parts) > 1:
        if parts[1] == "options" and len(parts) > 2:
            return option_field(platform, parts[2]) if parts[2] in options_of(platform) else "options"
        return parts[1]
    if parts[0] == "rrule" and len(parts) == 1:
        return "rrule"
    return parts[0] if parts[0] in ("platform", "lang", "hook_id", "publish_at", "tz", "quality") else ""


def problems_of(error: ValidationError | BadEntries, platform: str) -> dict[str, str]:
    """What is wrong, by composer field ("" for the whole form)."""
    if isinstance(error, BadEntries):
        found = [(d["field"], d["problem"]) for d in error.details]
    else:
        found = [
            (".".join(str(p) for p in e["loc"]), e["msg"].removeprefix("Value error, "))
            for e in error.errors()
        ]
    problems: dict[str, str] = {}
    for api_field, text in found:
        name = form_field(api_field, platform)
        problems[name] = f"{problems[name]}; {text}" if name in problems else text
    return problems


def create(values: dict[str, str]) -> PostCreate:
    """The composer as the model /api/posts takes (ValidationError or FormProblems when it is wrong)."""
    return PostCreate(**post_data(values))


def preview_of(values: dict[str, str], now: datetime | None = None) -> Preview:
    """The next occurrences the scheduler would fire, without creating anything: service.preview for a
    rule (what /api/schedule/preview answers), the one instant of a one-off post."""
    now = now or datetime.now(UTC)
    when = schedule_fields(values)
    if "rrule" in when:
        try:
            return service.preview(when["rrule"], PREVIEW_COUNT, now)
        except BadEntries as error:
            raise FormProblems(problems_of(error, values.get("platform", ""))) from None
    try:
        one = recurrence.single(when.get("publish_at") or now, when["tz"], now=now)
    except recurrence.RuleError as error:
        raise FormProblems({error.field: error.problem}) from None
    return Preview(tz=when["tz"], occurrences=[{"utc": one.utc, "local": one.local}])


# --- the calendar --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One post (or one occurrence of a series) on the calendar."""

    post: Post
    utc: datetime
    local: datetime

    @property
    def label(self) -> str:
        return describe(self.post)


@dataclass
class Calendar:
    days: list[tuple[date, list[Entry]]] = field(default_factory=list)
    series: list[Post] = field(default_factory=list)
    more: dict[str, bool] = field(default_factory=dict)  # series id: drawn only in part


def describe(post: Post) -> str:
    content = post.content or {}
    text = content.get("title") or post.title or content.get("text") or ""
    return text if len(text) <= 80 else text[:79] + "\N{HORIZONTAL ELLIPSIS}"


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def calendar(items: list[Post], now: datetime, days: int = CALENDAR_DAYS) -> Calendar:
    """Upcoming posts by UTC day up to `days` ahead (overdue ones first): a one-off post at its due
    time, a series at each occurrence of its rule in the window."""
    horizon = now + timedelta(days=days)
    found = Calendar()
    entries: list[Entry] = []
    for post in items:
        if not post.next_run_utc:
            continue
        due = _instant(post.next_run_utc)
        zone = recurrence.zone(post.tz or DEFAULT_ZONE)
        if post.kind == "series" and post.rrule:
            found.series.append(post)
            try:
                rule = recurrence.load(post.rrule)
                upcoming = recurrence.occurrences(
                    rule, after=min(now, due) - timedelta(seconds=1), count=PER_SERIES
                )
            except recurrence.RuleError:
                upcoming = []
            shown = [o for o in upcoming if o.utc <= horizon]
            found.more[post.post_id] = len(shown) == PER_SERIES
            entries += [Entry(post, o.utc, o.local) for o in shown]
        elif due <= horizon:
            entries.append(Entry(post, due, due.astimezone(zone)))
    entries.sort(key=lambda e: (e.utc, e.post.post_id))
    found.days = [(day, list(group)) for day, group in groupby(entries, key=lambda e: e.utc.date())]
    return found


def upcoming(now: datetime, days: int = CALENDAR_DAYS) -> list[Post]:
    """Scheduled, queued and publishing posts due before the window's end, soonest first."""
    horizon = posts.iso(now + timedelta(days=days))
    found: list[Post] = []
    for status in UPCOMING:
        cursor = None
        while True:
            page = posts.list_posts(status=status, limit=100, cursor=cursor)
            within = [p for p in page.items if (p.next_run_utc or "") <= horizon]
            found += within
            if not page.next_cursor or len(within) < len(page.items):
                break
            cursor = page.next_cursor
    return found


def status_counts() -> dict[str, int]:
    """Posts in each scheduling status (counted up to COUNT_CAP)."""
    counts = {}
    for status in SCHEDULE_STATUSES:
        n = 0
        for _ in posts_repository.by_status(status):
            n += 1
            if n >= COUNT_CAP:
                break
        counts[status] = n
    return counts


def unconfirmed() -> list[tuple[Post, dict | None]]:
    """Unconfirmed posts with their last publishing attempt (what the platform said, if anything)."""
    found = posts.list_posts(status="unconfirmed", limit=UNCONFIRMED_SHOWN).items
    shown = []
    for post in found:
        try:
            runs = posts.get_post(post.post_id).runs
        except PostNotFound:
            continue
        shown.append((post, runs[-1].model_dump() if runs else None))
    return shown


# --- the page ----------------------------------------------------------------------------------------


@cache
def zones() -> list[str]:
    return sorted(available_timezones() - {"localtime", "Factory"})


def _page(status: int = 200, **context):
    now = datetime.now(UTC)
    values = {"platform": "reddit", "lang": "en", "when": "once", "tz": DEFAULT_ZONE, "quality": "1"}
    values |= context.pop("form", None) or {}
    problems = context.pop("problems", {})
    open_options = {
        p
        for p in publishable()
        if values.get("platform") == p or any(k.startswith(f"opt_{p}_") for k in problems)
    }
    return render(
        "schedule.html",
        status,
        title="Schedule",
        now=now,
        days=CALENDAR_DAYS,
        calendar=calendar(upcoming(now), now),
        counts=status_counts(),
        unconfirmed=unconfirmed(),
        platforms=(*publishable(), "auto"),
        options={p: options_of(p) for p in publishable()},
        required={p: CAPABILITIES[p].publishing.required_options for p in publishable()},
        option_field=option_field,
        cancellable=service.CANCELLABLE,
        zones=zones(),
        form=values,
        problems=problems,
        open_options=open_options,
        **context,
    )


@router.get("/ui/schedule")
def schedule_page():
    params = visit().event.query_string_parameters or {}
    notice = {
        "scheduled": "Post {} scheduled.",
        "cancelled": "Post {} cancelled.",
    }
    said = next((text.format(params[key]) for key, text in notice.items() if params.get(key)), None)
    again = None
    if params.get("again"):
        try:
            again = as_form(posts.get_post(params["again"]))
        except PostNotFound:
            return problem(404, "Not found", f"There is no post {params['again']}.")
    return _page(notice=said, form=again, scheduled=params.get("scheduled"))


@router.post("/ui/schedule")
def compose():
    values = form()
    platform = values.get("platform", "")
    if values.get("action") == "preview":
        try:
            shown = preview_of(values)
        except FormProblems as error:
            return _page(422, form=values, problems=error.problems, previewed=True)
        return _page(form=values, preview=shown, previewed=True)
    try:
        post = service.create_post(create(values), _base_url())
    except FormProblems as error:
        return _page(422, form=values, problems=error.problems)
    except (ValidationError, BadEntries) as error:
        return _page(422, form=values, problems=problems_of(error, platform))
    return redirect("/ui/schedule", scheduled=post["post_id"])


@router.post("/ui/schedule/<post_id>/cancel")
def cancel(post_id: str):
    try:
        service.cancel_post(post_id)
    except PostNotFound:
        return problem(404, "Not found", f"There is no post {post_id}.")
    except service.NotChangeable as error:
        return problem(409, "Not cancelled", str(error))
    return redirect("/ui/schedule", cancelled=post_id)


def _base_url() -> str:
    from contentflow.web.app import public_base_url

    return public_base_url(visit().event)


def as_form(post: Post) -> dict[str, str]:
    """A post's content as composer fields, to schedule it again (an unconfirmed one, once checked)."""
    content = post.content or {}
    platform = post.platform
    values = {
        "platform": platform,
        "lang": post.lang or "en",
        "hook_id": post.hook_id or "",
        "title": content.get("title") or "",
        "text": content.get("text") or "",
        "hashtags": ", ".join(content.get("hashtags") or []),
        "media": ", ".join(content.get("media") or []),
        "link_code": post.link_code or "",
        "tz": post.tz or DEFAULT_ZONE,
        "when": "once",
    }
    for name, value in (content.get("options") or {}).items():
        values[option_field(platform, name)] = value
    return values
