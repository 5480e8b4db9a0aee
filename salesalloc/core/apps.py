from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The floor: leaf utilities every app may import. It imports no app."""

    name = "salesalloc.core"
    label = "core"
    verbose_name = "salesalloc core"

    def ready(self) -> None:
        from salesalloc.core import checks  # noqa: F401 - registers the system checks
