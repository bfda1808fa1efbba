"""Laptop defaults: Celery eager, e-mails on the console (the database: DATABASE_URL, see `make run`)."""

from .base import *  # noqa: F403
from .base import DEBUG_FROM_ENV

DEBUG = True if DEBUG_FROM_ENV is None else DEBUG_FROM_ENV

# Serve static files straight from the apps (no collectstatic needed).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
