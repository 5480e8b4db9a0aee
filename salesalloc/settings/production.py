"""Production hardening. Everything else comes from ``base``; secrets have no defaults.

Refuses to start (``ImproperlyConfigured``) without ``DJANGO_SECRET_KEY``,
``DJANGO_ALLOWED_HOSTS``, ``DATABASE_URL`` and a broker (``CELERY_BROKER_URL`` or
``REDIS_URL``): production never falls back to the embedded SQLite file or to in-process tasks.
Static files are served from ``STATIC_ROOT`` as collected by ``manage.py collectstatic``
(README, "Deploying"); ``manage.py check --deploy`` fails until they are.
"""

from django.core.exceptions import ImproperlyConfigured

from salesalloc.settings.base import *  # noqa: F403
from salesalloc.settings.base import env


def _required(*names: str, example: str) -> str:
    """The first of ``names`` set to a non-empty value, or ImproperlyConfigured naming them."""
    for name in names:
        value = env.str(name, default="")
        if value:
            return value
    wanted = " or ".join(names)
    raise ImproperlyConfigured(
        f"salesalloc.settings.production needs {wanted} to be set (e.g. {example}); "
        "it does not fall back to the embedded defaults."
    )


SECRET_KEY = _required("DJANGO_SECRET_KEY", example="50 random characters")
_required("DATABASE_URL", example="postgres://salesalloc@db.internal:5432/salesalloc")
_required("CELERY_BROKER_URL", "REDIS_URL", example="redis://redis.internal:6379/0")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    _required("DJANGO_ALLOWED_HOSTS", example="sales.example.com")

DEBUG = False
# A broker is configured, so tasks go to the workers; never run them in the web process.
CELERY_TASK_ALWAYS_EAGER = False
SALESALLOC_BACKGROUND_THREAD = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# HSTS: one year, subdomains included; preload (on by default) can be turned off for a
# domain that is not ready for the browsers' preload lists.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = False
