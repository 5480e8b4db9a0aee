"""Display names of the engine's segment keys (the engine itself has no translations)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SEGMENT_LABELS: dict[str, Promise] = {
    "champions": _("Champions"),
    "loyal": _("Loyal"),
    "potential_loyalist": _("Potential loyalist"),
    "new": _("New"),
    "promising": _("Promising"),
    "need_attention": _("Need attention"),
    "about_to_sleep": _("About to sleep"),
    "at_risk": _("At risk"),
    "cant_lose": _("Can't lose"),
    "hibernating": _("Hibernating"),
    "lost": _("Lost"),
}


def segment_label(key: str | None) -> str:
    if not key:
        return "–"
    return str(SEGMENT_LABELS.get(key, key))
