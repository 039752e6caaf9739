"""/ui/schedule through the API function on moto: an unconfirmed post listed with what to check and a
way to schedule it again, a cancel the service refuses, the statuses counted."""

from datetime import UTC, datetime, timedelta

from contentflow.publishing import repository, service
from contentflow.publishing.models import PostCreate
from contentflow.publishing.publisher import record

CONTENT = {
    "title": "A kettle that lasts",
    "text": "Ten years, still boiling.",
    "options": {"subreddit": "test"},
}


def _unconfirmed() -> dict:
    soon = datetime.now(UTC) + timedelta(minutes=10)
    made = PostCreate(platform="reddit", lang="en", hook_id="h1", content=CONTENT, publish_at=soon)
    post = service.create_post(made, "https://cf.example")
    reason = "reddit gave no clear answer (ReadTimeout): check the platform, then resolve"
    assert repository.move(post, "unconfirmed", {"status_reason": reason})
    record(post, "unconfirmed", platform="reddit", error="ReadTimeout('timed out')")
    return post


def cancel(page, post_id):
    path = f"/ui/schedule/{post_id}/cancel"
    return page("POST", path, "/ui/schedule/{post_id}/cancel", form={}, path_parameters={"post_id": post_id})


def test_an_unconfirmed_post_is_listed_with_what_to_check_and_can_be_scheduled_again(page):
    post = _unconfirmed()
    status, _, body = page("GET", "/ui/schedule", "/ui/schedule")
    assert status == 200
    assert "Unconfirmed posts (1)" in body and post["post_id"] in body
    assert "gave no clear answer (ReadTimeout)" in body and "ReadTimeout(&#39;timed out&#39;)" in body
    assert "POST /api/posts/import" in body
    assert f'href="/ui/schedule?again={post["post_id"]}#composer"' in body
    assert '<strong>1</strong> <span class="badge unconfirmed">unconfirmed</span>' in body

    status, _, body = page("GET", "/ui/schedule", "/ui/schedule", query={"again": post["post_id"]})
    assert status == 200
    assert (
        'value="A kettle that lasts"' in body
        and 'name="opt_reddit_subreddit" type="text" value="test"' in body
    )

    status, _, body = cancel(page, post["post_id"])
    assert status == 409 and "only a scheduled or queued post is cancelled" in body
    assert service.get(post["post_id"])["status"] == "unconfirmed"


def test_cancel_a_post_that_does_not_exist_and_a_preview_that_creates_nothing(page):
    status, _, body = cancel(page, "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert status == 404 and "There is no post" in body
    form = {
        "action": "preview",
        "platform": "reddit",
        "when": "recurring",
        "rrule": "FREQ=DAILY;COUNT=3",
        "dtstart": "2030-01-01T09:00",
        "tz": "Asia/Tokyo",
    }
    status, _, body = page("POST", "/ui/schedule", "/ui/schedule", form=form)
    assert status == 200
    assert "2030-01-01 00:00 UTC" in body and "2030-01-03 00:00 UTC" in body and "2030-01-04" not in body
    assert "Nothing scheduled in the next 14 days." in body
