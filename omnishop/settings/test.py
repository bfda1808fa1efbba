"""Test settings: PostgreSQL from DATABASE_URL (CI's server, or the embedded one `make test` starts); fast hashing."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
LANGUAGE_CODE = "en"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Serve static files straight from the apps (no collectstatic needed).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# Throttles stay on, with budgets no ordinary test reaches unless the environment sets one (the
# multi-process throttle test starts servers that way); the throttle tests set their own rates.
# The cache is per process unless CACHE_URL says otherwise (no queries in the query-count tests),
# and conftest clears it before each test.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://omnishop-tests")}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        scope: env(f"OMNISHOP_THROTTLE_{scope.upper()}", default="100000/min")
        for scope in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    },
}
