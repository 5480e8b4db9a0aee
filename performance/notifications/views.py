"""The inbox page: the viewer's own notifications; opening it marks them read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from performance.notifications.selectors import (
    notification_list,
    notification_render,
    notification_unread_count,
)
from performance.notifications.services import notification_mark_read


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    rows = []
    for item in notification_list(user=request.user)[:200]:
        subject, body = notification_render(notification=item)
        rows.append(
            {"item": item, "subject": subject, "body": body, "unread": item.read_at is None}
        )
    return render(request, "performance/inbox.html", {"rows": rows})


@login_required
def nav_badges(request: HttpRequest) -> JsonResponse:
    """The navigation's counts, fetched by the page after it loads (pages stay query-lean)."""
    from allocation.selectors import relief_to_decide_count
    from performance.alerts.selectors import alert_open_count

    return JsonResponse(
        {
            "alerts": alert_open_count(user=request.user),
            "inbox": notification_unread_count(user=request.user),
            "relief": relief_to_decide_count(user=request.user),
        }
    )


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest) -> HttpResponse:
    notification_mark_read(user=request.user)
    return redirect("inbox")
