from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from core.large_lists import search_index
from core.money import DEFAULT_CURRENCY
from core.validators import validate_ua_phone


class Source(models.TextChoices):
    """Where a change came from; recorded with every transition."""

    WEB = "web", pgettext_lazy("source", "Shop pages")
    API = "api", pgettext_lazy("source", "API")
    ADMIN = "admin", pgettext_lazy("source", "Back office")
    WEBHOOK = "webhook", pgettext_lazy("source", "Provider webhook")
    BEAT = "beat", pgettext_lazy("source", "Scheduled job")
    SYSTEM = "system", pgettext_lazy("source", "System")


# Searched together by the order admin (core/large_lists.py: one expression, one index).
ORDER_SEARCH_FIELDS = ("number", "full_name", "email", "phone", "tracking_number")


class Order(ConcurrentTransitionMixin, models.Model):
    """A shopper's order. `status` moves only through the transitions below (see DESIGN.md).

    Transitions only set fields; orders.services locks the row, runs them, saves, and does
    the side effects (stock, e-mails). `version` goes up with every change: API clients see
    it as the ETag, the admin uses it to refuse a stale edit.
    """

    class Status(models.TextChoices):
        PLACED = "placed", pgettext_lazy("order status", "Placed")
        CONFIRMED = "confirmed", pgettext_lazy("order status", "Confirmed")
        SHIPPED = "shipped", pgettext_lazy("order status", "Shipped")
        DELIVERED = "delivered", pgettext_lazy("order status", "Delivered")
        COMPLETED = "completed", pgettext_lazy("order status", "Completed")
        CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")
        EXPIRED = "expired", pgettext_lazy("order status", "Expired")
        RETURNED = "returned", pgettext_lazy("order status", "Returned")

    class PaymentMethod(models.TextChoices):
        """How the part not covered by store credit is paid."""

        COD = "cod", pgettext_lazy("order payment method", "Cash on delivery")
        ONLINE = "online", pgettext_lazy("order payment method", "Online card payment")
        STORE_CREDIT = "store_credit", pgettext_lazy("order payment method", "Store credit")

    OPEN_STATUSES = (Status.PLACED, Status.CONFIRMED)

    number = models.CharField(max_length=20, unique=True, editable=False, verbose_name=_("number"))
    public_token = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("public token"))
    checkout_token = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("checkout token"))
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
    )
    full_name = models.CharField(_("full name"), max_length=150)
    phone = models.CharField(max_length=13, validators=[validate_ua_phone], verbose_name=_("phone"))
    email = models.EmailField(_("e-mail"))
    delivery_city = models.CharField(max_length=120, verbose_name=_("delivery city"))
    delivery_branch = models.CharField(
        max_length=255, help_text=_("Nova Poshta branch or parcel locker."), verbose_name=_("delivery branch")
    )
    delivery_city_ref = models.CharField(
        max_length=36,
        blank=True,
        help_text=_("Nova Poshta city Ref (Shipping › Cities); the names follow it."),
        verbose_name=_("delivery city ref"),
    )
    delivery_warehouse_ref = models.CharField(
        max_length=36,
        blank=True,
        help_text=_("Nova Poshta branch or parcel locker Ref (Shipping › Warehouses)."),
        verbose_name=_("delivery warehouse ref"),
    )
    tracking_number = models.CharField(
        max_length=40, blank=True, help_text=_("The carrier's waybill (TTN)."), verbose_name=_("tracking number")
    )
    comment = models.TextField(blank=True, verbose_name=_("comment"))
    payment_method = models.CharField(max_length=16, choices=PaymentMethod.choices, verbose_name=_("payment method"))
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY, editable=False, verbose_name=_("currency"))
    subtotal = models.PositiveBigIntegerField(editable=False, verbose_name=_("subtotal"))
    delivery_fee = models.PositiveBigIntegerField(default=0, editable=False, verbose_name=_("delivery fee"))
    total = models.PositiveBigIntegerField(editable=False, verbose_name=_("total"))
    store_credit = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text=_("Paid from the customer's store credit (kopiyky)."),
        verbose_name=_("store credit"),
    )
    store_credit_hold = models.OneToOneField(
        "ledger.Hold",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="order",
        editable=False,
        verbose_name=_("store credit hold"),
    )
    status = FSMField(
        max_length=16, choices=Status.choices, default=Status.PLACED, protected=True, verbose_name=_("status")
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    placed_via = models.CharField(max_length=16, choices=Source.choices, editable=False, verbose_name=_("placed via"))
    # The language the order was placed in; every e-mail about it is written in it, whoever
    # triggers the e-mail (a staff member's admin may be in another language).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE, editable=False
    )
    expires_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("expires at"))
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("confirmed at"))
    shipped_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("shipped at"))
    delivered_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("delivered at"))
    completed_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("completed at"))
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("cancelled at"))
    expired_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("expired at"))
    returned_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("returned at"))
    handed_over_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("When tracking first showed the parcel with the carrier; from then on it cannot be cancelled."),
        verbose_name=_("handed over at"),
    )

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("confirm_order", _("Can confirm orders")),
            ("cancel_order", _("Can cancel orders")),
            ("ship_order", _("Can mark orders shipped")),
            ("deliver_order", _("Can mark orders delivered or returned")),
            ("complete_order", _("Can complete orders")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(total=models.F("subtotal") + models.F("delivery_fee")), name="order_total_adds_up"
            ),
            models.CheckConstraint(condition=models.Q(subtotal__gt=0), name="order_subtotal_positive"),
            models.CheckConstraint(
                condition=models.Q(store_credit__lte=models.F("total")), name="order_store_credit_within_total"
            ),
            models.CheckConstraint(
                condition=~models.Q(payment_method="store_credit") | models.Q(store_credit=models.F("total")),
                name="order_store_credit_method_pays_all",
            ),
            models.CheckConstraint(
                condition=models.Q(payment_method="cod", expires_at__isnull=True) | ~models.Q(payment_method="cod"),
                name="order_cod_never_expires",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="order_status_expires"),
            models.Index(fields=["phone"], name="order_phone"),
            models.Index(fields=["email"], name="order_email"),
            # The admin's search (number, name, e-mail, phone, TTN) as one trigram index.
            search_index("order_search_trgm", *ORDER_SEARCH_FIELDS),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:detail", kwargs={"token": self.public_token})

    @property
    def stock_reference(self) -> str:
        """How catalog names this order's reservations."""
        return f"order:{self.pk}"

    @property
    def is_cod(self) -> bool:
        return self.payment_method == self.PaymentMethod.COD

    @property
    def tracking_url(self) -> str:
        if not self.tracking_number:
            return ""
        return settings.TRACKING_URL_TEMPLATE.format(number=self.tracking_number)

    @property
    def amount_due(self) -> int:
        """What is left to pay by the payment method after store credit."""
        return self.total - self.store_credit

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def offline_payment_status(self) -> str | None:
        """How a COD or store-credit order is paid, read from the order alone; None for online orders.

        An online order's payment state lives in its payments: ask
        payments.selectors.order_payment_status, which answers for every order.
        """
        if self.payment_method == self.PaymentMethod.STORE_CREDIT:
            return "paid with store credit"
        if self.is_cod:
            return (
                "paid on delivery"
                if self.status in (self.Status.DELIVERED, self.Status.COMPLETED)
                else "cash on delivery"
            )
        return None

    # --- conditions ---------------------------------------------------------------------------

    def can_be_confirmed(self) -> bool:
        """A COD order is confirmed by staff; an online order only by its captured payment.

        An order paid in full with store credit is confirmed at checkout.
        """
        return self.payment_method in (self.PaymentMethod.COD, self.PaymentMethod.STORE_CREDIT)

    def can_expire(self) -> bool:
        return self.payment_method == self.PaymentMethod.ONLINE and self.expires_at is not None

    # --- transitions: set fields only; orders.services does everything else --------------------

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=Status.PLACED,
        target=Status.CONFIRMED,
        conditions=[can_be_confirmed],
        permission="orders.confirm_order",
    )
    def confirm(self, *, by=None, description=None):
        self.confirmed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=Status.PLACED, target=Status.CONFIRMED, conditions=[can_expire])
    def pay(self, *, by=None, description=None):
        """An online order's payment was captured (payments calls this, never staff)."""
        self.confirmed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=Status.EXPIRED, target=Status.CONFIRMED, conditions=[can_expire])
    def revive(self, *, by=None, description=None):
        """A payment arrived after the order expired, and its stock could be reserved again."""
        self.confirmed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=Status.EXPIRED, target=Status.PLACED, conditions=[can_expire])
    def reinstate(self, *, by=None, description=None):
        """A late payment for an expired order held for review: placed again, staff decide."""
        self.expired_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=Status.CONFIRMED, target=Status.SHIPPED, permission="orders.ship_order")
    def ship(self, *, by=None, description=None):
        self.shipped_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=Status.SHIPPED, target=Status.CONFIRMED, permission="orders.ship_order")
    def unship(self, *, by=None, description=None):
        """Its waybill was voided before hand-over: it waits for a new one."""
        self.shipped_at = None

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=Status.SHIPPED, target=Status.DELIVERED, permission="orders.deliver_order")
    def deliver(self, *, by=None, description=None):
        self.delivered_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=Status.DELIVERED, target=Status.COMPLETED, permission="orders.complete_order")
    def complete(self, *, by=None, description=None):
        self.completed_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        # From shipped too: a waybill exists but the parcel may not be handed over yet;
        # shipping deletes the waybill (or flags it for a person if the carrier has it).
        source=[Status.PLACED, Status.CONFIRMED, Status.SHIPPED],
        target=Status.CANCELLED,
        permission="orders.cancel_order",
    )
    def cancel(self, *, by=None, description=None):
        self.cancelled_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(field=status, source=Status.PLACED, target=Status.EXPIRED, conditions=[can_expire])
    def expire(self, *, by=None, description=None):
        self.expired_at = timezone.now()

    @fsm_log_by
    @fsm_log_description
    @transition(
        field=status,
        source=[Status.SHIPPED, Status.DELIVERED],
        target=Status.RETURNED,
        permission="orders.deliver_order",
    )
    def return_(self, *, by=None, description=None):
        self.returned_at = timezone.now()


# Transitions by the names staff and clients use ("return" is a keyword in Python).
TRANSITIONS = {
    "confirm": "confirm",
    "pay": "pay",
    "revive": "revive",
    "reinstate": "reinstate",
    "ship": "ship",
    "deliver": "deliver",
    "complete": "complete",
    "cancel": "cancel",
    "expire": "expire",
    "return": "return_",
    "unship": "unship",
}


class OrderLine(models.Model):
    """One product on an order, with the name and price it had when the order was placed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    product = models.ForeignKey(
        "catalog.Product", on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("product")
    )
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(max_length=200, verbose_name=_("name"))
    unit_price = models.PositiveBigIntegerField(verbose_name=_("unit price"))
    quantity = models.PositiveIntegerField(verbose_name=_("quantity"))
    line_total = models.PositiveBigIntegerField(verbose_name=_("line total"))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(line_total=models.F("unit_price") * models.F("quantity")),
                name="order_line_total_adds_up",
            ),
            models.UniqueConstraint(fields=["order", "product"], name="order_line_one_per_product"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.name}"
