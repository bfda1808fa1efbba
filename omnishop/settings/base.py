"""Settings shared by every environment.

This is the one place that reads the environment (django-environ). local, test and
production import from here and only change constants.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from omnishop import embedded_pg

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A .env file next to manage.py is read when present (never committed).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- core -----------------------------------------------------------------------------
# None when unset: local defaults to True, production to False.
DEBUG_FROM_ENV = env.bool("DJANGO_DEBUG", default=None)
DEBUG = bool(DEBUG_FROM_ENV)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-only-key-change-me-" + "x" * 20)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# PostgreSQL only. Unset, DATABASE_URL is the embedded server that `make run` and `make test` start
# (`python -m omnishop.embedded_pg start` keeps one up for manage.py); commands that need no
# database (makemigrations --check, makemessages) run without one. Production requires it set.
DATABASE_URL_FROM_ENV = env("DATABASE_URL", default="")
DATABASES = {"default": env.db_url_config(DATABASE_URL_FROM_ENV or embedded_pg.url(embedded_pg.PREFERRED_PORT))}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...)")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache: shared by every process (throttles, login lockout) --------------------------
# CACHE_URL=redis://... in production; locally a table in the database (created by migrate's createcachetable).
CACHES = {"default": env.cache("CACHE_URL", default="dbcache://omnishop_cache")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "omnishop.cache.RedisCache"  # Django's, keeping its clients

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # third party
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "treebeard",
    "allauth",
    "allauth.account",
    "allauth.headless",
    "csp",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "import_export",
    # cross-cutting
    "omnishop.accounts",
    "omnishop.apikeys",
    "omnishop.outbox",
    "omnishop.notifications",
    "omnishop.webhooks",
    # domain, lowest layer first
    "catalog",
    "inventory",
    "customers",
    "loyalty",
    "orders",
    "returns",
    # demo data
    "demo",
]

MIDDLEWARE = [
    # --- request guard (first): request id; NUL/surrogates in path, query, headers; body size;
    # the API's error body for Django's own 404/405/413/500 under /api/.
    "omnishop.api.middleware.RequestGuardMiddleware",
    # --- end request guard
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # security headers: Content-Security-Policy on every HTML page (admin, docs, store console)
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "omnishop.urls"
WSGI_APPLICATION = "omnishop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- security headers -------------------------------------------------------------------
# One Content-Security-Policy for every page (admin, store console under /store/, API docs,
# allauth pages, API JSON): scripts only from this origin or carrying the request's nonce
# (request.csp_nonce in a template), no plugins, no framing, forms post only here. Inline
# style attributes stay allowed (the admin's widgets and Swagger UI set them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- accounts ---------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[omnishop] "
# Mobile app: allauth headless "app" client, authenticated by X-Session-Token.
HEADLESS_CLIENTS = ("browser", "app")
HEADLESS_ONLY = False
ACCOUNT_ADAPTER = "omnishop.accounts.adapter.AccountAdapter"

# --- login protection: one policy for the web, app (headless) and admin logins ---------
# allauth's rate limits on the shared cache: after OMNISHOP_LOGIN_FAILURES_PER_ACCOUNT wrong passwords
# in OMNISHOP_LOGIN_LOCKOUT_SECONDS seconds an account's login is locked from every address;
# one address may fail OMNISHOP_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE times a minute.
OMNISHOP_LOGIN_FAILURES_PER_ACCOUNT = env.int("OMNISHOP_LOGIN_FAILURES_PER_ACCOUNT", default=5)
OMNISHOP_LOGIN_LOCKOUT_SECONDS = env.int("OMNISHOP_LOGIN_LOCKOUT_SECONDS", default=15 * 60)
OMNISHOP_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE = env.int("OMNISHOP_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE", default=20)
ACCOUNT_RATE_LIMITS = {
    "login_failed": (
        f"{OMNISHOP_LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE}/m/ip,"
        f"{OMNISHOP_LOGIN_FAILURES_PER_ACCOUNT}/{OMNISHOP_LOGIN_LOCKOUT_SECONDS}s/key"
    ),
}
# Reverse proxies in front of the app that append to X-Forwarded-For (1 behind the compose
# file's nginx, 0 when clients connect straight to gunicorn): the client address is the
# entry that many places from the right; anything further left is what the client claims.
OMNISHOP_TRUSTED_PROXY_COUNT = env.int("OMNISHOP_TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = OMNISHOP_TRUSTED_PROXY_COUNT

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_BACKEND_FROM_ENV = env("DJANGO_EMAIL_BACKEND", default=None)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="omnishop <no-reply@omnishop.local>")

# --- notifications to customers (omnishop/notifications) ----------------------------------
# One sender per channel, a dotted path to a class with send(message) -> provider id. E-mail goes
# through Django's e-mail backend (EMAIL_* above); SMS and push print to the console until a
# provider's sender is configured.
OMNISHOP_NOTIFICATION_EMAIL_SENDER = env(
    "OMNISHOP_NOTIFICATION_EMAIL_SENDER", default="omnishop.notifications.senders.EmailSender"
)
OMNISHOP_NOTIFICATION_SMS_SENDER = env(
    "OMNISHOP_NOTIFICATION_SMS_SENDER", default="omnishop.notifications.senders.ConsoleSmsSender"
)
OMNISHOP_NOTIFICATION_PUSH_SENDER = env(
    "OMNISHOP_NOTIFICATION_PUSH_SENDER", default="omnishop.notifications.senders.ConsolePushSender"
)
# Attempts per message (retried with exponential backoff and jitter), then it is failed (admin: Send again).
OMNISHOP_NOTIFICATION_MAX_ATTEMPTS = env.int("OMNISHOP_NOTIFICATION_MAX_ATTEMPTS", default=5)
# Seconds one send attempt holds a message against a duplicate task.
OMNISHOP_NOTIFICATION_LEASE_SECONDS = env.int("OMNISHOP_NOTIFICATION_LEASE_SECONDS", default=300)
OMNISHOP_NOTIFICATION_MESSAGE_ID_DOMAIN = env("OMNISHOP_NOTIFICATION_MESSAGE_ID_DOMAIN", default="omnishop.local")

# --- i18n -------------------------------------------------------------------------------
LANGUAGE_CODE = "pl"
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
# locale_vendor: Polish for packages that ship none (django-celery-beat), out of makemessages' reach.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

# --- static -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "omnishop.apikeys.authentication.ChannelAPIKeyAuthentication",
        "allauth.headless.contrib.rest_framework.authentication.XSessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "omnishop.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 24,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "omnishop.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "omnishop.api.exceptions.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "COERCE_DECIMAL_TO_STRING": True,
    # Parsers that refuse NUL, lone surrogates and JSON nested deeper than OMNISHOP_API_MAX_JSON_DEPTH.
    "DEFAULT_PARSER_CLASSES": [
        "omnishop.api.parsers.JSONParser",
        "omnishop.api.parsers.FormParser",
        "omnishop.api.parsers.MultiPartParser",
    ],
    # Counted in CACHES["default"] (shared by every worker); see omnishop/api/throttling.py.
    "DEFAULT_THROTTLE_CLASSES": [
        "omnishop.api.throttling.AnonRateThrottle",
        "omnishop.api.throttling.CustomerRateThrottle",
        "omnishop.api.throttling.ChannelKeyRateThrottle",
        "omnishop.api.throttling.OperationRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("OMNISHOP_THROTTLE_ANON", default="120/min"),
        "customer": env("OMNISHOP_THROTTLE_CUSTOMER", default="300/min"),
        "channel_key": env("OMNISHOP_THROTTLE_CHANNEL_KEY", default="1200/min"),
        "stock_sync": env("OMNISHOP_THROTTLE_STOCK_SYNC", default="30/min"),
        "order_place": env("OMNISHOP_THROTTLE_ORDER_PLACE", default="20/min"),
        # Checking a gift card's balance: low, so codes cannot be guessed by trying.
        "gift_card_check": env("OMNISHOP_THROTTLE_GIFT_CARD_CHECK", default="20/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "omnishop API",
    "DESCRIPTION": (
        "One catalog, one stock picture and one order system for every sales channel. "
        "Channel resolution: an API key's channel (header `Authorization: Api-Key <key>`), "
        "else the channel a first-party client declares with `X-Channel` or `?channel=`, "
        "else the default web channel."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]",
    # Swagger UI served from this origin (drf-spectacular-sidecar), not a CDN: the CSP allows only 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.Order.Status",
        "FulfilmentStatusEnum": "orders.models.Fulfilment.Status",
        "PaymentStatusEnum": "orders.models.Order.PaymentStatus",
        "StockSyncModeEnum": "inventory.api.serializers.STOCK_SYNC_MODE_CHOICES",
        "StockSyncErrorPolicyEnum": "inventory.api.serializers.STOCK_SYNC_ERROR_POLICY_CHOICES",
        "PickupReadyInEnum": "inventory.api.serializers.PICKUP_READY_IN_CHOICES",
        "ChannelKindEnum": "catalog.models.Channel.Kind",
        "MarketplaceFeeKindEnum": "orders.models.OrderFee.Kind",
        "WebhookDeliveryStatusEnum": "omnishop.webhooks.models.WebhookDelivery.Status",
        "FulfilmentTypeEnum": "omnishop.vocabulary.FulfilmentType",
        "CheckoutFulfilmentTypeEnum": "omnishop.vocabulary.CHECKOUT_FULFILMENT_CHOICES",
    },
}
API_KEY_CUSTOM_HEADER = None  # the package's default header: "Authorization: Api-Key <key>"

# omnishop's own knobs
# Request bodies above this many bytes are refused with 413 (Django's setting, also its form limit).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
OMNISHOP_API_MAX_JSON_DEPTH = env.int("OMNISHOP_API_MAX_JSON_DEPTH", default=32)
OMNISHOP_DEFAULT_CHANNEL = env("OMNISHOP_DEFAULT_CHANNEL", default="web")
OMNISHOP_DEFAULT_CURRENCY = env("OMNISHOP_DEFAULT_CURRENCY", default="PLN")
# API key "last used" is written at most this often per key, so busy keys don't write per request.
OMNISHOP_APIKEY_LAST_USED_RESOLUTION_SECONDS = env.int("OMNISHOP_APIKEY_LAST_USED_RESOLUTION_SECONDS", default=60)

# --- Celery -----------------------------------------------------------------------------
# Redis is the broker in production (CELERY_BROKER_URL); without one, tasks run in the caller's
# process (local runs and tests), after the transaction commits as they always are.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
# Every omnishop task is idempotent (it re-reads the rows and does only what is still due), so a
# task is acknowledged after it ran: a worker killed mid-task leaves it on the broker for
# another worker instead of losing it. A task that could not be repeated would say
# ``acks_late=False`` on itself.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis gives an unacknowledged task to another worker after this many seconds: longer than any
# task runs (heavy imports included), or a slow task would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues, so a flood of webhooks never delays a customer's e-mail and a stock import never
# delays either: docker-compose.yml runs one worker per queue group.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "omnishop.notifications.tasks.*": {"queue": "notifications"},
    "omnishop.webhooks.tasks.*": {"queue": "webhooks"},
    # Bulk and housekeeping jobs that may run for minutes.
    "orders.tasks.anonymous_carts_purge": {"queue": "heavy"},
}
OMNISHOP_CELERY_QUEUES = ("default", "notifications", "webhooks", "heavy")
# Beat reads its schedule from the database (django-celery-beat), where admins edit it
# (Periodic tasks in admin); the entries below are written there when beat starts.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Every key the Redis transport writes starts with this (empty: none), so processes that must not
# see each other's tasks can share one Redis database (the test suite's workers do).
CELERY_BROKER_KEY_PREFIX = env("CELERY_BROKER_KEY_PREFIX", default="")
if CELERY_BROKER_KEY_PREFIX:
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = CELERY_BROKER_KEY_PREFIX
CELERY_BEAT_SCHEDULE: dict = {
    "inventory-holds-purge-expired": {"task": "inventory.tasks.holds_purge_expired", "schedule": 60.0},
    "orders-pickups-expire": {"task": "orders.tasks.pickups_expire", "schedule": 900.0},
    "orders-pickup-reminders": {"task": "orders.tasks.pickup_reminders_send", "schedule": 900.0},
    "notifications-pending-dispatch": {
        "task": "omnishop.notifications.tasks.notifications_pending_dispatch",
        "schedule": 300.0,
    },
    "orders-anonymous-carts-purge": {
        "task": "orders.tasks.anonymous_carts_purge",
        "schedule": crontab(hour=3, minute=40),
    },
    "webhooks-sweep": {
        "task": "omnishop.webhooks.tasks.webhooks_sweep",
        "schedule": env.float("OMNISHOP_WEBHOOKS_SWEEP_SECONDS", default=10.0),
    },
    "webhooks-purge": {"task": "omnishop.webhooks.tasks.webhooks_purge", "schedule": crontab(hour=4, minute=10)},
    # --- loyalty: points ---
    "loyalty-points-release": {"task": "loyalty.tasks.points_release_due", "schedule": crontab(minute=15)},
    "loyalty-points-expire": {"task": "loyalty.tasks.points_expire_due", "schedule": crontab(hour=2, minute=5)},
    "loyalty-points-expiry-notices": {
        "task": "loyalty.tasks.points_expiry_notices_send",
        "schedule": crontab(hour=9, minute=30),
    },
    "loyalty-tiers-evaluate": {"task": "loyalty.tasks.tiers_evaluate", "schedule": crontab(hour=2, minute=35)},
}

# --- webhooks (omnishop/webhooks, docs/webhooks.md) ---------------------------------------
# Seconds to wait for a receiver to connect / to answer.
OMNISHOP_WEBHOOKS_CONNECT_TIMEOUT = env.float("OMNISHOP_WEBHOOKS_CONNECT_TIMEOUT", default=3.0)
OMNISHOP_WEBHOOKS_READ_TIMEOUT = env.float("OMNISHOP_WEBHOOKS_READ_TIMEOUT", default=10.0)
# A claimed delivery belongs to its worker this long; a worker killed mid-send loses it after that.
OMNISHOP_WEBHOOKS_LEASE_SECONDS = env.float("OMNISHOP_WEBHOOKS_LEASE_SECONDS", default=60.0)
# Retry n waits about base * 2^(n-1) seconds (with jitter), at most the cap.
OMNISHOP_WEBHOOKS_RETRY_BASE_SECONDS = env.float("OMNISHOP_WEBHOOKS_RETRY_BASE_SECONDS", default=30.0)
OMNISHOP_WEBHOOKS_RETRY_CAP_SECONDS = env.float("OMNISHOP_WEBHOOKS_RETRY_CAP_SECONDS", default=6 * 3600.0)
# Parallel POSTs inside one delivery task (keep-alive connections, one per thread).
OMNISHOP_WEBHOOKS_HTTP_THREADS = env.int("OMNISHOP_WEBHOOKS_HTTP_THREADS", default=16)
# Outbox events still pending this many seconds after they were written are fanned out by the sweeper.
OMNISHOP_WEBHOOKS_SWEEP_GRACE_SECONDS = env.float("OMNISHOP_WEBHOOKS_SWEEP_GRACE_SECONDS", default=5.0)
# Delivered outbox events and deliveries are purged after this many days (dead ones are kept).
OMNISHOP_WEBHOOKS_RETENTION_DAYS = env.int("OMNISHOP_WEBHOOKS_RETENTION_DAYS", default=30)
# Without a broker (Celery eager), deliver after each commit in the committing process instead of
# leaving the events to a sweeper that does not run (settings.local turns it on for `make run`).
OMNISHOP_WEBHOOKS_DISPATCH_WITHOUT_BROKER = env.bool("OMNISHOP_WEBHOOKS_DISPATCH_WITHOUT_BROKER", default=False)

# --- production hardening (applied by settings.production) ------------------------------
SECURE_SSL_REDIRECT_FROM_ENV = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS_FROM_ENV = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_PRELOAD_FROM_ENV = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)

# --- logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- orders -----------------------------------------------------------------------------------
# Delivery fee and free-delivery threshold per currency (decimal strings).
OMNISHOP_DELIVERY_FEE = env.dict("OMNISHOP_DELIVERY_FEE", default={"PLN": "14.99", "EUR": "4.99"})
OMNISHOP_FREE_DELIVERY_FROM = env.dict("OMNISHOP_FREE_DELIVERY_FROM", default={"PLN": "199.00", "EUR": "49.00"})
# The routing policy (replaceable): a dotted path to a class with a ``route()`` method.
OMNISHOP_ROUTING_POLICY = env("OMNISHOP_ROUTING_POLICY", default="orders.routing.NearestFewestShipmentsPolicy")
OMNISHOP_PAYMENT_PROVIDER = env("OMNISHOP_PAYMENT_PROVIDER", default="orders.payments.FakePaymentProvider")
# Minutes a cart line holds stock (0: carts do not hold stock).
OMNISHOP_CART_HOLD_MINUTES = env.int("OMNISHOP_CART_HOLD_MINUTES", default=0)
# Days an anonymous cart lives untouched before the nightly purge deletes it (and its holds).
OMNISHOP_ANONYMOUS_CART_DAYS = env.int("OMNISHOP_ANONYMOUS_CART_DAYS", default=30)
OMNISHOP_ORDER_NUMBER_PREFIX = env("OMNISHOP_ORDER_NUMBER_PREFIX", default="OS")
# Days a click & collect order waits in the store once ready, and a reserve & try (ROPIS)
# reservation; not collected by then, it is cancelled and its goods go back on sale.
OMNISHOP_PICKUP_HOLD_DAYS = env.int("OMNISHOP_PICKUP_HOLD_DAYS", default=7)
OMNISHOP_ROPIS_HOLD_DAYS = env.int("OMNISHOP_ROPIS_HOLD_DAYS", default=2)
# Open days before the collect-by date the customer is reminded (the default of each store's own setting).
OMNISHOP_PICKUP_REMINDER_DAYS = env.int("OMNISHOP_PICKUP_REMINDER_DAYS", default=1)
# Working days a transfer takes to reach the pickup store (the pickup date an agent quotes).
OMNISHOP_TRANSFER_DAYS = env.int("OMNISHOP_TRANSFER_DAYS", default=2)
# The stock list's "low stock" filter: rows with at most this many units available.
OMNISHOP_LOW_STOCK_THRESHOLD = env.int("OMNISHOP_LOW_STOCK_THRESHOLD", default=5)

# --- loyalty: points (loyalty/services/points.py) -----------------------------------------
# What one point is worth when redeemed, per currency.
OMNISHOP_POINT_VALUE = env.dict("OMNISHOP_POINT_VALUE", default={"PLN": "0.01"})
# Points earned on an order stay pending this long (the return window), then become spendable.
OMNISHOP_POINTS_PENDING_DAYS = env.int("OMNISHOP_POINTS_PENDING_DAYS", default=30)
# A lot expires this many days after it became spendable.
OMNISHOP_POINTS_LIFETIME_DAYS = env.int("OMNISHOP_POINTS_LIFETIME_DAYS", default=365)
# Customers who consented are told this many days before points expire.
OMNISHOP_POINTS_EXPIRY_NOTICE_DAYS = env.int("OMNISHOP_POINTS_EXPIRY_NOTICE_DAYS", default=14)
# --- loyalty: wallets (gift cards, store credit) ---------------------------------------------
# Days a new gift card is valid (unless its issue gives another expiry).
OMNISHOP_GIFT_CARD_VALIDITY_DAYS = env.int("OMNISHOP_GIFT_CARD_VALIDITY_DAYS", default=365)
# Days before expiry the owner (who agreed to marketing e-mails) is told, once.
OMNISHOP_GIFT_CARD_EXPIRY_NOTICE_DAYS = env.int("OMNISHOP_GIFT_CARD_EXPIRY_NOTICE_DAYS", default=14)
# A cancelled order's spend that goes back onto a card expired meanwhile makes it valid this long again.
OMNISHOP_GIFT_CARD_REFUND_GRACE_DAYS = env.int("OMNISHOP_GIFT_CARD_REFUND_GRACE_DAYS", default=30)
# Gift card balance checks per caller (key, user or address): codes cannot be tried in bulk.
CELERY_BEAT_SCHEDULE |= {
    "loyalty-giftcards-expire": {"task": "loyalty.tasks.giftcards_expire_due", "schedule": crontab(hour=0, minute=20)},
    "loyalty-giftcard-expiry-notices": {
        "task": "loyalty.tasks.giftcard_expiry_notices_send",
        "schedule": crontab(hour=9, minute=30),
    },
}
