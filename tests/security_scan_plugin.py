"""A detect-secrets plugin for ContentFlow's own API keys (`cf_<12 hex>_<32 letters or digits>`), the
secret most likely to be pasted somewhere it does not belong; `.secrets.baseline` names this file.
Also how the tests load the baseline's settings."""

import json
import re
from contextlib import contextmanager
from pathlib import Path

from detect_secrets.plugins.base import RegexBasedDetector

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / ".secrets.baseline"


class ContentFlowKeyDetector(RegexBasedDetector):
    secret_type = "ContentFlow API key"
    denylist = (re.compile(r"\bcf_[0-9a-f]{12}_[0-9A-Za-z]{32}\b"),)


@contextmanager
def baseline_settings(*, entropy: bool = True):
    """The baseline's plugins (this one found from any directory; the entropy ones unless told not)
    and filters, for the duration; yields the baseline's known secrets."""
    from detect_secrets.core import baseline
    from detect_secrets.settings import transient_settings

    data = json.loads(BASELINE.read_text())
    data["plugins_used"] = [
        {**plugin, "path": f"file://{Path(__file__).resolve()}"} if "path" in plugin else plugin
        for plugin in data["plugins_used"]
        if entropy or "HighEntropy" not in plugin["name"]
    ]
    with transient_settings(data):
        yield baseline.load(data, str(BASELINE))
