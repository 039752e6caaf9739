"""The admin API's OpenAPI document, served at /api/openapi.json and committed as docs/openapi.json.

Powertools declares its own validation error shape (`HTTPValidationError`) and only the responses a
route names; the API answers every error as `Error`, and the gate can refuse any route. So the
document declares the gate's errors on every operation and `Error` in place of Powertools' shape.
"""

import json

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from contentflow.web.responses import GATE_ERRORS, ApiError, error_response

API_TITLE = "ContentFlow admin API"
API_VERSION = "1.0.0"
POWERTOOLS_ERRORS = ("HTTPValidationError", "ValidationError")


def openapi_document() -> dict:
    from contentflow.web.app import app

    schema = app.get_openapi_schema(
        title=API_TITLE,
        version=API_VERSION,
        description="Every route needs `Authorization: Bearer <API key>` with the scope it names; errors "
        'are `{"error": ...}`.',
        security_schemes={"bearerAuth": HTTPBearer()},
        security=[{"bearerAuth": []}],
    )
    document = schema.model_dump(mode="json", by_alias=True, exclude_none=True)
    return _declare_errors(document)


def _declare_errors(document: dict) -> dict:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in POWERTOOLS_ERRORS:
        schemas.pop(name, None)
    error = ApiError.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error.pop("$defs", {}))
    schemas["Error"] = error
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in GATE_ERRORS:
                responses[str(status)] = error_response(status)
    return document


def main() -> None:
    print(json.dumps(openapi_document(), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
