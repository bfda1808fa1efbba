"""Production: everything secret or host-specific comes from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    DATABASE_URL_FROM_ENV,
    DATABASES,
    EMAIL_BACKEND_FROM_ENV,
    OMNISHOP_TRUSTED_PROXY_COUNT,
    SECRET_KEY,
    SECURE_HSTS_PRELOAD_FROM_ENV,
    SECURE_HSTS_SECONDS_FROM_ENV,
    SECURE_SSL_REDIRECT_FROM_ENV,
)

DEBUG = False
if SECRET_KEY.startswith("insecure-"):
    raise ImproperlyConfigured("Set DJANGO_SECRET_KEY in the environment for production.")
if not DATABASE_URL_FROM_ENV or DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL=postgres://...")

# X-Forwarded-Proto is believed only with a reverse proxy in front that overwrites it (nginx in
# the compose file); with gunicorn facing clients anyone could claim https.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if OMNISHOP_TRUSTED_PROXY_COUNT > 0 else None
SECURE_SSL_REDIRECT = SECURE_SSL_REDIRECT_FROM_ENV
# /healthz is probed over plain HTTP by load balancers inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = SECURE_HSTS_SECONDS_FROM_ENV
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = SECURE_HSTS_PRELOAD_FROM_ENV
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = EMAIL_BACKEND_FROM_ENV or "django.core.mail.backends.smtp.EmailBackend"
# HSTS preloading binds the whole domain for months: an operator opts in with
# DJANGO_SECURE_HSTS_PRELOAD=1; until then the deploy check's reminder is expected.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
