"""Every admin route of the catalog, whatever it does: no key, a revoked or expired key, a key without
the route's scope, and a key with exactly that scope."""

import pytest

from contentflow.resources import AUTHENTICATED
from contentflow.security.models import SCOPES, grants
from tests.integration.security_support import API_ROUTES, call, key_with, route_key

NO_KEYS = (None, "Bearer", "Bearer cf_000000000000_" + "A" * 32, "Basic dXNlcjpwdw==", "Bearer not-a-key")


@pytest.mark.parametrize("route", API_ROUTES, ids=route_key)
def test_each_route_answers_by_the_key_and_its_scope(aws, route):
    for header in NO_KEYS:
        status, _, body = call(route, None, headers={"authorization": header} if header else None)
        assert (status, "API key" in body["error"]) == (401, True), header

    for state in ("revoked", "expired"):  # even a key with every scope
        status, _, body = call(route, key_with("admin", **{state: True}))
        assert (status, "API key" in body["error"]) == (401, True), state

    if route.scope != AUTHENTICATED:  # any valid key may call the others: no scope can be lacking
        lacking = [s for s in SCOPES if not grants({s}, route.scope)]
        status, _, body = call(route, key_with(*lacking))
        assert (status, route.scope in body["error"]) == (403, True), lacking

    exactly = "links:read" if route.scope == AUTHENTICATED else route.scope
    status, _, body = call(route, key_with(exactly))
    assert status not in (401, 403) and status < 500, body


def test_every_admin_route_requires_a_declared_scope():
    for route in API_ROUTES:
        assert route.scope == AUTHENTICATED or route.scope in SCOPES, route_key(route)
