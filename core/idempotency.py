"""Idempotency-Key for mutating API endpoints, with Stripe's semantics.

- same key, same body: the stored response is replayed (header `Idempotent-Replayed: true`);
- same key, another body (or another endpoint): 422, nothing runs;
- same key while the first request is still running: 409, nothing runs;
- keys live 24 hours (settings.IDEMPOTENCY_KEY_TTL); Beat purges older ones.

Responses with status >= 500 are not stored: the key is released so the client can retry.
A request that dies without answering keeps its key locked for IDEMPOTENCY_LOCK_TIMEOUT
(the web request timeout plus a margin), then a retry takes it over; until then the 409
carries Retry-After: the seconds left.
"""

import functools
import hashlib
import json
import math
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from core.exceptions import Conflict, DomainError, Unprocessable, ValidationError
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADERS = ("ETag", "Location")


class KeyInUse(Conflict):
    """409: the key's first request may still be running; `retry_after` seconds until takeover."""

    code = "idempotency_key_in_use"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Claim:
    record: IdempotencyKey
    replay: bool


def request_fingerprint(*, method: str, path: str, data) -> str:
    """Hash what makes two requests 'the same': method, path and the parsed body."""
    if hasattr(data, "lists"):  # a QueryDict from a form body
        data = dict(data.lists())
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method}\n{path}\n{body}".encode()).hexdigest()


def claim_idempotency_key(*, owner: str, key: str, method: str, path: str, request_hash: str) -> Claim:
    """Claim `key` for this request, or say why not.

    Commits at once (its own transaction) so that a concurrent request sees the claim.
    Raises Unprocessable (422) for a reused key with another request and Conflict (409)
    while the first request is in flight.
    """
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            _("%(header)s must be 1 to %(max)d characters.") % {"header": HEADER, "max": MAX_KEY_LENGTH},
            code="invalid_idempotency_key",
        )
    now = timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        IdempotencyKey.objects.bulk_create(
            [
                IdempotencyKey(
                    owner=owner,
                    key=key,
                    method=method,
                    path=path,
                    request_hash=request_hash,
                    lock_token=token,
                    locked_at=now,
                    created_at=now,
                )
            ],
            ignore_conflicts=True,
        )
        record = IdempotencyKey.objects.select_for_update().get(owner=owner, key=key)
        if record.lock_token == token:
            return Claim(record=record, replay=False)

        expired = record.created_at < now - settings.IDEMPOTENCY_KEY_TTL
        abandoned = record.response_status is None and record.locked_at < now - settings.IDEMPOTENCY_LOCK_TIMEOUT
        if expired or abandoned:
            # An expired key is a new key; an abandoned one never answered, so run again.
            record.method, record.path, record.request_hash = method, path, request_hash
            record.lock_token, record.locked_at = token, now
            record.response_status, record.response_body, record.response_headers = None, None, {}
            fields = ["method", "path", "request_hash", "lock_token", "locked_at"]
            fields += ["response_status", "response_body", "response_headers"]
            if expired:
                record.created_at = now
                fields.append("created_at")
            record.save(update_fields=fields)
            return Claim(record=record, replay=False)

        if record.request_hash != request_hash:
            raise Unprocessable(
                _("This %(header)s was already used with a different request. Use a new key for a new request.")
                % {"header": HEADER},
                code="idempotency_key_reused",
            )
        if record.response_status is None:
            remaining = record.locked_at + settings.IDEMPOTENCY_LOCK_TIMEOUT - now
            raise KeyInUse(
                _("A request with this %(header)s is still being processed. Retry in a moment.") % {"header": HEADER},
                retry_after=max(1, math.ceil(remaining.total_seconds())),
            )
        return Claim(record=record, replay=True)


def store_idempotent_response(*, record: IdempotencyKey, response: Response) -> None:
    """Keep the response for replays, or release the key when the server failed."""
    qs = IdempotencyKey.objects.filter(pk=record.pk, lock_token=record.lock_token)
    if response.status_code >= 500:
        qs.delete()
        return
    headers = {h: response[h] for h in REPLAYED_HEADERS if response.has_header(h)}
    # A replay is the stored body, in the language it was first answered in: say which.
    headers["Content-Language"] = translation.get_language()
    # Kept as text, not JSONB, so a replay is byte-for-byte the original (JSONB reorders keys).
    body = None if response.data is None else json.dumps(response.data, cls=DjangoJSONEncoder, ensure_ascii=False)
    qs.update(
        response_status=response.status_code,
        response_body=body,
        response_headers=headers,
        locked_at=None,
    )


def release_idempotency_key(*, record: IdempotencyKey) -> None:
    IdempotencyKey.objects.filter(pk=record.pk, lock_token=record.lock_token).delete()


def purge_expired_idempotency_keys(*, now=None) -> int:
    """Delete keys older than the TTL; return how many."""
    now = now or timezone.now()
    deleted, _count = IdempotencyKey.objects.filter(created_at__lt=now - settings.IDEMPOTENCY_KEY_TTL).delete()
    return deleted


def idempotent(handler):
    """Make a DRF view method honour the Idempotency-Key header.

    Client errors (domain errors, validation errors) are stored and replayed like successes,
    as Stripe does; server errors release the key.
    """

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        # Keys are scoped to the authenticated caller; anonymous callers share no scope, so
        # their keys are not honoured (no anonymous endpoint changes anything today).
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        owner = f"user:{request.user.pk}"
        fingerprint = request_fingerprint(method=request.method, path=request.path, data=request.data)
        try:
            claim = claim_idempotency_key(
                owner=owner, key=key.strip(), method=request.method, path=request.path, request_hash=fingerprint
            )
        except KeyInUse as exc:
            response = view.handle_exception(exc)
            response["Retry-After"] = str(exc.retry_after)
            return response
        if claim.replay:
            record = claim.record
            body = None if record.response_body is None else json.loads(record.response_body)
            response = Response(body, status=record.response_status)
            for name, value in record.response_headers.items():
                response[name] = value
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = handler(view, request, *args, **kwargs)
        except (DomainError, APIException, Http404, PermissionDenied) as exc:
            response = view.handle_exception(exc)
        except BaseException:
            release_idempotency_key(record=claim.record)
            raise
        store_idempotent_response(record=claim.record, response=response)
        return response

    return wrapper
