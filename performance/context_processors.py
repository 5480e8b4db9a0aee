"""Navigation badges: open alerts and unread notifications (two small counts per page)."""

from typing import Any

from django.http import HttpRequest


def badges(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from performance.alerts.selectors import alert_open_count
    from performance.notifications.selectors import notification_unread_count

    return {
        "open_alerts": alert_open_count(user=user),
        "unread_notifications": notification_unread_count(user=user),
    }
