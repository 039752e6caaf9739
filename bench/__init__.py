"""Benchmarks (`make bench`): ratios measured side by side in one run, printed with their targets."""

import contextlib
import io
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """What the measured code prints on stdout, kept out of the benchmark's table: EMF metric lines
    (contentflow.observability, Powertools' `single_metric`) and JSON log lines. Captured, not
    switched off: POWERTOOLS_METRICS_DISABLED would spare the redirect the print it pays on Lambda,
    and `single_metric` heeds no setting. Shown on stderr if the block fails, to see why."""
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            yield
    except BaseException:
        sys.stderr.write(captured.getvalue())
        raise
