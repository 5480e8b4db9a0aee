"""Deployment: the production settings, ``check --deploy``, collected static files, ``.env``.

Each case runs in a fresh Python process with an environment built from scratch (and a
``SALESALLOC_ENV_FILE`` that points into a temporary folder), so neither the test run's
settings nor a developer's ``.env`` leak in.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
PRODUCTION = "salesalloc.settings.production"


def _env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": PRODUCTION,
        "SALESALLOC_ENV_FILE": str(tmp_path / "no.env"),
        "SALESALLOC_VAR_DIR": str(tmp_path / "var"),
        # Never connected to by these checks; they only have to be configured.
        "DATABASE_URL": "postgres://salesalloc@127.0.0.1:5432/salesalloc_deploy_check",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "sales.example.com",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _settings_value(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    return _run(env, "-c", f"from django.conf import settings; print({expression})")


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    """A STATIC_ROOT filled by the documented deploy step, ``collectstatic``."""
    tmp_path = tmp_path_factory.mktemp("deploy")
    static_root = tmp_path / "static"
    result = _run(
        _env(tmp_path, DJANGO_STATIC_ROOT=str(static_root)),
        "manage.py",
        "collectstatic",
        "--noinput",
    )
    assert result.returncode == 0, result.stderr
    return static_root


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (["DJANGO_SECRET_KEY"], "DJANGO_SECRET_KEY"),
        (["DATABASE_URL"], "DATABASE_URL"),
        (["REDIS_URL"], "CELERY_BROKER_URL or REDIS_URL"),
        (["DJANGO_ALLOWED_HOSTS"], "DJANGO_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_to_start_without_its_services_and_secrets(tmp_path, missing, named):
    env = _env(tmp_path, **dict.fromkeys(missing))

    result = _settings_value(env, "settings.DATABASES")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"salesalloc.settings.production needs {named} to be set" in result.stderr


def test_an_empty_value_counts_as_missing(tmp_path):
    result = _settings_value(_env(tmp_path, DATABASE_URL=""), "settings.DATABASES")

    assert result.returncode != 0
    assert "needs DATABASE_URL to be set" in result.stderr


def test_production_runs_tasks_on_the_broker_never_in_process(tmp_path):
    env = _env(tmp_path, REDIS_URL=None, CELERY_BROKER_URL="redis://127.0.0.1:6379/14")

    result = _settings_value(
        env,
        "settings.CELERY_TASK_ALWAYS_EAGER, settings.SALESALLOC_BACKGROUND_THREAD, "
        "settings.DATABASES['default']['ENGINE'], settings.SECURE_HSTS_SECONDS, "
        "settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "False",
        "django.db.backends.postgresql",
        "31536000",
        "True",
        "True",
    ]


def test_hsts_preload_can_be_turned_off(tmp_path):
    env = _env(tmp_path, DJANGO_SECURE_HSTS_PRELOAD="false")

    result = _settings_value(env, "settings.SECURE_HSTS_PRELOAD")

    assert result.stdout.strip() == "False", result.stderr


def test_check_deploy_passes_with_production_settings_once_static_files_are_collected(
    tmp_path, collected
):
    env = _env(tmp_path, DJANGO_STATIC_ROOT=str(collected))

    result = _run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_loudly_when_static_files_were_not_collected(tmp_path):
    env = _env(tmp_path, DJANGO_STATIC_ROOT=str(tmp_path / "empty-static"))

    result = _run(env, "manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode != 0
    assert "core.E002" in result.stderr
    assert "collectstatic" in result.stderr


RENDER_LOGIN = """
import re
import django
django.setup()
from django.test import Client
response = Client().get("/login/", secure=True, HTTP_HOST="sales.example.com")
print(response.status_code)
print(response["Strict-Transport-Security"])
html = response.content.decode()
print(" ".join(sorted(re.findall(r'/static/css/app\\.[0-9a-f]{12}\\.css', html))))
"""


def test_after_collectstatic_a_page_renders_with_the_production_settings(tmp_path, collected):
    env = _env(tmp_path, DJANGO_STATIC_ROOT=str(collected))

    result = _run(env, "-c", RENDER_LOGIN)

    assert result.returncode == 0, result.stderr
    status, hsts, stylesheet = result.stdout.strip().splitlines()
    assert status == "200"
    assert hsts == "max-age=31536000; includeSubDomains; preload"
    assert stylesheet.startswith("/static/css/app.")  # the hashed name from the manifest


def test_every_value_in_the_env_file_takes_effect(tmp_path):
    var_dir = tmp_path / "var-from-env-file"
    env_file = tmp_path / "custom.env"
    env_file.write_text(
        f"SALESALLOC_VAR_DIR={var_dir}\nDJANGO_TIME_ZONE=UTC\nSALESALLOC_TRUSTED_PROXIES=2\n"
        "SALESALLOC_TOKEN_TTL_HOURS=5\n"
    )
    env = _env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="salesalloc.settings.base",
        SALESALLOC_ENV_FILE=str(env_file),
        SALESALLOC_VAR_DIR=None,
        DATABASE_URL=None,
        REDIS_URL=None,
    )

    result = _settings_value(
        env,
        "settings.VAR_DIR, settings.DATABASES['default']['NAME'], settings.STATIC_ROOT, "
        "settings.TIME_ZONE, settings.SALESALLOC_TRUSTED_PROXIES, "
        "settings.REST_KNOX['TOKEN_TTL']",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        str(var_dir),
        str(var_dir / "salesalloc.sqlite3"),
        str(var_dir / "static"),
        "UTC",
        "2",
        "5:00:00",
    ]


def test_the_process_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / "custom.env"
    env_file.write_text("DJANGO_TIME_ZONE=UTC\n")
    env = _env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="salesalloc.settings.base",
        SALESALLOC_ENV_FILE=str(env_file),
        DJANGO_TIME_ZONE="Europe/Berlin",
    )

    assert _settings_value(env, "settings.TIME_ZONE").stdout.strip() == "Europe/Berlin"


@pytest.mark.parametrize("module", ["salesalloc.settings.base", PRODUCTION])
def test_importing_settings_creates_nothing_on_disk(tmp_path, module):
    var_dir = tmp_path / "fresh-var"
    env = _env(
        tmp_path, DJANGO_SETTINGS_MODULE=module, SALESALLOC_VAR_DIR=str(var_dir), DATABASE_URL=None
    )
    if module == PRODUCTION:
        env["DATABASE_URL"] = "postgres://salesalloc@127.0.0.1:5432/salesalloc_deploy_check"

    result = _settings_value(env, "settings.STATIC_ROOT, settings.MEDIA_ROOT")

    assert result.returncode == 0, result.stderr
    assert str(var_dir) in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == []


def test_a_copy_of_env_example_gives_the_embedded_defaults(tmp_path):
    env_file = tmp_path / "copy.env"
    env_file.write_text((BASE_DIR / ".env.example").read_text())
    env = _env(
        tmp_path,
        DJANGO_SETTINGS_MODULE="salesalloc.settings.base",
        SALESALLOC_ENV_FILE=str(env_file),
        SALESALLOC_VAR_DIR=None,
        DATABASE_URL=None,
        REDIS_URL=None,
        DJANGO_SECRET_KEY=None,
        DJANGO_ALLOWED_HOSTS=None,
    )

    result = _settings_value(
        env,
        "settings.DATABASES['default']['NAME'], settings.MEDIA_ROOT, "
        "settings.CELERY_TASK_ALWAYS_EAGER, settings.CELERY_TASK_DEFAULT_QUEUE, "
        "settings.SALESALLOC_BACKGROUND_THREAD",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        str(BASE_DIR / "var" / "salesalloc.sqlite3"),
        str(BASE_DIR / "var" / "media"),
        "True",
        "celery",
        "True",
    ]


@pytest.mark.parametrize(
    ("work_mem", "options"),
    [(None, "-c work_mem=64MB"), ("256MB", "-c work_mem=256MB"), ("server", "")],
)
def test_postgres_connections_get_the_configured_work_mem(tmp_path, work_mem, options):
    env = _env(tmp_path, DJANGO_SETTINGS_MODULE="salesalloc.settings.base")
    if work_mem is not None:
        env["SALESALLOC_PG_WORK_MEM"] = work_mem

    result = _settings_value(
        env, "repr(settings.DATABASES['default'].get('OPTIONS', {}).get('options', ''))"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(options)


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_the_test_database_connection_runs_with_that_work_mem():
    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        assert cursor.fetchone()[0] == "64MB"
