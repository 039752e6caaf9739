"""/api/webhooks: subscribe URLs to events, read, change and delete subscriptions (scope
`webhooks:admin`; every change audited). A subscription's signing secret is shown once, at creation."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import BaseModel

from contentflow.web.responses import answers, error, json_response
from contentflow.webhooks import service
from contentflow.webhooks.models import (
    WEBHOOK_ID_PATTERN,
    Delivery,
    Webhook,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookUpdate,
)

router = APIGatewayHttpRouter()
WebhookId = Annotated[str, Path(pattern=WEBHOOK_ID_PATTERN, description="the subscription's id")]


class DeliveryPage(BaseModel):
    deliveries: list[Delivery]


@router.get("/api/webhooks")
def list_webhooks() -> WebhookPage:
    """Every subscription (never a secret)."""
    return service.list_webhooks()


@router.post("/api/webhooks", responses=answers(201, "the new subscription: `secret` is shown this once"))
def create_webhook(request: WebhookCreate) -> Response[WebhookCreated]:
    """Subscribe a URL to event types; the answer holds the signing secret, which is never shown again."""
    created = service.create_webhook(request)
    return json_response(201, created.model_dump(mode="json"))


@router.get("/api/webhooks/<webhook_id>", responses=answers(errors=(404,)))
def get_webhook(webhook_id: WebhookId) -> Webhook:
    return service.get_webhook(webhook_id)


@router.get("/api/webhooks/<webhook_id>/deliveries", responses=answers(errors=(404,)))
def list_deliveries(webhook_id: WebhookId, limit: Annotated[int, Query(ge=1, le=100)] = 50) -> DeliveryPage:
    """The subscription's latest deliveries, newest first: status, attempts, the receiver's answer."""
    return DeliveryPage(deliveries=service.deliveries(webhook_id, limit))


@router.patch("/api/webhooks/<webhook_id>", responses=answers(errors=(404, 409)))
def update_webhook(webhook_id: WebhookId, change: WebhookUpdate) -> Webhook:
    """Change the fields given; send the `version` you read to refuse (409) a change made meanwhile."""
    return service.update_webhook(webhook_id, change)


@router.delete(
    "/api/webhooks/<webhook_id>", responses=answers(200, "the deleted subscription", errors=(404, 409))
)
def delete_webhook(webhook_id: WebhookId) -> Webhook:
    """Delete the subscription and its secret: nothing is sent to it any more."""
    return service.delete_webhook(webhook_id)


@router.exception_handler(service.WebhookNotFound)
def webhook_not_found(exc: service.WebhookNotFound):
    return error(404, f"no webhook with id '{exc}'")


@router.exception_handler(service.WebhookChanged)
def webhook_changed(exc: service.WebhookChanged):
    return error(409, str(exc))
