"""The admin API's OpenAPI document, served at /api/openapi.json and committed as docs/openapi.json.

Powertools declares its own validation error shapes (`HTTPValidationError`, `ValidationError`,
`ResponseValidationError`, always added whether used or not) and only the responses a route names;
the API answers every error as `Error`, and the gate can refuse any route. So the document declares
the gate's errors on every operation, `Error` in place of Powertools' shapes, and keeps only the
schemas something refers to: a `$ref` to a dropped schema makes validators and client generators
stop. Operations are named after their handler (`create_link`, not Powertools'
`create_link_api_links_post`) and tagged by resource, so a generated client reads like the API.
"""

import json
import re
from collections import Counter

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from contentflow.web.responses import GATE_ERRORS, ApiError, error_response

API_TITLE = "ContentFlow admin API"
API_VERSION = "1.0.0"
SCHEMA_REF = "#/components/schemas/"


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
    _declare_errors(document)
    _name_operations(document)
    _drop_unused_schemas(document)
    return document


def _operations(document: dict):
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            yield path, method, operation


def _declare_errors(document: dict) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    error = ApiError.model_json_schema(ref_template=SCHEMA_REF + "{model}")
    schemas.update(error.pop("$defs", {}))
    schemas["Error"] = error
    for _, _, operation in _operations(document):
        responses = operation.setdefault("responses", {})
        for status in GATE_ERRORS:
            responses[str(status)] = error_response(status)


def _name_operations(document: dict) -> None:
    """The handler's name as operationId when no other operation has it (ids must be unique), and
    the resource (`/api/<resource>/...`) as tag unless the route set its own; every tag declared."""
    short = {}
    for path, method, operation in _operations(document):
        suffix = re.sub(r"\W", "_", path) + "_" + method  # how Powertools builds its default id
        operation_id = operation.get("operationId", "")
        if operation_id.endswith(suffix) and len(operation_id) > len(suffix):
            short[(path, method)] = operation_id.removesuffix(suffix)
    taken = Counter(short.get((p, m), o.get("operationId")) for p, m, o in _operations(document))
    for path, method, operation in _operations(document):
        name = short.get((path, method))
        if name and taken[name] == 1:
            operation["operationId"] = name
        if not operation.get("tags"):
            parts = path.strip("/").split("/")
            operation["tags"] = [parts[1] if parts[0] == "api" and len(parts) > 1 else parts[0]]
    used = {tag for _, _, operation in _operations(document) for tag in operation["tags"]}
    declared = {tag["name"] for tag in document.get("tags", [])}
    document.setdefault("tags", []).extend({"name": tag} for tag in sorted(used - declared))


def _drop_unused_schemas(document: dict) -> None:
    """Keep only the component schemas the operations reach, directly or through other schemas."""
    schemas = document.get("components", {}).get("schemas", {})
    outside = {key: value for key, value in document.items() if key != "components"}
    pending = _refs(outside)
    used = set()
    while pending:
        name = pending.pop()
        if name not in used and name in schemas:
            used.add(name)
            pending |= _refs(schemas[name])
    for name in set(schemas) - used:
        del schemas[name]


def _refs(node) -> set[str]:
    """The names of the component schemas `node` refers to."""
    if isinstance(node, list):
        return set().union(*map(_refs, node))
    if not isinstance(node, dict):
        return set()
    found = set().union(*map(_refs, node.values()))
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMA_REF):
        found.add(ref.removeprefix(SCHEMA_REF))
    return found


def main() -> None:
    print(json.dumps(openapi_document(), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
