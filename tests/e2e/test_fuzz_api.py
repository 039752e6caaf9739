"""Schemathesis against a running `contentflow dev`: every /api operation of the OpenAPI document the
runtime serves, valid and invalid inputs, with an admin key. No 5xx, and every answer (status,
content type, body) as the document declares it.

The runtime is this module's own, so the fuzzer's links, keys and flag switches stay out of the
other end-to-end tests. The number of examples is bounded to keep the run short.
"""

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from contentflow.security.service import new_raw_key
from contentflow.web.openapi import openapi_document
from tests.e2e.conftest import start_dev

pytestmark = pytest.mark.e2e
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
KEY = new_raw_key()
# The document the runtime serves is this one (test_the_runtime_serves_the_fuzzed_document).
schema = schemathesis.openapi.from_dict(openapi_document()).include(path_regex=r"^/api/")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    server = start_dev(tmp_path_factory.mktemp("fuzz"), CONTENTFLOW_ADMIN_KEY=KEY)
    try:
        yield server.url
    finally:
        server.stop(timeout_s=5)


def test_the_runtime_serves_the_fuzzed_document(fuzzed):
    served = httpx.get(f"{fuzzed}/api/openapi.json", headers={"Authorization": f"Bearer {KEY}"})
    assert served.status_code == 200 and served.json() == openapi_document()


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is a bug, not bad luck
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_every_answer_matches_the_document(case, fuzzed):
    case.call_and_validate(base_url=fuzzed, headers={"Authorization": f"Bearer {KEY}"}, checks=CHECKS)
