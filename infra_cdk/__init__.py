"""ContentFlow's CDK app: one stack per stage, built from the catalog in `contentflow.resources`."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The catalog is stdlib-only, so the app also works where the project itself is not installed.
_CORE = str(ROOT / "layers" / "core" / "python")
if _CORE not in sys.path:
    sys.path.append(_CORE)
