"""The synthesized templates pass the latest cfn-lint (pinned in the dev extra) with no error."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
ERRORS = 2  # cfn-lint's exit code is a bit field: 2 errors, 4 warnings, 8 informational


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_no_cfn_lint_error(synth, stage, tmp_path):
    template = tmp_path / f"{stage}.json"
    template.write_text(json.dumps(synth(stage).template))
    result = subprocess.run(
        [str(CFN_LINT), "--format", "parseable", str(template)], capture_output=True, text=True
    )
    assert result.returncode in (0, 4, 8, 12), f"cfn-lint did not run or found errors:\n{result}"
    assert not result.returncode & ERRORS
    assert not [line for line in result.stdout.splitlines() if ":E" in line]


def test_the_lint_finds_a_broken_template(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {}}}}))
    result = subprocess.run([str(CFN_LINT), str(broken)], capture_output=True, text=True)
    assert result.returncode & ERRORS, result.stdout
