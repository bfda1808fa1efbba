"""Laptop defaults: Celery eager, e-mails written to files in .mail/ (the database: DATABASE_URL, see `make run`)."""

from .base import *  # noqa: F403
from .base import BASE_DIR, DEBUG_FROM_ENV, EMAIL_BACKEND_FROM_ENV, env

# One .eml file per e-mail (open it in a mail client): the demo's order notices, with their HTML
# and QR images, would flood the console.
EMAIL_BACKEND = EMAIL_BACKEND_FROM_ENV or "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = BASE_DIR / ".mail"

DEBUG = True if DEBUG_FROM_ENV is None else DEBUG_FROM_ENV

# No broker and no beat on a laptop: outbox events go to the webhook subscribers right after
# each commit, in the process (a subscription to a local receiver shows them arrive).
OMNISHOP_WEBHOOKS_DISPATCH_WITHOUT_BROKER = env.bool("OMNISHOP_WEBHOOKS_DISPATCH_WITHOUT_BROKER", default=True)

# Serve static files straight from the apps (no collectstatic needed).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
