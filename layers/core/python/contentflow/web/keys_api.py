"""/api/keys: create, list and revoke API keys (scope `keys:admin`; every change audited)."""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from contentflow.security import service
from contentflow.security.models import KEY_ID_PATTERN, KeyCreate, KeyCreated, KeyPage, KeyView
from contentflow.web.responses import answers, error, json_response

router = APIGatewayHttpRouter()
KeyId = Annotated[str, Path(pattern=KEY_ID_PATTERN, description="the 12 hex digits after `cf_`")]


@router.get("/api/keys")
def list_keys(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[
        str | None, Query(pattern=KEY_ID_PATTERN, description="next_cursor of the previous page")
    ] = None,
) -> KeyPage:
    """Every key with its scopes, status and last use (never a secret or its hash)."""
    return service.list_keys(limit, cursor)


@router.post("/api/keys", responses=answers(201, "the new key: `key` is shown this once"))
def create_key(request: KeyCreate) -> Response[KeyCreated]:
    """A new key, with at most the scopes of the key that creates it."""
    raw, key = service.create_key(
        request.name, request.scopes, expires_at=request.expires_at, granted_by=router.context["principal"]
    )
    created = KeyCreated(**KeyView.of(key).model_dump(), key=raw)
    return json_response(201, created.model_dump(mode="json"))


@router.delete("/api/keys/<key_id>", responses=answers(200, "the revoked key", errors=(404, 409)))
def revoke_key(key_id: KeyId) -> KeyView:
    """Revoke a key for good: it is refused from the next request on, and stays listed."""
    return KeyView.of(service.revoke_key(key_id))


@router.exception_handler(service.KeyNotFound)
def key_not_found(exc: service.KeyNotFound):
    return error(404, f"no key with id '{exc}'")


@router.exception_handler(service.KeyAlreadyRevoked)
def already_revoked(exc: service.KeyAlreadyRevoked):
    return error(409, str(exc))


@router.exception_handler(service.ScopeNotHeld)
def scope_not_held(exc: service.ScopeNotHeld):
    return error(403, str(exc))
