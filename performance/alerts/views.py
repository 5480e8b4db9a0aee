"""The Alerts page: the viewer's alerts, filtered, and the owner's acknowledge / resolve."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from allocation.access import viewer_scope
from performance.alerts.models import Alert
from performance.alerts.selectors import alert_get, alert_list, alert_message, alert_subject
from performance.alerts.services import alert_acknowledge, alert_resolve
from salesalloc.core.exceptions import ApplicationError
from salesalloc.core.queryparams import warn_query_problems


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("", gettext_lazy("Not resolved")),
            ("all", gettext_lazy("All")),
            *Alert.Status.choices,
        ],
    )
    level = forms.ChoiceField(
        label=gettext_lazy("Level"), required=False, choices=[("", "—"), *Alert.Level.choices]
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", "—"), *Alert.Kind.choices]
    )


class AlertActionForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("Comment"), required=False, max_length=2000)


@login_required
def alert_list_page(request: HttpRequest) -> HttpResponse:
    scope = viewer_scope(user=request.user)
    if scope.role == "none":
        raise PermissionDenied
    form = AlertFilterForm(request.GET or None)
    warn_query_problems(request, form)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    status = data.get("status") or ""
    alerts = alert_list(
        user=request.user,
        status=status if status not in ("", "all") else None,
        level=data.get("level") or None,
        kind=data.get("kind") or None,
    )
    if status == "":
        alerts = alerts.exclude(status=Alert.Status.RESOLVED)
    rows = [
        {"alert": alert, "subject": alert_subject(alert), "message": alert_message(alert)}
        for alert in alerts[:500]
    ]
    return render(
        request,
        "performance/alert_list.html",
        {"form": form, "rows": rows, "can_act": scope.can_manage},
    )


@login_required
@require_POST
def alert_action(request: HttpRequest, alert_id: int, action: str) -> HttpResponse:
    scope = viewer_scope(user=request.user)
    if not scope.can_manage:
        raise PermissionDenied
    alert = alert_get(user=request.user, alert_id=alert_id)
    form = AlertActionForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        if action == "acknowledge":
            alert_acknowledge(alert=alert, actor=request.user, comment=comment)
            messages.success(request, _("Alert acknowledged: it is yours now."))
        else:
            alert_resolve(alert=alert, actor=request.user, comment=comment)
            messages.success(request, _("Alert resolved."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return redirect(request.POST.get("next") or "alert-list")
