"""The smallest Django project django-hordak runs in: its own database, nothing else installed."""

import os

SECRET_KEY = "bench-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "mptt", "djmoney", "hordak"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["HORDAK_DB"],
        "HOST": os.environ.get("HORDAK_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("HORDAK_DB_PORT", "5432"),
        "USER": os.environ.get("HORDAK_DB_USER", "postgres"),
        "CONN_MAX_AGE": None,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DEFAULT_CURRENCY = "UAH"
HORDAK_CURRENCIES = CURRENCIES = ["UAH"]
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
