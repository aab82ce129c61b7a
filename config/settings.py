"""Settings for kramar, read from the environment (12-factor).

Every value has a default that works on a developer machine with PostgreSQL and Redis on
localhost, so `make run` needs no configuration. Production sets at least SECRET_KEY,
DEBUG=false, ALLOWED_HOSTS, DATABASE_URL and REDIS_URL (see README.md).
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.text import format_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# A staging site (DEBUG=false) that runs the sandbox carrier and gateway on purpose says so
# here; without it they refuse to start (core/checks.py), with it every page shows a banner.
ALLOW_SANDBOX_IN_PRODUCTION = env.bool("ALLOW_SANDBOX_IN_PRODUCTION", default=False)

INSTALLED_APPS = [
    "modeltranslation",  # product texts in uk/en; before django.contrib.admin, as it requires
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # OpClass in index expressions: trigram indexes of the catalog and admin searches
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "django_fsm_log",
    "django_celery_beat",
    "constance",
    "axes",
    "health_check",
    "csp",
    "django_prometheus",
    "core",
    "accounts",
    "catalog",
    "cart",
    "directory",
    "orders",
    "fraud",  # migrations only (fraud/__init__.py): the anti-abuse code moved into orders
    "ledger",
    "payments",
    "shipping",
    "privacy",  # on top: it reads and anonymises every app's personal data
    "demo",  # on top: the demo data loader imports every app above
]

MIDDLEWARE = [
    # Request rates and latencies for /metrics/ (django-prometheus): first and last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The shop's language from its URL, the API's from Accept-Language, the admin's from the
    # staff member's choice: after sessions, before CommonMiddleware (its slash redirects need it).
    "core.middleware.KramarLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.StaffLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last but for the metrics, as django-axes asks: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "orders.context_processors.cart",
                "core.context_processors.staging_banner",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/kramar"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = env("TEST_DATABASE_NAME", default="test_kramar")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="kramar"),
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    },
    # Runtime settings' cache (see config/runtime_settings.py): Redis errors fall back to the database.
    "runtime_settings": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": env("CACHE_URL", default=REDIS_URL),
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="kramar"),
        "KEY_FUNCTION": "core.runtime.cache_key",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5, "IGNORE_EXCEPTIONS": True},
    },
}
# Sessions live in PostgreSQL only: a Redis outage must not log shoppers out or lose carts
# (cached_db would also fail, or serve a stale copy after the outage).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# How many reverse proxies (nginx, Caddy, a load balancer) stand in front of gunicorn and
# append to X-Forwarded-For; rate limits and login lockouts count the address the outermost
# one saw (core.ratelimit.client_ip). 0: the peer address (REMOTE_ADDR) is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:orders"
LOGOUT_REDIRECT_URL = "catalog:product_list"

# Login throttling (django-axes, policy in accounts/lockout.py): five failures lock the
# e-mail+IP pair for 30 minutes, and AXES_IP_FAILURE_LIMIT failures from one IP across any
# e-mails lock that IP. The e-mail is counted lower-cased, as login compares it.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], ["ip_address"]]
AXES_USERNAME_CALLABLE = "accounts.lockout.axes_username"
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "core.ratelimit.axes_client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Django's login forms (and ours) send the e-mail as "username"; axes must read that field.
AXES_USERNAME_FORM_FIELD = "username"
# A lockout answers the API in its own error shape and the pages with a readable page.
AXES_LOCKOUT_CALLABLE = "core.views.locked_out"

# Ukrainian first (the law since 16 July 2022, and the staff's language); English one click away.
LANGUAGE_CODE = "uk"
LANGUAGES = [("uk", "Українська"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# The language switch's choice, remembered for a year.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Product texts in uk/en (catalog/translation.py): `name` is the active language's, else Ukrainian.
MODELTRANSLATION_DEFAULT_LANGUAGE = "uk"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("uk",)
# The admin's labels ("назва [uk]") stay lazy, so each staff member reads them in their language.
MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME = lambda name, lang: format_lazy("{} [{}]", name, lang)  # noqa: E731
TIME_ZONE = "Europe/Kyiv"
# Dates, times and numbers as the shop writes them (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = "config.formats"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="kramar <shop@kramar.local>")

# --- API: REST_FRAMEWORK and SPECTACULAR_SETTINGS (config/api_settings.py) -------------------
from config.api_settings import REST_FRAMEWORK, SPECTACULAR_SETTINGS  # noqa: E402, F401

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Delivery guarantees (acks_late, prefetch, visibility_timeout, time limits, broker retries)
# are set in one place only: config/celery.py.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Write each job's last run to the database as it is sent (not every 3 minutes), so the
# admin's Periodic tasks page and /health/ see Beat working at once.
CELERY_BEAT_SYNC_EVERY = 1
CELERY_TIMEZONE = TIME_ZONE

# The periodic schedule (config/beat.py).
from config.beat import CELERY_BEAT_SCHEDULE  # noqa: E402, F401

# Health fails when no periodic task was sent for this long. django-celery-beat writes
# last_run_at back every few minutes, so this must be well above its sync interval.
BEAT_STALE_AFTER = timedelta(minutes=env.int("BEAT_STALE_AFTER_MINUTES", default=10))

# --- Runtime settings, editable by staff in the admin (django-constance; config/runtime_settings.py)
CONSTANCE_BACKEND = "constance.backends.database.DatabaseBackend"
from config.runtime_settings import (  # noqa: E402, F401
    CONSTANCE_CONFIG,
    CONSTANCE_CONFIG_FIELDSETS,
    CONSTANCE_DATABASE_CACHE_AUTOFILL_TIMEOUT,
    CONSTANCE_DATABASE_CACHE_BACKEND,
)

# --- Payment providers ----------------------------------------------------------------------
# A provider is offered at checkout when it is enabled here. Real providers switch on when
# their credentials are set; the Sandbox (a built-in fake gateway) is on for development only.
PAYMENT_PROVIDERS = {
    "fondy": {
        # The same protocol serves Fondy, hutko and Flitt: set the base URL of yours.
        "enabled": bool(env("FONDY_MERCHANT_ID", default="")),
        "merchant_id": env("FONDY_MERCHANT_ID", default=""),
        "secret": env("FONDY_SECRET", default=""),
        "base_url": env("FONDY_BASE_URL", default="https://pay.fondy.eu/api"),
    },
    "wayforpay": {
        "enabled": bool(env("WAYFORPAY_MERCHANT_ACCOUNT", default="")),
        "merchant_id": env("WAYFORPAY_MERCHANT_ACCOUNT", default=""),
        "secret": env("WAYFORPAY_SECRET", default=""),
        "merchant_domain": env("WAYFORPAY_MERCHANT_DOMAIN", default="localhost"),
        "base_url": env("WAYFORPAY_BASE_URL", default="https://api.wayforpay.com"),
    },
    "liqpay": {
        "enabled": bool(env("LIQPAY_PUBLIC_KEY", default="")),
        "public_key": env("LIQPAY_PUBLIC_KEY", default=""),
        "merchant_id": env("LIQPAY_PUBLIC_KEY", default=""),
        "secret": env("LIQPAY_PRIVATE_KEY", default=""),
        "base_url": env("LIQPAY_BASE_URL", default="https://www.liqpay.ua"),
        # A test merchant: checkouts ask for sandbox payments and LiqPay's "sandbox" status captures.
        "test_mode": env.bool("LIQPAY_TEST_MODE", default=False),
    },
    "sandbox": {
        "enabled": env.bool("PAYMENTS_SANDBOX", default=DEBUG),
        "merchant_id": "kramar-sandbox",
        "secret": env("PAYMENTS_SANDBOX_SECRET", default=SECRET_KEY),
        "base_url": "",
    },
}

# --- Shipping (Nova Poshta) -----------------------------------------------------------------
# Without an API key a built-in sandbox carrier creates labels and moves parcels along, so a
# local run shows the whole flow. Sender details are runtime settings (Constance).
NOVA_POSHTA_API_KEY = env("NOVA_POSHTA_API_KEY", default="")
NOVA_POSHTA_API_URL = env("NOVA_POSHTA_API_URL", default="https://api.novaposhta.ua/v2.0/json/")
# Label runs (shipping/services/label_runs.py): calls in flight at once, and the spacing the
# process-wide throttle keeps between any two calls (0.05 s: at most 20 calls a second).
SHIPPING_LABEL_CALLS_IN_PARALLEL = env.int("SHIPPING_LABEL_CALLS_IN_PARALLEL", default=6)
NOVA_POSHTA_MIN_INTERVAL = env.float("NOVA_POSHTA_MIN_INTERVAL", default=0.05)
TRACKING_URL_TEMPLATE = "https://novaposhta.ua/tracking/?cargo_number={number}"

# --- Shop ------------------------------------------------------------------------------------
SHOP_NAME = env("SHOP_NAME", default="kramar")
ORDER_NUMBER_PREFIX = env("ORDER_NUMBER_PREFIX", default="KR")
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# gunicorn kills a worker whose request runs longer than this many seconds (gunicorn.conf.py
# reads the same WEB_TIMEOUT), so no request can still be running after it.
WEB_TIMEOUT_SECONDS = env.int("WEB_TIMEOUT", default=30)
# A request that claimed an Idempotency-Key and then vanished (worker killed) holds it this
# long: the longest a request can live, plus a margin for gunicorn to notice and kill it;
# after that a retry takes the key over. An in-flight 409 says when with Retry-After.
IDEMPOTENCY_LOCK_TIMEOUT = timedelta(
    seconds=WEB_TIMEOUT_SECONDS + env.int("IDEMPOTENCY_LOCK_MARGIN_SECONDS", default=10)
)

# --- Security headers (every environment, so development sees what production enforces) --------
# Content-Security-Policy (django-csp): scripts only from our own static files, never inline
# (templates/ hold no <script> body and no on*= handler; tests/test_security_headers.py checks).
# Styles may be inline: the admin, Swagger UI and the health page use style attributes.
# Forms may post to https: the LiqPay form and the providers' checkout redirects leave the site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", "https:"],
    }
}
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), browsing-topics=()"
)

# --- Production hardening (DEBUG=false) --------------------------------------------------------
# `manage.py check --deploy` is clean with the variables README.md lists for production.
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # The container's own health probe speaks plain HTTP to 127.0.0.1.
    SECURE_REDIRECT_EXEMPT = [r"^health/"]
    # HSTS: a year, subdomains included, preload allowed (the header only consents; listing the
    # site is a manual submission). SECURE_HSTS_SECONDS=0 opts out (e.g. a first rollout).
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- Outbox (core/outbox.py; issue 9 item 12) --------------------------------------------------
# Messages claimed per relay transaction; the relay's queries do not grow with it.
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=100)
# A failed publish waits 5 s, 10 s, 20 s ... at most 5 minutes before the next try; after
# OUTBOX_MAX_ATTEMPTS (about 4 hours of a broker outage) the message is dead and waits for
# staff to retry it in the admin or `manage.py relay_outbox --retry-dead`.
OUTBOX_BACKOFF_BASE_SECONDS = 5
OUTBOX_BACKOFF_MAX_SECONDS = 300
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=50)
# How long the relay waits to connect to the broker; a web request's after-commit send waits this at most.
OUTBOX_BROKER_CONNECT_TIMEOUT = 2
OUTBOX_PURGE_AFTER = timedelta(days=env.int("OUTBOX_PURGE_AFTER_DAYS", default=7))
# An SMTP server that stops answering fails the e-mail task (which retries) instead of hanging it.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- Error reports (Sentry): on only when SENTRY_DSN is set; personal data scrubbed (core/sentry.py)
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from core.sentry import init_sentry

    init_sentry(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# --- Metrics (Prometheus) at /metrics/ (core/metrics.py): a bearer token, or a superuser ---------
METRICS_TOKEN = env("METRICS_TOKEN", default="")
