"""Repository hygiene that CI enforces as part of the suite: lint, format, types, migrations."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.skipif(not RUFF.exists(), reason="ruff is not installed in this environment")
@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(args):
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [str(RUFF), *args], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_no_type_error():
    """The application type-checks (``[tool.mypy]`` in pyproject.toml: django-stubs, DRF stubs,
    pandas-stubs; strict on the engine). Incremental: later runs reuse ``.mypy_cache``."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_migrations_have_descriptive_names():
    auto = [p.name for p in ROOT.glob("*/migrations/*_auto_*.py")]
    assert auto == []
