"""Messages kept untranslated until they are shown, so each viewer reads them in their language.

A background job (an order import) writes messages that people read later, maybe in another
language than the one it ran in. Storing the rendered sentence would freeze the uploader's
language; a ``Text`` keeps the English source (the msgid, marked with ``gettext_noop`` so
``makemessages`` finds it) and its parameters, and is translated with ``gettext`` when it is
shown. Parameters may be Texts themselves (a translated phrase inside a sentence), or lists
(shown joined by ", ").

Stored as JSON: ``{"msgid": "...", "params": {...}}``; ``text_render`` also accepts plain
strings (messages stored before this existed) and lists (sentences joined by a space).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

JsonText = dict[str, Any]


class Text:
    """A translatable message and its parameters; ``str()`` renders it in the active language."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, params: Mapping[str, Any] | None = None) -> None:
        self.msgid = msgid
        self.params = dict(params or {})

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Text({self.msgid!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.msgid, self.params) == (other.msgid, other.params)

    def __hash__(self) -> int:
        return hash(self.msgid)

    def render(self) -> str:
        """The message in the active language, its parameters filled in."""
        translated = gettext(self.msgid)
        if not self.params:
            return translated
        shown = {name: _shown(value) for name, value in self.params.items()}
        for template in (translated, self.msgid):
            try:
                return template % shown
            except (KeyError, TypeError, ValueError):
                continue  # a stored message must always show; fall back to the source
        return self.msgid

    def as_json(self) -> JsonText:
        return {"msgid": self.msgid, "params": {k: _json(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Text:
        params = {name: _from_json(item) for name, item in (value.get("params") or {}).items()}
        return cls(str(value.get("msgid", "")), params)


def _shown(value: Any) -> Any:
    """A parameter as the message shows it; a list is its items joined by ", "."""
    if isinstance(value, Text):
        return value.render()
    if _is_text_json(value):
        return Text.from_json(value).render()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_shown(item)) for item in value)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    return value.as_json() if isinstance(value, Text) else value


def _from_json(value: Any) -> Any:
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    return Text.from_json(value) if _is_text_json(value) else value


def _is_text_json(value: Any) -> bool:
    return isinstance(value, Mapping) and "msgid" in value


def text_render(stored: Any) -> str:
    """A stored message in the active language: a Text's JSON, a list of them, or plain text."""
    if stored is None:
        return ""
    if isinstance(stored, Text):
        return stored.render()
    if _is_text_json(stored):
        return Text.from_json(stored).render()
    if isinstance(stored, (list, tuple)):
        return " ".join(part for part in (text_render(item) for item in stored) if part)
    return str(stored)


def text_json(message: Text | str) -> JsonText | str:
    """What to store for ``message``: a Text as JSON, plain text as it is."""
    return message.as_json() if isinstance(message, Text) else message
