"""Celery application.

With ``CELERY_BROKER_URL``/``REDIS_URL`` unset, settings switch tasks to eager (in-process)
mode, so the same code runs without a broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesalloc.settings.base")

app = Celery("salesalloc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["salesalloc"], related_name="pipeline")
