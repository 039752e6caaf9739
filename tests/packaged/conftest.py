"""The packaged-function tests share the integration fixtures (moto, links)."""

from tests.integration.conftest import make_link  # noqa: F401 (a fixture)
