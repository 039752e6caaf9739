"""/api/posts and /api/platforms: posts published elsewhere, their numbers, the platforms' state."""

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.platforms import service as platforms
from contentflow.platforms.models import PlatformsView
from contentflow.posts import service
from contentflow.posts.models import ImportResult, Platform, PostDetail, PostImport, PostPage, Status
from contentflow.web.responses import answers, json_response

router = APIGatewayHttpRouter()


@router.post(
    "/api/posts/import",
    responses=answers(201, "one item per entry: the post's id, and whether it is new", errors=(422,)),
)
def import_posts(posts: PostImport) -> Response[ImportResult]:
    return json_response(201, service.import_posts(posts).model_dump(mode="json"))


@router.get("/api/posts")
def list_posts(
    platform: Platform | None = None,
    status: Status | None = None,
    since: Annotated[datetime | None, Query(description="published at or after (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9A-Za-z_-]{8,128}$", description="next_cursor of the previous page")
    ] = None,
) -> PostPage:
    return service.list_posts(platform, status, since, limit, cursor)


@router.get("/api/posts/<post_id>", responses=answers(errors=(404,)))
def get_post(post_id: Annotated[str, Path(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]) -> PostDetail:
    return service.get_post(post_id)


@router.get("/api/platforms")
def list_platforms() -> PlatformsView:
    return platforms.overview()
