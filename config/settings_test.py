"""Settings for the test suite: the real PostgreSQL and Redis, with test-only isolation.

Each pytest process gets its own test database and its own Redis key prefix, so two runs
on one machine (a developer's and CI's, or parallel sessions) never wipe each other's data.
"""

import os

os.environ.setdefault("CACHE_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("CACHE_KEY_PREFIX", f"kramar-test-{os.getpid()}")
os.environ.setdefault("TEST_DATABASE_NAME", f"test_kramar_{os.getpid()}")

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
DEBUG = False

# Anti-abuse rules (orders.services.screening) off by default here: the suite places many orders for one phone.
# Their own tests (orders/tests/test_screening*.py) switch each rule on with override_config.
CONSTANCE_CONFIG = {
    name: (0, *rest) if name.startswith("FRAUD_") else (default, *rest)
    for name, (default, *rest) in CONSTANCE_CONFIG.items()  # noqa: F405
}

# The suite runs with DEBUG=false on the sandbox carrier and gateway on purpose (core/checks.py
# refuses that in production; its own tests call the checks directly).
SILENCED_SYSTEM_CHECKS = ["kramar.E001", "kramar.E002", "kramar.E003", "kramar.E004"]
