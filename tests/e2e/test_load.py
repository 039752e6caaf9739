"""`make load` in small: a few seconds of mixed traffic on a `contentflow dev` of its own (no other
test's clicks in its report), and every redirect counted once by the stream aggregation."""

import pytest

from bench.load import run
from contentflow.security.service import new_raw_key
from tests.e2e.conftest import start_dev

pytestmark = pytest.mark.e2e


def test_a_short_load_loses_no_click_and_counts_none_twice(tmp_path):
    key = new_raw_key()
    server = start_dev(tmp_path, CONTENTFLOW_ADMIN_KEY=key)
    try:
        result = run(server.url, key, duration_s=3, workers=4, timeout_s=60, settle_s=2)
    finally:
        code = server.stop(timeout_s=10)
    assert code == 0, server.output()

    tally, verdict = result.tally, result.verdict
    assert not tally.errors and not tally.unknown_outcome, tally.errors
    assert {"human-new", "human-returning", "bot"} <= set(tally.redirects), tally.redirects
    assert verdict.expected == sum(tally.redirects.values()) > 0
    assert (verdict.lost, verdict.duplicated) == (0, 0), verdict
    assert verdict.human == tally.redirects["human-new"] + tally.redirects["human-returning"]
    assert verdict.bot == tally.redirects["bot"]
    assert result.ok
