"""Malformed query parameters on pages: say so, never fail or fall back silently.

A page reads its filters from the address (``?year=2019&as_of=…``); a value it can't use
(``?year=abc``) gets a message naming the parameter, and the page shows its default. The
API answers 400 naming the parameter instead (its serializers, ``StandardPagination``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import HttpRequest
from django.utils.translation import gettext as _

MAX_SHOWN = 40  # characters of a refused value repeated in a message


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def query_problems(form: forms.Form) -> list[str]:
    """One message per query parameter a bound filter form refuses (none when it is valid)."""
    if not form.is_bound or form.is_valid():
        return []
    out = []
    for name, errors in form.errors.items():
        value = form.data.get(name, "") if name != "__all__" else ""
        reason = " ".join(str(e) for e in errors)
        if name == "__all__":
            out.append(
                _("The address asks for something this page can't show: %(reason)s")
                % {"reason": reason}
            )
            continue
        out.append(
            _(
                "“%(name)s=%(value)s” in the address can't be used (%(reason)s); showing the "
                "default."
            )
            % {"name": name, "value": _shown(value), "reason": reason.rstrip(".")}
        )
    return out


def warn_query_problems(request: HttpRequest, form: forms.Form) -> list[str]:
    """``query_problems`` as warning messages on the page; returns them too."""
    problems = query_problems(form)
    for problem in problems:
        messages.warning(request, problem)
    return problems


def warn_bad_param(request: HttpRequest, name: str, reason: str) -> None:
    """One warning for a query parameter a page reads by hand and can't use."""
    messages.warning(
        request,
        _("“%(name)s=%(value)s” in the address can't be used (%(reason)s); showing the default.")
        % {"name": name, "value": _shown(request.GET.get(name, "")), "reason": reason},
    )


def page_of(request: HttpRequest, paginator: Paginator, name: str = "page") -> Page:
    """The page the address asks for; a malformed or missing one gets a message, not a 404."""
    raw = request.GET.get(name)
    try:
        return paginator.page(raw or 1)
    except PageNotAnInteger:
        messages.warning(
            request,
            _("“%(name)s=%(value)s” in the address is not a page number; showing page 1.")
            % {"name": name, "value": _shown(raw)},
        )
        return paginator.page(1)
    except EmptyPage:
        last = paginator.num_pages
        messages.warning(
            request,
            _("There is no page %(value)s; showing page %(last)s, the last one.")
            % {"value": _shown(raw), "last": last},
        )
        return paginator.page(last)
