"""Settings of the checkout benchmark's server: production settings, plus the ceiling endpoint.

Only the URL configuration differs, so omnishop's order POST and the framework ceiling are served
by the same gunicorn workers with the same middleware, database and authentication settings.
"""

from omnishop.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.ceiling_urls"
