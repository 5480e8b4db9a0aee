"""The roof: the project package as an app of its own.

``salesalloc`` (outside ``salesalloc/core``) composes the apps: the URL configuration, the
import -> recompute pipeline, the demo, the commands that span apps, the navigation that
every page shows and the error pages. It may import every app; no app imports it.
"""

from django.apps import AppConfig


class SalesallocConfig(AppConfig):
    name = "salesalloc"
    label = "salesalloc"
    verbose_name = "salesalloc"

    def ready(self) -> None:
        # Connect the import -> recompute workflow (the one documented signal receiver).
        # Imported here, not at the top: the pipeline imports models, which need the app
        # registry that Django fills before it calls ready().
        import salesalloc.pipeline  # noqa: F401
