"""/api/links: create, list, read, change and disable short links."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.links import service
from contentflow.links.models import Link, LinkCreate, LinkPage, LinkUpdate
from contentflow.web.responses import answers, json_response

router = APIGatewayHttpRouter()


def base_url() -> str:
    from contentflow.web.app import public_base_url

    return public_base_url(router.current_event)


@router.post("/api/links", responses=answers(201, "the link and its short URL", errors=(409,)))
def create_link(link: LinkCreate) -> Response[Link]:
    return json_response(201, service.create_link(link, base_url()).model_dump(mode="json"))


@router.get("/api/links")
def list_links(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(pattern=r"^[0-9A-Za-z_-]{3,32}$", description="next_cursor of the previous page")
    ] = None,
) -> LinkPage:
    return service.list_links(limit, cursor, base_url())


@router.get("/api/links/<code>", responses=answers(errors=(404,)))
def get_link(code: str) -> Link:
    return service.get_link(code, base_url())


@router.patch("/api/links/<code>", responses=answers(errors=(404, 409)))
def update_link(code: str, changes: LinkUpdate) -> Link:
    return service.update_link(code, changes, base_url())


@router.delete("/api/links/<code>", responses=answers(errors=(404, 409)))
def disable_link(code: str) -> Link:
    return service.disable_link(code, base_url())
