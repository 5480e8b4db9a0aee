"""Content-Security-Policy on every page (tests run with it too) and pages that need no
inline code; HSTS is checked with the production settings in test_deploy.py."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


def test_pages_and_the_api_carry_a_strict_content_security_policy(company):
    signed_in = Client()
    signed_in.force_login(company.users["manager"])
    responses = {
        "/login/": Client().get("/login/"),
        **{
            url: signed_in.get(url)
            for url in ["/dashboard/", "/api/v1/org-units/", "/api/v1/docs/"]
        },
    }

    for url, response in responses.items():
        assert response.status_code == 200, url
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_the_api_docs_page_loads_its_script_and_styles_from_files():
    page = Client().get("/api/v1/docs/").content.decode()
    script = Client().get("/api/v1/docs/?script=")

    assert "<style" not in page
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")


@pytest.mark.parametrize("path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_have_no_inline_scripts_styles_or_event_handlers(path):
    html = path.read_text(encoding="utf-8")

    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert re.findall(r"<style\b", html) == []
    assert re.findall(r"\sstyle=", html) == []
    assert re.findall(r"\son[a-z]+=", html) == []
