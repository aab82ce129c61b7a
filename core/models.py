from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key and the response it got (Stripe's semantics).

    One row per (owner, key). While the first request runs, `response_status` is empty and
    `locked_at` is set: a concurrent request with the same key gets 409. When it finishes,
    its response is stored and replayed for every retry with the same body for 24 hours.
    """

    owner = models.CharField(
        max_length=64, help_text=_("Who sent the key: user:<id> or anon."), verbose_name=_("owner")
    )
    key = models.CharField(max_length=255, verbose_name=_("key"))
    method = models.CharField(max_length=10, verbose_name=_("method"))
    path = models.CharField(max_length=500, verbose_name=_("path"))
    request_hash = models.CharField(max_length=64, verbose_name=_("request hash"))
    lock_token = models.UUIDField(verbose_name=_("lock token"))
    locked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("locked at"))
    response_status = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("response status"))
    response_body = models.TextField(
        null=True, blank=True, help_text=_("The JSON body exactly as first sent."), verbose_name=_("response body")
    )
    response_headers = models.JSONField(default=dict, blank=True, verbose_name=_("response headers"))
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_unique_per_owner")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self):
        return f"{self.owner} {self.key}"


class OutboxMessage(models.Model):
    """A Celery task to send, written in the same transaction as the change that asks for it.

    `core.outbox.enqueue` writes the row; the relay (after the commit, then a Beat sweep and
    the `relay_outbox` command) publishes it to the broker and sets `sent_at`. A publish that
    fails (the broker is down) counts an attempt, keeps the error and waits `available_at`
    with exponential back-off; after settings.OUTBOX_MAX_ATTEMPTS it is dead (`dead_at`) and
    waits for staff to retry it in the admin. The relay may publish a message twice (the
    publish went out but marking it sent did not), so every task it sends is idempotent.
    """

    task = models.CharField(_("task"), max_length=200, help_text=_("The Celery task's registered name."))
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    dedupe_key = models.CharField(
        _("dedupe key"),
        max_length=255,
        null=True,
        blank=True,
        help_text=_("At most one message per key is ever written (enqueue_once)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    available_at = models.DateTimeField(_("available at"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    dead_at = models.DateTimeField(_("dead at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        permissions = [("retry_outboxmessage", _("Can retry unsent outbox messages"))]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=Q(dedupe_key__isnull=False), name="outbox_dedupe_key_unique"
            )
        ]
        indexes = [
            # The relay's claim (due, oldest first) and the backlog count read only this small
            # index of pending rows, however many sent rows the table holds.
            models.Index(
                fields=["available_at", "id"],
                condition=Q(sent_at__isnull=True, dead_at__isnull=True),
                name="outbox_pending_due",
            ),
            models.Index(fields=["sent_at"], condition=Q(sent_at__isnull=False), name="outbox_sent_at"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.task}"

    @property
    def state(self) -> str:
        if self.sent_at:
            return "sent"
        return "dead" if self.dead_at else "pending"


class SentEmail(models.Model):
    """One row per e-mail that went out, by a key naming what it is about ("order:12:confirmed").

    A task delivered twice finds its key taken and sends nothing (core.outbox.send_once).
    """

    key = models.CharField(_("key"), max_length=255, unique=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("sent e-mail")
        verbose_name_plural = _("sent e-mails")

    def __str__(self):
        return self.key


from core.circuit import CircuitBreakerState  # noqa: E402, F401  (the model lives beside its breaker)
