"""The schedule page's composer read into the models /api/posts takes, its preview and its calendar."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import MO, TH, WEEKLY, rrule
from pydantic import ValidationError

from contentflow.posts.models import Post
from contentflow.posts.service import BadEntries
from contentflow.web.ui.schedule import (
    FormProblems,
    calendar,
    create,
    form_field,
    post_data,
    preview_of,
    problems_of,
    schedule_fields,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday
REDDIT = {
    "platform": "reddit",
    "lang": "en",
    "hook_id": "question-1",
    "title": "A title",
    "text": "Some text",
    "opt_reddit_subreddit": "deals",
    "opt_youtube_privacy_status": "public",  # another platform's option: not sent
    "tz": "Europe/Paris",
}


def test_a_one_off_post_is_its_wall_time_in_the_chosen_zone_with_only_its_platforms_options():
    data = post_data(REDDIT | {"when": "once", "publish_at": "2026-12-03T09:30", "hashtags": "a, #b"})
    assert data["publish_at"] == datetime(2026, 12, 3, 9, 30, tzinfo=PARIS)
    assert data["publish_at"].astimezone(UTC) == datetime(2026, 12, 3, 8, 30, tzinfo=UTC)
    assert data["content"] == {
        "text": "Some text",
        "title": "A title",
        "hashtags": ["a", "#b"],
        "options": {"subreddit": "deals"},
    }
    made = create(REDDIT | {"when": "once", "publish_at": "2026-12-03T09:30"})
    assert (made.platform, made.tz, made.rrule) == ("reddit", "Europe/Paris", None)


def test_a_blank_date_means_now_and_a_recurrence_gets_its_dtstart_line_from_the_form():
    assert schedule_fields({"when": "once", "publish_at": "", "tz": "UTC"}) == {"tz": "UTC"}
    found = schedule_fields(
        {
            "when": "recurring",
            "rrule": "RRULE:FREQ=WEEKLY;BYDAY=MO,TH",
            "dtstart": "2026-12-01T09:00",
            "tz": "",
        }
    )
    assert found == {
        "rrule": "DTSTART;TZID=Europe/Paris:20261201T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH",
        "tz": "Europe/Paris",
    }
    written = "DTSTART;TZID=America/New_York:20261201T080000\nRRULE:FREQ=DAILY"
    assert schedule_fields({"when": "recurring", "rrule": written, "tz": "UTC"})["rrule"] == written


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"when": "recurring", "rrule": "", "tz": "UTC"}, "rrule", "FREQ=WEEKLY"),
        ({"when": "recurring", "rrule": "FREQ=DAILY", "tz": "UTC"}, "dtstart", "first date"),
        ({"when": "recurring", "rrule": "FREQ=DAILY", "dtstart": "tomorrow", "tz": "UTC"}, "dtstart", "YYYY"),
        ({"when": "once", "publish_at": "2026-12-03T09:30", "tz": "europe/paris"}, "tz", "Europe/Paris"),
        ({"when": "once", "publish_at": "3 Dec", "tz": "UTC"}, "publish_at", "date and a time"),
    ],
)
def test_a_schedule_the_form_cannot_read_names_its_field(values, field, says):
    with pytest.raises(FormProblems) as error:
        schedule_fields(values)
    assert says in error.value.problems[field]


def test_the_preview_is_what_dateutil_expands_in_the_zone_and_an_invalid_rule_is_shown_at_its_field():
    values = {
        "when": "recurring",
        "rrule": "FREQ=WEEKLY;BYDAY=MO,TH",
        "dtstart": "2026-12-01T09:00",
        "tz": "Europe/Paris",
    }
    shown = preview_of(values, now=NOW)
    expected = list(rrule(WEEKLY, byweekday=(MO, TH), dtstart=datetime(2026, 12, 1, 9, 0), count=10))
    assert [o.local.replace(tzinfo=None) for o in shown.occurrences] == expected
    assert [o.utc for o in shown.occurrences] == [w.replace(tzinfo=PARIS).astimezone(UTC) for w in expected]
    with pytest.raises(FormProblems) as error:
        preview_of(values | {"rrule": "FREQ=WEEKLY;BYDAY=XX"}, now=NOW)
    assert "BYDAY" in error.value.problems["rrule"]
    once = preview_of({"when": "once", "publish_at": "2026-12-24T18:00", "tz": "Europe/Paris"}, now=NOW)
    assert [o.utc for o in once.occurrences] == [datetime(2026, 12, 24, 17, 0, tzinfo=UTC)]


def test_api_problems_land_on_the_composer_fields():
    assert form_field("content.options.subreddit", "reddit") == "opt_reddit_subreddit"
    assert form_field("content.options.board_id", "reddit") == "options"  # not one of reddit's
    assert form_field("content.hashtags.2", "reddit") == "hashtags"
    assert form_field("content", "reddit") == ""  # the whole form
    assert form_field("rrule", "reddit") == "rrule"
    bad = BadEntries(
        [{"field": "content.title", "problem": "required"}, {"field": "content.text", "problem": "x"}]
    )
    assert problems_of(bad, "reddit") == {"title": "required", "text": "x"}
    with pytest.raises(ValidationError) as error:
        create(REDDIT | {"lang": "English!", "hook_id": "", "quality": "2"})
    found = problems_of(error.value, "reddit")
    assert {"lang", "hook_id", "quality"} <= found.keys()
    with pytest.raises(ValidationError) as error:
        create(REDDIT | {"link_code": "abc", "affiliate_url": "https://shop.example/p"})
    assert "not both" in problems_of(error.value, "reddit")[""]


def _post(post_id: str, due: datetime, **more) -> Post:
    return Post(
        post_id=post_id,
        platform="reddit",
        status="scheduled",
        created_at="2026-11-01T00:00:00.000Z",
        next_run_utc=due.isoformat().replace("+00:00", "Z"),
        tz="Europe/Paris",
        content={"title": post_id},
        **more,
    )


def test_the_calendar_puts_one_off_posts_and_each_occurrence_of_a_series_on_their_utc_day():
    rule = "DTSTART;TZID=Europe/Paris:20261203T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH"
    items = [
        _post("later", NOW + timedelta(days=20)),  # beyond the window
        _post("soon", NOW + timedelta(hours=3)),
        _post("series", datetime(2026, 12, 3, 8, 0, tzinfo=UTC), kind="series", rrule=rule),
    ]
    found = calendar(items, NOW, days=14)
    drawn = [
        (day.isoformat(), [(e.post.post_id, e.utc.strftime("%H:%M"), e.local.strftime("%H:%M")) for e in es])
        for day, es in found.days
    ]
    assert drawn == [
        ("2026-11-30", [("soon", "15:00", "16:00")]),
        ("2026-12-03", [("series", "08:00", "09:00")]),
        ("2026-12-07", [("series", "08:00", "09:00")]),
        ("2026-12-10", [("series", "08:00", "09:00")]),
        ("2026-12-14", [("series", "08:00", "09:00")]),
    ]
    assert [p.post_id for p in found.series] == ["series"]
