"""Settings for the test suite: the real PostgreSQL and Redis, with test-only isolation."""

import os

# Tests use their own Redis database, flushed before each test, never the broker's.
os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/15")

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CONSTANCE_BACKEND = "constance.backends.database.DatabaseBackend"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
DEBUG = False
