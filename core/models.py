from django.db import models


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key and the response it got (Stripe's semantics).

    One row per (owner, key). While the first request runs, `response_status` is empty and
    `locked_at` is set: a concurrent request with the same key gets 409. When it finishes,
    its response is stored and replayed for every retry with the same body for 24 hours.
    """

    owner = models.CharField(max_length=64, help_text="Who sent the key: user:<id> or anon.")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    lock_token = models.UUIDField()
    locked_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(null=True, blank=True, help_text="The JSON body exactly as first sent.")
    response_headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique_per_owner")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self):
        return f"{self.owner} {self.key}"


from core.circuit import CircuitBreakerState  # noqa: E402, F401  (the model lives beside its breaker)
