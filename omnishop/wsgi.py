import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omnishop.settings.production")

application = get_wsgi_application()

# Load every view, serializer and URL pattern now rather than on the first request, then move
# all those objects (they live as long as the process) out of the garbage collector's sight:
# a request that allocates a lot (a 10,000-row stock sync, a 50-line order) then triggers
# collections that scan its own objects, not the whole of Django each time.
get_resolver().url_patterns  # noqa: B018
gc.freeze()
