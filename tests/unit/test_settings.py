"""Every setting has one default, is documented in .env.example, and is validated."""

import re

import pytest

from contentflow.config import Settings
from contentflow.defaults import DEFAULTS, setting
from tests.conftest import ROOT


def example_values() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))


def test_env_example_lists_every_setting_with_its_default():
    example = example_values()
    assert set(example) == set(DEFAULTS)
    for name, default in DEFAULTS.items():
        assert example[name] in {str(default), str(default).lower()} or float(example[name]) == default, name


def test_every_default_is_a_settings_field():
    assert {name.lower() for name in DEFAULTS} == set(Settings.model_fields)


def test_each_setting_in_env_example_is_explained():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            assert lines[i - 1].startswith("# "), f"{line} has no explanation above it"


def test_settings_read_the_environment_and_reject_bad_values(monkeypatch):
    monkeypatch.setenv("DEFAULT_EPC_EUR", "0.45")
    assert Settings().default_epc_eur == 0.45
    assert setting("DEFAULT_EPC_EUR") == 0.45
    monkeypatch.setenv("DEFAULT_EPC_EUR", "-1")
    with pytest.raises(ValueError, match="default_epc_eur"):
        Settings()
    monkeypatch.setenv("STAGE", "qa")
    with pytest.raises(ValueError, match="stage"):
        Settings()
