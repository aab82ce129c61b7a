"""Double-entry books: accounts, journal entries, postings, holds.

The rules that keep the books honest live in the database (ledger/sql.py), not only here:
entries balance per currency and post to existing accounts in their currency (deferred
constraint trigger), postings and entries are never updated or deleted and accounts never
deleted (triggers), limited accounts never go below zero (check constraint), each entry is
reversed at most once (unique). Write only through ledger.services.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.money import DEFAULT_CURRENCY


class Account(models.Model):
    """One account in one currency, or one shard of a hot account.

    `balance` is kept on the account's normal side (debit for assets and expenses, credit
    for liabilities, equity and revenue), so a wallet with store credit has a positive
    balance, and `CHECK (allow_negative OR balance - held >= 0)` means what it says.

    Hot accounts (every payment touches them) are split into `shard` rows with the same code;
    a posting picks one shard, reports sum them. See ledger/services/shards.py for why.
    """

    class Type(models.TextChoices):
        ASSET = "asset", pgettext_lazy("account type", "Asset")
        LIABILITY = "liability", pgettext_lazy("account type", "Liability")
        EQUITY = "equity", pgettext_lazy("account type", "Equity")
        REVENUE = "revenue", pgettext_lazy("account type", "Revenue")
        EXPENSE = "expense", pgettext_lazy("account type", "Expense")

    DEBIT_NORMAL = (Type.ASSET, Type.EXPENSE)

    code = models.CharField(max_length=100, verbose_name=_("code"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    type = models.CharField(max_length=10, choices=Type.choices, verbose_name=_("type"))
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY, verbose_name=_("currency"))
    shard = models.PositiveSmallIntegerField(default=0, verbose_name=_("shard"))
    is_hot = models.BooleanField(
        default=False, help_text=_("Sharded; locked last in every posting."), verbose_name=_("is hot")
    )
    normal_sign = models.SmallIntegerField(
        editable=False, help_text=_("+1 debit-normal, -1 credit-normal."), verbose_name=_("normal sign")
    )
    balance = models.BigIntegerField(default=0, editable=False, verbose_name=pgettext_lazy("ledger", "balance"))
    held = models.BigIntegerField(
        default=0, editable=False, help_text=_("Promised by active holds, not yet moved."), verbose_name=_("held")
    )
    version = models.BigIntegerField(default=0, editable=False, verbose_name=_("version"))
    allow_negative = models.BooleanField(default=True, verbose_name=_("allow negative"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
        verbose_name=_("owner"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = pgettext_lazy("ledger", "account")
        verbose_name_plural = pgettext_lazy("ledger", "accounts")
        ordering = ["code", "currency", "shard"]
        permissions = [
            ("adjust_wallet", _("Can credit or debit a customer's store credit")),
            ("verify_ledger", _("Can run the ledger integrity check")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["code", "currency", "shard"], name="account_code_currency_shard_unique"),
            # The target of holds' composite foreign key (account_id, currency).
            models.UniqueConstraint(fields=["id", "currency"], name="account_id_currency_unique"),
            models.CheckConstraint(
                condition=models.Q(allow_negative=True) | models.Q(balance__gte=models.F("held")),
                name="account_limited_never_negative",
            ),
            models.CheckConstraint(condition=models.Q(held__gte=0), name="account_held_non_negative"),
            models.CheckConstraint(condition=models.Q(normal_sign__in=[1, -1]), name="account_normal_sign_valid"),
        ]

    def __str__(self):
        suffix = f"#{self.shard}" if self.is_hot else ""
        return f"{self.code}{suffix} ({self.currency})"

    @property
    def available(self) -> int:
        return self.balance - self.held


class JournalEntry(models.Model):
    """One business event in the books: a set of postings that sum to zero per currency."""

    idempotency_key = models.CharField(max_length=200, verbose_name=_("idempotency key"))
    request_hash = models.CharField(max_length=64, verbose_name=_("request hash"))
    kind = models.CharField(max_length=40, verbose_name=_("kind"))
    memo = models.CharField(max_length=500, blank=True, verbose_name=_("memo"))
    reference_type = models.CharField(
        max_length=40, blank=True, help_text=_("order, payment, shipment, staff..."), verbose_name=_("reference type")
    )
    reference_id = models.CharField(max_length=64, blank=True, verbose_name=_("reference id"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("created by"),
    )
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
        verbose_name=_("reverses"),
    )
    created_at = models.DateTimeField(db_default=models.functions.Now(), editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        ordering = ["-id"]
        permissions = [("reverse_journalentry", _("Can post a reversing entry"))]
        # Every index is paid for on every posting: only the ones lookups need. (A unique
        # constraint, not unique=True, so Django adds no LIKE index for the key.)
        constraints = [
            models.UniqueConstraint(fields=["idempotency_key"], name="entry_idempotency_key_unique"),
            # Partial: most entries reverse nothing, and they need no index entry for it.
            models.UniqueConstraint(
                fields=["reverses"], condition=models.Q(reverses__isnull=False), name="entry_reversed_at_most_once"
            ),
        ]
        indexes = [models.Index(fields=["reference_type", "reference_id"], name="entry_reference")]

    def __str__(self):
        return f"#{self.pk} {self.kind}: {self.memo}"


class Posting(models.Model):
    """One leg of an entry: a signed amount (debit +, credit -) on one account."""

    # No foreign-key constraints here on purpose: the deferred trigger in ledger/sql.py checks,
    # once per entry at commit, that the entry exists and that each account exists and has
    # the posting's currency. Two foreign keys per posting cost ~17% of posting throughput.
    entry = models.ForeignKey(
        JournalEntry, on_delete=models.PROTECT, related_name="postings", db_constraint=False, verbose_name=_("entry")
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="postings",
        db_constraint=False,
        db_index=False,
        verbose_name=pgettext_lazy("ledger", "account"),
    )
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    amount = models.BigIntegerField(
        help_text=_("Minor units; debit positive, credit negative."), verbose_name=_("amount")
    )
    balance_after = models.BigIntegerField(
        help_text=_("The account's balance (normal side) after this posting."),
        verbose_name=pgettext_lazy("ledger", "balance after"),
    )
    account_version = models.BigIntegerField(
        help_text=_("Gap-free per account: 1, 2, 3..."), verbose_name=_("account version")
    )
    created_at = models.DateTimeField(db_default=models.functions.Now(), editable=False, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="posting_amount_non_zero"),
            models.UniqueConstraint(fields=["account", "account_version"], name="posting_account_version_unique"),
        ]
        # (account, account_version) above serves every per-account read; no other index.

    def __str__(self):
        return f"{self.account_id}: {self.amount}"


class Hold(models.Model):
    """Money promised from an account but not yet moved (e.g. store credit during checkout).

    Resolved at most once: posted (fully or partly), voided, or expired by the Beat sweeper.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("hold status", "Active")
        POSTED = "posted", pgettext_lazy("hold status", "Posted")
        VOIDED = "voided", pgettext_lazy("hold status", "Voided")
        EXPIRED = "expired", pgettext_lazy("hold status", "Expired")

    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        related_name="holds",
        db_constraint=False,
        verbose_name=pgettext_lazy("ledger", "account"),
    )
    amount = models.BigIntegerField(verbose_name=_("amount"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status"))
    idempotency_key = models.CharField(max_length=200, unique=True, verbose_name=_("idempotency key"))
    reference_type = models.CharField(max_length=40, blank=True, verbose_name=_("reference type"))
    reference_id = models.CharField(max_length=64, blank=True, verbose_name=_("reference id"))
    memo = models.CharField(max_length=500, blank=True, verbose_name=_("memo"))
    expires_at = models.DateTimeField(null=True, blank=True, verbose_name=_("expires at"))
    posted_amount = models.BigIntegerField(null=True, blank=True, verbose_name=_("posted amount"))
    resolution_entry = models.OneToOneField(
        JournalEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resolved_hold",
        verbose_name=_("resolution entry"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="hold_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(posted_amount__isnull=True)
                | models.Q(posted_amount__gt=0, posted_amount__lte=models.F("amount")),
                name="hold_posted_within_amount",
            ),
        ]
        indexes = [models.Index(fields=["status", "expires_at"], name="hold_status_expires")]

    def __str__(self):
        return gettext("hold #%(id)s on %(account)s (%(status)s)") % {
            "id": self.pk,
            "account": self.account,
            "status": self.get_status_display().lower(),
        }


class WalletAdjustmentRequest(models.Model):
    """A staff credit or debit of a customer's store credit: who asked, who approved, what was posted.

    A credit above the runtime threshold waits here (pending) until a second person holding
    the approval permission approves it; everything else is posted at once. The database
    refuses a request for one's own wallet and an approval by the requester.
    """

    class Direction(models.TextChoices):
        CREDIT = "credit", pgettext_lazy("store credit", "Credit")
        DEBIT = "debit", pgettext_lazy("store credit", "Debit")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("adjustment status", "Waiting for approval")
        POSTED = "posted", pgettext_lazy("adjustment status", "Posted")
        REJECTED = "rejected", pgettext_lazy("adjustment status", "Rejected")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="wallet_adjustments",
        verbose_name=_("customer"),
    )
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY)
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    amount = models.BigIntegerField(_("amount, kopiyky"))
    reason = models.CharField(_("reason"), max_length=300, help_text=_("Shown to the customer."))
    token = models.CharField(
        max_length=64, unique=True, help_text=_("The form's one-time token."), verbose_name=_("token")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
        help_text=_("Empty when no approval was needed (a debit, or a credit up to the threshold)."),
    )
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("rejected by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    entry = models.OneToOneField(
        JournalEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="wallet_adjustment",
        verbose_name=_("journal entry"),
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("store-credit adjustment")
        verbose_name_plural = _("store-credit adjustments")
        ordering = ["-id"]
        permissions = [
            (
                "approve_walletadjustmentrequest",
                _("Can approve or reject a store-credit adjustment someone else asked for"),
            )
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="wallet_adjustment_amount_positive"),
            models.CheckConstraint(
                condition=~models.Q(owner=models.F("requested_by")), name="wallet_adjustment_not_own_wallet"
            ),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | (~models.Q(approved_by=models.F("requested_by")) & ~models.Q(approved_by=models.F("owner"))),
                name="wallet_adjustment_four_eyes",
            ),
            models.CheckConstraint(
                condition=models.Q(status="posted", entry__isnull=False)
                | models.Q(status__in=["pending", "rejected"], entry__isnull=True),
                name="wallet_adjustment_posted_has_entry",
            ),
        ]
        indexes = [models.Index(fields=["status", "id"], name="wallet_adjustment_queue")]

    def __str__(self):
        return f"#{self.pk} {self.direction} {self.amount} for {self.owner_id} ({self.status})"
