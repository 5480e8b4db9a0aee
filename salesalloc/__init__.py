"""salesalloc: sales target allocation (销售分摊管理)."""

from salesalloc.celery import app as celery_app

__all__ = ["celery_app"]
