"""What connectors exchange with the rest of ContentFlow (plain dataclasses), and the platforms' state
as the admin API shows it.

Metrics are counters a platform reports for one post, under one vocabulary for every platform:
`views` (plays or views), `impressions` (times shown), `likes` (Reddit: score), `comments`,
`shares`, `saves`, `outbound_clicks` (clicks the platform saw leave towards the link) and
`platform_clicks` (clicks that stayed on the platform, e.g. Pinterest pin clicks). A platform
reports the subset it knows; a missing name means "not reported", never 0.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal, NamedTuple

from pydantic import BaseModel, Field

METRICS = (
    "views",
    "impressions",
    "likes",
    "comments",
    "shares",
    "saves",
    "outbound_clicks",
    "platform_clicks",
)
Source = Literal["api", "estimated", "none"]
SOURCES: tuple[str, ...] = ("api", "estimated")  # of numbers that exist; "none" has no numbers


class PublishSpec(NamedTuple):
    """What a platform takes in a post: checked when the post is created (`check_publishable`), not
    when it is published.

    `media_types`: content types of the media it takes (empty: no media); `media_min`/`media_max`: how
    many; `title_max`/`text_max`: the most a title (characters) and a text (`text_unit`: characters,
    UTF-16 code units as TikTok counts, or UTF-8 bytes as YouTube counts) may hold, 0 when the field
    is not taken (a title given to a platform without one is left out, not refused); `title_required`;
    `hashtags_max`: the most hashtags, 0 when the platform shows none (they are left out);
    `forbidden_chars`: characters refused in the title and the text; `options`: the platform's own
    fields a post may carry (e.g. Reddit's `subreddit`), `required_options` those that must be given
    by the post or the account's credentials (`account_defaults`), `option_rules` (name, regex) pairs
    a value must match in full.
    """

    media_types: tuple[str, ...] = ()
    media_min: int = 0
    media_max: int = 0
    title_max: int = 0
    title_required: bool = False
    text_max: int = 0
    text_unit: Literal["chars", "utf16", "utf8"] = "chars"
    hashtags_max: int = 30
    forbidden_chars: str = ""
    options: tuple[str, ...] = ()
    required_options: tuple[str, ...] = ()
    option_rules: tuple[tuple[str, str], ...] = ()
    text_or_link: bool = False  # a post needs a text, or a link (Reddit: a self post or a link post)


class Problem(NamedTuple):
    """Why a platform cannot take a post: `field` is `title`, `text`, `hashtags[i]`, `media`,
    `media[i]` or `options.<name>`, relative to the post's content."""

    field: str
    message: str


HASHTAG = re.compile(r"#?[^\s#]+")
CHOICES = re.compile(r"\(?([\w-]+(?:\|[\w-]+)+)\)?")


def measure(text: str, unit: str) -> int:
    """The length of `text` as a platform counts it."""
    if unit == "utf16":
        return len(text.encode("utf-16-le")) // 2
    if unit == "utf8":
        return len(text.encode("utf-8"))
    return len(text)


def account_defaults(spec: PublishSpec, credentials: Mapping[str, Any] | None) -> dict[str, str]:
    """The options an account's credentials JSON sets for every post (top-level keys named as the
    options, e.g. `{"subreddit": "BuyItForLife"}`; JSON booleans and numbers read as "true", "42"): a
    post's own options win over them."""
    given = credentials if isinstance(credentials, Mapping) else {}
    defaults = {}
    for name in spec.options:
        value = given.get(name)
        if isinstance(value, bool):
            defaults[name] = "true" if value else "false"
        elif isinstance(value, int | str) and str(value):
            defaults[name] = str(value)
    return defaults


def option_problems(
    spec: PublishSpec, options: Mapping[str, str], defaults: Mapping[str, str] | None = None
) -> list[Problem]:
    """Unknown options, required ones missing from both the post and the account's defaults, and
    values their rule refuses (an account default too)."""
    problems = [
        Problem(f"options.{name}", f"unknown option: expected one of {', '.join(spec.options) or 'none'}")
        for name in options
        if name not in spec.options
    ]
    merged = {**(defaults or {}), **{k: v for k, v in options.items() if k in spec.options}}
    problems += [
        Problem(f"options.{name}", "required (give it in the post, or in the account's credentials)")
        for name in spec.required_options
        if not merged.get(name)
    ]
    for name, pattern in spec.option_rules:
        value = merged.get(name)
        if value is None or re.fullmatch(pattern, value):
            continue
        source = "" if name in options else " (the account's default)"
        choices = CHOICES.fullmatch(pattern)
        expected = f": expected one of {choices.group(1).replace('|', ', ')}" if choices else ""
        problems.append(Problem(f"options.{name}", f"{value!r}{source} is not a valid {name}{expected}"))
    return problems


def check_publishable(
    spec: PublishSpec,
    *,
    title: str | None,
    text: str,
    hashtags: Sequence[str] = (),
    media_types: Sequence[str] = (),
    options: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    reserved_chars: int = 0,
    link: bool = False,
) -> list[Problem]:
    """What keeps a platform from taking a post, field by field (empty: it can take it).

    The text is measured as the platform will receive it: the text, then each hashtag as ` #tag`
    (where the platform shows hashtags), then `reserved_chars` for what the publisher adds (the short
    link and its separator). `defaults` are the account's (`account_defaults`).
    """
    problems: list[Problem] = []
    title = title or ""
    if spec.title_required and not title.strip():
        problems.append(Problem("title", "required"))
    if spec.title_max and len(title) > spec.title_max:
        problems.append(Problem("title", f"at most {spec.title_max} characters (this one has {len(title)})"))
    tags = [tag.lstrip("#") for tag in hashtags] if spec.hashtags_max else []
    problems += [
        Problem(f"hashtags[{i}]", "a hashtag is one word, without spaces or # inside")
        for i, tag in enumerate(hashtags)
        if spec.hashtags_max and not HASHTAG.fullmatch(tag)
    ]
    if spec.hashtags_max and len(tags) > spec.hashtags_max:
        problems.append(Problem("hashtags", f"at most {spec.hashtags_max} hashtags (got {len(tags)})"))
    composed = text + "".join(f" #{tag}" for tag in tags)
    length = measure(composed, spec.text_unit) + reserved_chars
    if spec.text_max and length > spec.text_max:
        unit = {"chars": "characters", "utf16": "UTF-16 code units", "utf8": "bytes (UTF-8)"}[spec.text_unit]
        with_tags = " with its hashtags" if tags else ""
        with_link = " and the link" if reserved_chars else ""
        problems.append(
            Problem("text", f"at most {spec.text_max} {unit}{with_tags}{with_link} (this one has {length})")
        )
    if spec.text_or_link and not text.strip() and not link:
        problems.append(Problem("text", "a post needs a text or a link, and this one has neither"))
    for name, value in (("title", title), ("text", text)):
        refused = sorted({c for c in value if c in spec.forbidden_chars})
        if refused:
            problems.append(Problem(name, f"may not contain {' '.join(refused)}"))
    if not spec.media_types and media_types:
        problems.append(Problem("media", "takes no media"))
    else:
        if len(media_types) < spec.media_min:
            problems.append(
                Problem("media", f"needs at least {spec.media_min} media (got {len(media_types)})")
            )
        if len(media_types) > spec.media_max:
            problems.append(
                Problem("media", f"takes at most {spec.media_max} media (got {len(media_types)})")
            )
        problems += [
            Problem(f"media[{i}]", f"{kind} is not taken: expected one of {', '.join(spec.media_types)}")
            for i, kind in enumerate(media_types)
            if kind not in spec.media_types
        ]
    return problems + option_problems(spec, options or {}, defaults)


class Capabilities(NamedTuple):
    """What a connector can do, and what it costs.

    `stats_batch`: most posts one statistics call can ask for. `quota_units`: units each operation
    costs (YouTube counts units per call whatever the size; elsewhere a call is one unit).
    `daily_quota_setting`: the setting holding the units allowed per quota day, if the platform has
    a daily quota; the day ends at midnight in `quota_zone`. `estimates`: without real numbers,
    impressions are estimated from the post's human clicks and a prior CTR. `comments`: the connector
    lists a post's comments and replies to them; `reply_max`: the most characters a reply may hold.
    """

    stats: bool
    publish: bool
    comments: bool
    stats_batch: int
    quota_units: Mapping[str, int]
    daily_quota_setting: str | None = None
    quota_zone: str = "UTC"
    estimates: bool = False
    publishing: PublishSpec = PublishSpec()  # what a post must look like (when `publish` is True)
    reply_max: int = 0  # characters of a reply (when `comments` is True)


@dataclass(frozen=True)
class Media:
    """One stored media file of a post. `url`: a presigned GET the platform can fetch from (valid for
    an hour); `open`: a readable, seekable binary file of it, for connectors that upload bytes."""

    key: str
    content_type: str
    size: int
    url: str
    open: Callable[[], BinaryIO]


@dataclass(frozen=True)
class PublishRequest:
    """A post as a connector publishes it. `text` already holds the hashtags and the short link where
    the platform shows text; `link_url` is the short link for platforms with a link field (Reddit link
    posts, Pinterest pins); `options` the platform's own fields (PublishSpec.options): the connector
    fills in the account's defaults from its credentials and refuses the post (PermanentError, nothing
    sent) when a required one is missing or a value is not valid."""

    post_id: str
    title: str | None
    text: str
    link_url: str | None = None
    media: tuple[Media, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlatformComment:
    """A comment as a platform reports it. `external_id` is the platform's id (unique per platform:
    Reddit's `t1_` fullname, YouTube's comment id, Instagram's comment id); `parent_id` the comment it
    answers (None: a top-level comment on the post). Reddit threads nest, so a parent may be a reply;
    YouTube and Instagram threads are one level deep, so the parent is the thread's top-level comment,
    and a reply to a reply goes under that top-level comment. `at`: ISO 8601 UTC to the second
    (`YYYY-MM-DDTHH:MM:SSZ`); `author` the name the platform shows, `author_id` its stable id when
    the platform gives one; `likes` the comment's likes (Reddit: its score, 0 when negative).
    `by_account`: the account the connector acts for wrote it (its own replies come back in the
    listings): never to be answered, or a reply could answer itself."""

    external_id: str
    post_external_id: str
    author: str
    text: str
    at: str
    parent_id: str | None = None
    author_id: str | None = None
    likes: int | None = None
    by_account: bool = False


@dataclass(frozen=True)
class CommentPage:
    """The comments newer than the cursor asked with (oldest first), and the cursor to pass next time
    (an opaque string to keep as it is, e.g. in `state`). `more`: the platform has more right now:
    call again with the new cursor (a walk through older pages of a post with many comments)."""

    comments: tuple[PlatformComment, ...]
    cursor: str
    more: bool = False


@dataclass(frozen=True)
class Replied:
    """A reply posted under a comment: the platform's id for it, and what the platform answered."""

    external_id: str
    response: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    """What a publish call left behind. With `pending` set, the platform is still processing (an
    Instagram container, a TikTok upload): call `publish_status(request, pending)` again after
    `retry_after_s`; otherwise the post exists as `external_id` at `url` (both None when the platform
    does not say: TikTok gives a post's id only once moderation passed, and never for a private one)."""

    external_id: str | None = None
    url: str | None = None
    pending: str | None = None
    retry_after_s: float = 30.0
    response: Mapping[str, Any] = field(default_factory=dict)  # what the platform answered, for the runs log


@dataclass(frozen=True)
class PostRef:
    """The part of a post a connector needs to ask about it."""

    post_id: str
    external_id: str
    published_at: str | None = None  # ISO 8601, UTC


@dataclass(frozen=True)
class PostStats:
    """A platform's absolute numbers for one post at one moment; `found` False: the platform no longer
    has it (deleted or removed), so there are no numbers."""

    post_id: str
    metrics: dict[str, int] = field(default_factory=dict)
    extra: dict[str, float] = field(default_factory=dict)  # ratios that are not counters (upvote_ratio)
    found: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.metrics) - set(METRICS)
        if unknown:
            raise ValueError(f"unknown metrics {sorted(unknown)}: expected some of {', '.join(METRICS)}")
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in self.metrics.values()):
            raise ValueError(f"metrics must be whole numbers ≥ 0: {self.metrics}")


class AccountView(BaseModel):
    status: Literal["ok", "not_configured", "unauthorized", "unknown"] = Field(
        description="unknown until metrics_pull has looked at the platform's credentials"
    )
    reason: str | None = None
    since: str | None = None


class QuotaView(BaseModel):
    day: str = Field(description="the quota day, in the platform's reset zone")
    used: int = Field(description="units spent that day")
    limit: int | None = Field(None, description="units allowed a day, when the platform has a daily quota")
    resets_in_s: int


class PlatformView(BaseModel):
    name: str
    stats: bool
    publish: bool
    comments: bool
    stats_batch: int = Field(description="posts one statistics call asks about")
    estimates: bool = Field(description="without real numbers, impressions are estimated from clicks")
    account: AccountView
    quota: QuotaView


class PlatformsView(BaseModel):
    real_analytics: bool = Field(description="the flag: off means no platform is called")
    platforms: list[PlatformView]
