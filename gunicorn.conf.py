"""gunicorn's settings, read from this file in the working directory by every entry point
(scripts/run.sh, the Docker image). The request timeout is also in config/settings.py
(WEB_TIMEOUT_SECONDS), where an Idempotency-Key of a killed request is taken over after it."""

import os

# A worker silent for this many seconds is killed and replaced.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
