from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PerformanceConfig(AppConfig):
    name = "performance"
    verbose_name = _("Performance")

    def ready(self) -> None:
        # Plan lifecycle and acknowledgements (allocation.signals) -> notifications.
        from performance.notifications import receivers  # noqa: F401

        # Published plans and the org tree -> a new tracking cache generation.
        from performance.tracking import receivers as tracking_receivers  # noqa: F401
