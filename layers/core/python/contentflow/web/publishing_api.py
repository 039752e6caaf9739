"""/api/posts (scheduling), /api/schedule/preview and /api/media: posts to publish, when, with what."""

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.posts.models import Post
from contentflow.publishing import service
from contentflow.publishing.models import MediaRequest, MediaUpload, PostChange, PostCreate, Preview
from contentflow.web.links_api import base_url
from contentflow.web.responses import answers, json_response

router = APIGatewayHttpRouter()
PostId = Annotated[str, Path(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]


def _post(item: dict) -> dict:
    return Post(**{k: v for k, v in item.items() if k in Post.model_fields}).model_dump(mode="json")


@router.post("/api/posts", responses=answers(201, "the scheduled post", errors=(422,)))
def schedule_post(post: PostCreate) -> Response[Post]:
    """Schedule a post (publish_at, default now) or a recurring one (rrule); every field is checked
    against what its platform takes now, not at publication time."""
    return json_response(201, _post(service.create_post(post, base_url())))


@router.patch("/api/posts/<post_id>", responses=answers(errors=(404, 409, 422)))
def change_post(post_id: PostId, changes: PostChange) -> Post:
    """Change a post that is still scheduled (409 once it is queued)."""
    return _post(service.change_post(post_id, changes))


@router.post("/api/posts/<post_id>/cancel", responses=answers(errors=(404, 409)))
def cancel_post(post_id: PostId) -> Post:
    """Cancel a scheduled or queued post (or a whole series); 409 once its publication started."""
    return _post(service.cancel_post(post_id))


@router.get("/api/schedule/preview", responses=answers(errors=(422,)))
def preview(
    rrule: Annotated[
        str, Query(min_length=1, max_length=1000, description="RFC 5545, DTSTART;TZID and RRULE")
    ],
    count: Annotated[int, Query(ge=1, le=service.PREVIEW_MAX)] = 10,
    after: Annotated[
        datetime | None, Query(description="occurrences after this instant (default: now)")
    ] = None,
) -> Preview:
    """The next occurrences of a rule, as UTC instants with their wall time: what the scheduler fires."""
    return service.preview(rrule, count, after)


@router.post("/api/media", responses=answers(201, "where to PUT the file", errors=(422,)))
def upload_media(media: MediaRequest) -> Response[MediaUpload]:
    """A presigned URL to upload one media file to the private media bucket; name its key in a post."""
    return json_response(201, service.upload(media).model_dump(mode="json"))
