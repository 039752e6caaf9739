"""JSON responses shared by the routers and the gate."""

from aws_lambda_powertools.event_handler import Response, content_types


def json_response(status: int, body: dict | list, headers: dict | None = None) -> Response:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def error(status: int, message: str, **details) -> Response:
    return json_response(status, {"error": message, **details})
