"""The API's throttles: DRF's anon/user rates, counted exactly, failing open without Redis.

DRF's SimpleRateThrottle reads the request history from the cache, decides, and writes it
back: concurrent requests read the same history and all pass (640 passed against 600/min).
Here one Lua script in Redis trims, counts and records a sliding window of the last period
atomically, so no more than `num_requests` pass in any window of `duration` seconds.

When Redis cannot be reached the request goes through and a warning is logged.
"""

import logging
import math
import uuid

from django.core.cache import caches
from django_redis import get_redis_connection
from rest_framework import throttling

from core.ratelimit import client_ip

logger = logging.getLogger(__name__)

# KEYS[1]: the window's sorted set; ARGV: limit, window in microseconds, a unique member.
# Answers {1, 0} when the request is counted and allowed, {0, µs until a slot frees} otherwise.
SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return {1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, tonumber(oldest[2]) + window - now}
"""
CACHE_ALIAS = "default"


def _redis():

    return get_redis_connection(CACHE_ALIAS)


class ExactRateThrottle(throttling.SimpleRateThrottle):
    """A SimpleRateThrottle whose check-and-count is one atomic step in Redis."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self._wait = None
        try:
            key = caches[CACHE_ALIAS].make_key(self.key)
            allowed, wait_us = _redis().eval(
                SLIDING_WINDOW, 1, key, self.num_requests, int(self.duration * 1_000_000), uuid.uuid4().hex
            )
        except Exception as exc:  # Redis unreachable: fail open
            logger.warning("API throttle %s not checked, request let through: %s", self.scope, exc)
            return True
        if allowed:
            return True
        self._wait = max(1, math.ceil(int(wait_us) / 1_000_000))
        return False

    def wait(self):
        return getattr(self, "_wait", None)


class AnonRateThrottle(ExactRateThrottle, throttling.AnonRateThrottle):
    scope = "anon"

    def get_ident(self, request):
        return client_ip(getattr(request, "_request", request)) or "unknown"


class UserRateThrottle(ExactRateThrottle, throttling.UserRateThrottle):
    scope = "user"

    def get_ident(self, request):
        return client_ip(getattr(request, "_request", request)) or "unknown"


def document_429(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation may answer 429 with Retry-After."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation["responses"].setdefault(
                "429",
                {
                    "description": (
                        "Too many requests (rate limit, or repeated failed logins): wait the seconds "
                        "in Retry-After. code: throttled, rate_limited or locked_out."
                    ),
                    "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                },
            )
    return result
