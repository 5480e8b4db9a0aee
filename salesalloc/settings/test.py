"""Settings for the test suite: fast hashing, local cache, synchronous tasks."""

import tempfile
from pathlib import Path

from salesalloc.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
SALESALLOC_BACKGROUND_THREAD = False
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="salesalloc-test-media-"))
DEBUG = False
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "100000/minute"}}
# Unit-test data lives in a transaction no heartbeat thread could see: beat only at the start.
SALESALLOC_HEARTBEAT_SECONDS = 0
# A second alias that mirrors the test database, so the replica router is tested for real;
# the router uses it only where a test sets SALESALLOC_REPLICA_ALIAS = "replica".
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
SALESALLOC_REPLICA_ALIAS = ""
SALESALLOC_TRACKING_CACHE_SECONDS = 0  # tests that cache turn it on themselves
