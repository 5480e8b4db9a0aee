from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "salesalloc.core"
    label = "core"
    verbose_name = "salesalloc core"

    def ready(self) -> None:
        # Connect the import -> recompute workflow (the one documented signal receiver).
        import salesalloc.pipeline  # noqa: F401
        from salesalloc.core import checks  # noqa: F401 - registers the system checks
