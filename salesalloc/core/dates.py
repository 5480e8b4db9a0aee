"""One way to show a moment and a day on every page, export and message.

Times are shown in the configured ``TIME_ZONE`` (``DJANGO_TIME_ZONE``, default Asia/Shanghai)
as ``2019-03-31 14:05``, days as ``2019-03-31``: the same in English and Chinese, sortable,
and never in the browser's own zone (the editor's audit trail formats the API's timestamps,
which carry that zone's offset, the same way: ``static/js/app.js`` ``formatWhen``). Templates
use the ``when`` and ``day`` filters (``salesalloc.core.templatetags.ui``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone

DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"


def site_zone() -> dt.tzinfo:
    """The configured time zone (``settings.TIME_ZONE``)."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_datetime(value: dt.datetime | None) -> str:
    """``value`` in the configured time zone as ``YYYY-MM-DD HH:MM`` ("" for None).

    A naive value is taken to be in that zone already.
    """
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = value.astimezone(site_zone())
    return value.strftime(DATETIME_FORMAT)


def local_date(value: dt.date | dt.datetime | None) -> str:
    """A day as ``YYYY-MM-DD`` (an aware datetime: its day in the configured zone)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = value.astimezone(site_zone())
        value = value.date()
    return value.strftime(DATE_FORMAT)
