"""JSON responses shared by the routers and the gate, and how the OpenAPI document declares them."""

from aws_lambda_powertools.event_handler import Response, content_types
from pydantic import BaseModel, ConfigDict, Field


def json_response(status: int, body: dict | list, headers: dict | None = None) -> Response:
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers
    )


def error(status: int, message: str, **details) -> Response:
    return json_response(status, {"error": message, **details})


class Problem(BaseModel):
    field: str = Field(description="where, e.g. `affiliate_url` or `query.limit`; empty: the body")
    problem: str


class ApiError(BaseModel):
    """Every error of the admin API; some add context (e.g. `flags`, the names that exist)."""

    model_config = ConfigDict(extra="allow", title="Error")

    error: str = Field(description="what is wrong, in words")
    details: list[Problem] | None = Field(None, description="422: one entry per invalid field")
    hint: str | None = None


ERROR_REF = "#/components/schemas/Error"
WHY = {
    400: "the body is not JSON or nested too deeply, or a value breaks a rule across fields",
    401: "no API key, or a malformed, unknown, revoked or expired one",
    403: "the key lacks the route's scope",
    404: "no such item",
    409: "a conflict with the current state",
    413: "the body is larger than MAX_BODY_BYTES",
    415: "the body is not application/json",
    422: "a field is missing, of the wrong type or breaks its rule",
    503: "a store the route needs cannot be read",
}
GATE_ERRORS = (400, 401, 403, 413, 415, 422)  # any route can answer these: the OpenAPI document adds them


def error_response(status: int) -> dict:
    return {"description": WHY[status], "content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}


def answers(status: int = 200, description: str = "Successful Response", *, errors: tuple[int, ...] = ()):
    """`responses=` of a route: its success (the return annotation's schema) and its own errors."""
    return {status: {"description": description}, **{code: error_response(code) for code in errors}}
