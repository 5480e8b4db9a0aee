"""Every user-visible string has a real Simplified Chinese translation; the catalogue is current.

- The committed ``locale/zh_Hans/LC_MESSAGES/django.po`` has no empty and no fuzzy entry.
- ``msgfmt --check`` accepts it (placeholders such as ``%(name)s`` match) and the committed
  ``django.mo`` is its compilation.
- ``makemessages`` run over a temporary copy of the project finds no msgid that the committed
  ``.po`` lacks: adding an untranslated string anywhere breaks the build. Fix it with
  ``make messages`` (or ``manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var
  --ignore=bench``), translate, then ``manage.py compilemessages``.
"""

from __future__ import annotations

import ast
import gettext
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
MAKEMESSAGES_IGNORES = (".venv", "var", "bench")

HAS_GETTEXT = all(shutil.which(tool) for tool in ("msgfmt", "xgettext", "msgmerge", "msguniq"))
needs_gettext = pytest.mark.skipif(
    not HAS_GETTEXT,
    reason="GNU gettext tools (msgfmt, xgettext, msgmerge, msguniq) are not installed",
)

# Not part of the translatable sources: VCS, environments, caches, data and build output.
COPY_IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "var", "bench", "node_modules", "__pycache__", ".pytest_cache",
    ".ruff_cache", ".hypothesis", ".mypy_cache", "test-results", ".env", "*.csv", "*.xlsx",
    "*.mo", "*.sqlite3",
)  # fmt: skip


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    def label(self) -> str:
        context = f" [{self.msgctxt}]" if self.msgctxt else ""
        return f"line {self.line}: {self.msgid!r}{context}"


def parse_po(text: str) -> list[Entry]:
    """The live (non-obsolete) entries of a .po file, header excluded."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal current, started, target
        if started and current.msgid:
            entries.append(current)
        current, started, target = Entry(), False, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue  # obsolete
        if line.startswith("#,"):
            if started and current.msgstr:
                finish()
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if target is None:
                raise ValueError(f"{PO_PATH}:{number}: continuation line without a keyword")
            name, index = target
            if name == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, name, (getattr(current, name) or "") + value)
            continue
        if keyword in ("msgctxt", "msgid") and started and current.msgstr:
            finish()
        value = ast.literal_eval(rest)
        if keyword in ("msgctxt", "msgid", "msgid_plural"):
            if not started:
                current.line = number
            started = True
            setattr(current, keyword, value)
            target = (keyword, 0)
        elif keyword == "msgstr":
            current.msgstr[0] = value
            target = ("msgstr", 0)
        elif keyword.startswith("msgstr["):
            index = int(keyword[7:-1])
            current.msgstr[index] = value
            target = ("msgstr", index)
        else:
            raise ValueError(f"{PO_PATH}:{number}: unexpected line {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def committed() -> list[Entry]:
    assert PO_PATH.is_file(), f"{PO_PATH} is missing"
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


def test_parser_reads_contexts_plurals_and_continuations():
    text = (
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#, python-format\nmsgctxt "header"\nmsgid "row"\nmsgstr "行号"\n\n'
        'msgid ""\n"long "\n"text"\nmsgstr "长文本"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] ""\n\n'
        '#~ msgid "gone"\n#~ msgstr "旧"\n'
    )
    entries = parse_po(text)
    assert [(e.msgctxt, e.msgid, e.msgstr) for e in entries] == [
        ("header", "row", {0: "行号"}),
        (None, "long text", {0: "长文本"}),
        (None, "one", {0: ""}),
    ]
    assert entries[0].flags == {"python-format"}
    assert entries[2].msgid_plural == "many"


def test_every_message_has_a_chinese_translation(committed):
    assert len(committed) > 100, "the catalogue looks truncated"
    empty = [e.label() for e in committed if not e.msgstr or any(not s for s in e.msgstr.values())]
    fuzzy = [e.label() for e in committed if "fuzzy" in e.flags]
    assert not empty, "untranslated messages in django.po:\n" + "\n".join(empty)
    assert not fuzzy, "fuzzy (unreviewed) messages in django.po:\n" + "\n".join(fuzzy)


def test_catalogue_has_no_duplicate_messages(committed):
    keys = [e.key for e in committed]
    duplicates = sorted({k for k in keys if keys.count(k) > 1}, key=str)
    assert not duplicates


@needs_gettext
def test_po_compiles_cleanly_and_the_mo_is_up_to_date(tmp_path):
    compiled = tmp_path / "django.mo"
    result = subprocess.run(  # noqa: S603 - fixed arguments
        ["msgfmt", "--check", "-o", str(compiled), str(PO_PATH)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert MO_PATH.is_file(), "django.mo is missing: run manage.py compilemessages"
    with compiled.open("rb") as fresh, MO_PATH.open("rb") as committed_mo:
        fresh_catalog = gettext.GNUTranslations(fresh)._catalog  # type: ignore[attr-defined]
        committed_catalog = gettext.GNUTranslations(committed_mo)._catalog  # type: ignore[attr-defined]
    stale = sorted(
        str(key)
        for key in fresh_catalog.keys() | committed_catalog.keys()
        if key != "" and fresh_catalog.get(key) != committed_catalog.get(key)
    )
    assert not stale, "django.mo is stale, run manage.py compilemessages:\n" + "\n".join(stale)


@needs_gettext
def test_makemessages_finds_no_string_missing_from_the_catalogue(tmp_path, committed):
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE, symlinks=False)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "salesalloc.settings.test",
        "SALESALLOC_VAR_DIR": str(tmp_path / "var"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    command = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"]
    command += [f"--ignore={pattern}" for pattern in MAKEMESSAGES_IGNORES]
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        command, cwd=copy, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr

    regenerated = parse_po((copy / PO_PATH.relative_to(ROOT)).read_text(encoding="utf-8"))
    known = {e.key for e in committed}
    new = sorted(e.label() for e in regenerated if e.key not in known)
    assert not new, (
        "strings in the code that django.po lacks; run makemessages, translate them and "
        "run compilemessages:\n" + "\n".join(new)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"},
        {"HTTP_ACCEPT_LANGUAGE": "zh-Hans"},
        {"HTTP_COOKIE": f"{settings.LANGUAGE_COOKIE_NAME}=zh-hans"},
    ],
)
def test_pages_render_in_chinese_when_the_browser_or_cookie_asks(headers):
    html = Client().get("/login/", **headers).content.decode()
    assert '<html lang="zh-hans"' in html
    assert "<title>登录 · 销售分摊管理</title>" in html
    assert "用户名" in html


@pytest.mark.django_db
def test_pages_render_in_english_by_default():
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="fr-FR").content.decode()
    assert '<html lang="en"' in html
    assert "<title>Sign in · Sales allocation</title>" in html
