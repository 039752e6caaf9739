"""The schedule page in a real browser: compose a recurring post, preview it, schedule it, see it on the
calendar and through the API; an invalid rule refused in place; cancel a scheduled post."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import MO, TH, WEEKLY, rrule

from tests.e2e.conftest import shot, submit

pytestmark = pytest.mark.e2e
PARIS = ZoneInfo("Europe/Paris")


def _composer(page, title: str):
    form = page.locator("form[aria-labelledby=composer]")
    form.get_by_label("Platform").select_option("reddit")
    form.get_by_label("Language").fill("en")
    form.get_by_label("Hook").fill("ui-schedule")
    form.get_by_label("Title").fill(title)
    form.get_by_label("Text", exact=True).fill("Made by the schedule page's browser test.")
    form.get_by_label("subreddit (required)").fill("contentflow_test")
    form.get_by_label("Time zone", exact=True).fill("Europe/Paris")
    return form


def _errors(page) -> list[str]:
    """Console errors but the browser's note of a 422 answer (a form refused, as it should be)."""
    return [e for e in page.errors if "status of 422" not in e]


def _scheduled(api, title: str) -> list[dict]:
    items = api.get("/api/posts", params={"status": "scheduled", "limit": 100}).json()["items"]
    return [p for p in items if (p.get("content") or {}).get("title") == title]


def test_compose_a_recurring_post_see_its_preview_schedule_it_and_find_it_on_the_calendar(admin, dev, api):
    title = f"UI weekly {uuid.uuid4().hex[:8]}"
    start = (datetime.now(PARIS) + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    admin.goto(f"{dev.url}/ui/schedule")
    assert admin.title() == "Schedule · ContentFlow"
    form = _composer(admin, title)
    form.get_by_label("Recurring", exact=True).check()
    form.get_by_label("Recurring: rule (RRULE)").fill("FREQ=WEEKLY;BYDAY=MO,TH")
    form.get_by_label("Recurring: first date and time (DTSTART, in the time zone)").fill(
        start.strftime("%Y-%m-%dT%H:%M")
    )
    submit(form.get_by_role("button", name="Preview"))

    preview = admin.locator("section[aria-labelledby=preview]")
    expected = list(rrule(WEEKLY, byweekday=(MO, TH), dtstart=start.replace(tzinfo=None), count=10))
    rows = preview.locator("tbody tr")
    assert rows.count() == 10
    for n, wall in enumerate(expected):
        cells = rows.nth(n).locator("td")
        utc = wall.replace(tzinfo=PARIS).astimezone(UTC)
        assert cells.nth(0).inner_text() == wall.strftime("%a %Y-%m-%d")
        assert cells.nth(1).inner_text().startswith("09:00 ")
        assert cells.nth(2).inner_text() == utc.strftime("%Y-%m-%d %H:%M UTC")
    assert _scheduled(api, title) == []  # a preview creates nothing
    # The form kept what was typed: Schedule straight from the preview.
    form = admin.locator("form[aria-labelledby=composer]")
    assert form.get_by_label("Title").input_value() == title
    assert form.get_by_label("Recurring", exact=True).is_checked()
    shot(admin, "ui-schedule")
    submit(form.get_by_role("button", name="Schedule"))

    [post] = _scheduled(api, title)
    assert (post["kind"], post["platform"], post["tz"]) == ("series", "reddit", "Europe/Paris")
    assert "RRULE:FREQ=WEEKLY;BYDAY=MO,TH" in post["rrule"]
    first = expected[0].replace(tzinfo=PARIS).astimezone(UTC)
    assert datetime.fromisoformat(post["next_run_utc"].replace("Z", "+00:00")) == first
    assert admin.get_by_role("status").filter(has_text=f"Post {post['post_id']} scheduled").count() == 1

    calendar = admin.locator("section[aria-labelledby=calendar]")
    drawn = calendar.locator(f"tr[data-post='{post['post_id']}']")
    within = [w for w in expected if w.replace(tzinfo=PARIS) <= datetime.now(UTC) + timedelta(days=14)]
    assert drawn.count() == len(within) >= 3
    row = admin.locator(f"tr[data-post='{post['post_id']}']")
    day = calendar.locator("table", has=row).first.locator("caption").inner_text()
    assert day.startswith(first.strftime("%A %Y-%m-%d"))
    assert "09:00 Europe/Paris" in drawn.first.inner_text()
    assert first.strftime("%H:%M UTC") in drawn.first.inner_text()
    shot(admin, "ui-schedule-calendar")

    series = admin.locator(f"#s-{post['post_id']}")
    submit(series.get_by_role("button", name="Cancel the series"))
    assert api.get(f"/api/posts/{post['post_id']}").json()["status"] == "cancelled"
    assert admin.locator(f"tr[data-post='{post['post_id']}']").count() == 0
    assert _errors(admin) == []


def test_an_invalid_rule_is_shown_beside_its_field_and_nothing_is_created(admin, dev, api):
    title = f"UI invalid {uuid.uuid4().hex[:8]}"
    admin.goto(f"{dev.url}/ui/schedule")
    form = _composer(admin, title)
    form.get_by_label("Recurring", exact=True).check()
    form.get_by_label("Recurring: rule (RRULE)").fill("FREQ=WEEKLY;BYDAY=XX")
    form.get_by_label("Recurring: first date and time (DTSTART, in the time zone)").fill("2030-01-07T09:00")
    for button in ("Preview", "Schedule"):
        submit(form.get_by_role("button", name=button))
        form = admin.locator("form[aria-labelledby=composer]")
        rule = form.get_by_label("Recurring: rule (RRULE)")
        assert rule.get_attribute("aria-invalid") == "true"
        assert rule.input_value() == "FREQ=WEEKLY;BYDAY=XX"
        assert "BYDAY" in form.locator("#e-rrule").inner_text()
        assert form.get_by_role("alert").count() == 1
    assert _scheduled(api, title) == []
    assert _errors(admin) == []


def test_a_missing_subreddit_is_shown_in_place_then_a_one_off_post_is_scheduled_and_cancelled(
    admin, dev, api
):
    title = f"UI once {uuid.uuid4().hex[:8]}"
    when = (datetime.now(PARIS) + timedelta(days=3)).replace(hour=18, minute=30, second=0, microsecond=0)
    admin.goto(f"{dev.url}/ui/schedule")
    form = _composer(admin, title)
    form.get_by_label("subreddit (required)").fill("")
    form.get_by_label("Once: publish at (in the time zone)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    submit(form.get_by_role("button", name="Schedule"))
    form = admin.locator("form[aria-labelledby=composer]")
    subreddit = form.get_by_label("subreddit (required)")
    assert subreddit.get_attribute("aria-invalid") == "true"
    assert "required" in form.locator("#e-opt_reddit_subreddit").inner_text()
    assert _scheduled(api, title) == []

    subreddit.fill("contentflow_test")
    submit(form.get_by_role("button", name="Schedule"))
    [post] = _scheduled(api, title)
    assert post["next_run_utc"] == when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    row = admin.locator(f"section[aria-labelledby=calendar] tr[data-post='{post['post_id']}']")
    assert row.count() == 1
    assert "18:30 Europe/Paris" in row.inner_text() and "scheduled" in row.inner_text()
    submit(row.get_by_role("button", name="Cancel"))
    assert api.get(f"/api/posts/{post['post_id']}").json()["status"] == "cancelled"
    assert admin.get_by_role("status").filter(has_text=f"Post {post['post_id']} cancelled").count() == 1
    assert admin.locator(f"tr[data-post='{post['post_id']}']").count() == 0
    assert _errors(admin) == []
