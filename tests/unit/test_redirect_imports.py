"""The redirect's cold start pays for every module it imports: keep the heavy ones out."""

import json
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("handler", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(json.dumps(sorted(sys.modules)))
"""


def imported_by(function: str) -> set[str]:
    path = ROOT / "functions" / function / "handler.py"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(json.loads(result.stdout))


def test_redirect_imports_neither_pydantic_nor_numpy_nor_xray():
    modules = imported_by("redirect")
    assert "contentflow.clicks.service" in modules  # the probe really loaded the handler
    heavy = {m for m in modules if m.split(".")[0] in {"pydantic", "pydantic_core", "numpy", "aws_xray_sdk"}}
    assert heavy == set()


def test_the_probe_sees_pydantic_where_it_is_used():
    assert "pydantic" in imported_by("api")


def test_the_redirect_makes_powertools_logger_only_when_it_logs():
    """Powertools (with typing_extensions) was a fifth of the redirect's cold start: its logger is made
    on the first line logged (a failed click write), and the EMF line is the redirect's own."""
    modules = imported_by("redirect")
    assert not {m for m in modules if m.split(".")[0] in {"aws_lambda_powertools", "typing_extensions"}}


def test_the_api_loads_the_pages_modules_only_for_a_page():
    """Jinja2, pygal, segno and itsdangerous (the `ui` layer) cost the API's cold start nothing."""
    modules = imported_by("api")
    assert "contentflow.web.app" in modules and "contentflow.web.ui.app" not in modules
    assert not {m for m in modules if m.split(".")[0] in {"jinja2", "pygal", "segno", "itsdangerous"}}
