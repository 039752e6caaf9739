"""The admin API's OpenAPI document, served at /api/openapi.json and committed as docs/openapi.json."""

import json

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

API_TITLE = "ContentFlow admin API"
API_VERSION = "1.0.0"


def openapi_document() -> dict:
    from contentflow.web.app import app

    schema = app.get_openapi_schema(
        title=API_TITLE,
        version=API_VERSION,
        description='Every route needs `Authorization: Bearer <API key>`; errors are `{"error": ...}`.',
        security_schemes={"bearerAuth": HTTPBearer()},
        security=[{"bearerAuth": []}],
    )
    return schema.model_dump(mode="json", by_alias=True, exclude_none=True)


def main() -> None:
    print(json.dumps(openapi_document(), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
