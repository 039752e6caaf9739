"""GET /metrics: the Prometheus exporter (scope `metrics:read`).

Prometheus text 0.0.4 by default, OpenMetrics 1.0 when the Accept header asks for it (Prometheus
does), negotiated by prometheus_client itself. prometheus_client is imported on the first scrape,
so the other routes' cold start does not pay for it.
"""

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

router = APIGatewayHttpRouter()

_TEXT = {"schema": {"type": "string"}}


@router.get(
    "/metrics",
    description="Prometheus text 0.0.4, or OpenMetrics 1.0 when `Accept` asks for "
    "`application/openmetrics-text`. Needs the scope `metrics:read`.",
    responses={
        200: {
            "description": "The durable counters and queue depths, in Prometheus text or OpenMetrics",
            "content": {
                "text/plain; version=0.0.4": _TEXT,
                "application/openmetrics-text; version=1.0.0": _TEXT,
            },
        }
    },
)
def metrics() -> Response[str]:
    """Clicks, revenue, job runs, published posts, queue and DLQ depths, links by status."""
    from prometheus_client.exposition import choose_encoder

    from contentflow.analytics.exporter import registry

    encoder, content_type = choose_encoder(router.current_event.headers.get("accept", ""))
    return Response(200, content_type, encoder(registry()).decode(), headers={"Cache-Control": "no-store"})
