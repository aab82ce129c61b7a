"""Checkout's anti-abuse rules, run by orders.services.place_order inside its transaction.

`lock_checkout_identities` comes first (before the order row: the lock order's step 0), then
`screen_checkout` refuses (a CheckoutRefused, nothing written) or names the rule that holds
the order for review. Every threshold is a runtime setting (core.runtime); 0 switches a rule
off. The rules read orders but never change them: the checkout records what they decided
(`record_screening`). The staff's block list is kept here too (the rules read it); their
decisions on held orders are orders.services.review.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import runtime
from core.exceptions import ValidationError
from core.money import format_money
from core.validators import normalize_ua_phone
from orders.exceptions import ContactBlocked, PrepaymentRequired, TooManyOpenOrders
from orders.models import BlockedContact, Order, OrderScreening, Source
from orders.services.history import record_decision

logger = logging.getLogger("orders.screening")


@dataclass(frozen=True)
class Hold:
    """The order is placed but waits for a person: `rule` is the setting that decided it."""

    rule: str
    reason: str


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a name (sha256, so unrelated names do not collide)."""
    return int.from_bytes(hashlib.sha256(f"kramar.checkout:{name}".encode()).digest()[:8], "big", signed=True)


def counting_rules_on(thresholds: dict[str, int]) -> bool:
    """Whether any rule counts a shopper's orders (then racing checkouts must be serialised).

    `thresholds` is core.runtime.fraud_thresholds(), read once per checkout.
    """
    t = thresholds
    return bool(
        t["FRAUD_MAX_OPEN_ORDERS_PER_PHONE"]
        or t["FRAUD_MAX_OPEN_ORDERS_PER_EMAIL"]
        or t["FRAUD_MAX_OPEN_ORDERS_PER_IP"]
        or t["FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT"]
        or t["FRAUD_REVIEW_FIRST_ORDER_ABOVE"]
        or (t["FRAUD_REVIEW_IP_ORDERS"] and t["FRAUD_REVIEW_IP_WINDOW_MINUTES"])
    )


def lock_checkout_identities(*, phone: str, email: str, ip: str | None) -> None:
    """Serialise checkouts by the same phone, e-mail or IP until the transaction ends.

    Transaction-scoped advisory locks, taken in key order (so two checkouts sharing two of
    them cannot deadlock) and before the order row: the per-phone, per-e-mail and per-IP
    counts below are then exact when N checkouts race. One statement: unnest() hands the
    sorted keys to pg_advisory_xact_lock one at a time, in order. The counts must be a later
    statement (it sees what the lock holders we waited for committed; this one's snapshot
    is older). Checkout skips the locks when no rule counts anything (counting_rules_on).
    """
    names = [f"phone:{phone}", f"email:{email}"] + ([f"ip:{ip}"] if ip else [])
    keys = sorted({_lock_key(name) for name in names})
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(%s::bigint[]) AS k", [keys])


def _open_orders() -> "Q":
    """Orders still holding stock that nobody has paid for yet.

    Placed ones (waiting for payment or the confirmation call), and cash-on-delivery ones
    until their parcel is collected: with COD_AUTO_CONFIRM they are confirmed at once, and
    still reserve stock unpaid.
    """
    S = Order.Status
    return Q(status=S.PLACED) | Q(payment_method=Order.PaymentMethod.COD, status__in=[S.CONFIRMED, S.SHIPPED])


def _counted(**queries) -> dict:
    """Run several counts / existence checks in one statement (one scalar subquery each, so
    each uses its own index); `queries` maps a name to ("count" | "exists", queryset)."""
    if not queries:
        return {}
    parts, params = [], []
    for kind, queryset in queries.values():
        sql, qs_params = queryset.order_by().values("pk").query.sql_with_params()
        if kind == "count":
            parts.append(f"(SELECT count(*) FROM ({sql}) AS counted)")
        else:
            parts.append(f"EXISTS({sql} LIMIT 1)")
        params += qs_params
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(queries, row, strict=True))


def screen_checkout(
    *,
    phone: str,
    email: str,
    ip: str | None,
    customer_id: int | None,
    payment_method: str,
    total: int,
    thresholds: dict[str, int] | None = None,
) -> Hold | None:
    """Refuse the checkout (CheckoutRefused) or say whether the order waits for review.

    `phone` and `email` are normalised (orders.services.validation.clean_contact). The block
    list and every count a switched-on rule needs are read in one query; the rules then decide
    in their fixed order (block list, caps, COD refusals, review holds).
    """
    t = thresholds if thresholds is not None else runtime.fraud_thresholds()
    caps = [
        ("FRAUD_MAX_OPEN_ORDERS_PER_PHONE", t["FRAUD_MAX_OPEN_ORDERS_PER_PHONE"], Q(phone=phone)),
        ("FRAUD_MAX_OPEN_ORDERS_PER_EMAIL", t["FRAUD_MAX_OPEN_ORDERS_PER_EMAIL"], Q(email=email)),
        ("FRAUD_MAX_OPEN_ORDERS_PER_IP", t["FRAUD_MAX_OPEN_ORDERS_PER_IP"], Q(screening__ip=ip) if ip else None),
    ]
    refusals_allowed = t["FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT"]
    if payment_method != Order.PaymentMethod.COD:
        refusals_allowed = 0
    above = t["FRAUD_REVIEW_FIRST_ORDER_ABOVE"]
    many, minutes = t["FRAUD_REVIEW_IP_ORDERS"], t["FRAUD_REVIEW_IP_WINDOW_MINUTES"]

    queries = {
        "blocked": (
            "exists",
            BlockedContact.objects.filter(
                Q(kind=BlockedContact.Kind.PHONE, value=phone) | Q(kind=BlockedContact.Kind.EMAIL, value=email)
            ),
        )
    }
    for rule, limit, lookup in caps:
        if limit and lookup is not None:
            queries[rule] = ("count", Order.objects.filter(lookup, _open_orders()))
    if refusals_allowed:
        queries["returned"] = (
            "count",
            Order.objects.filter(phone=phone, payment_method=Order.PaymentMethod.COD, status=Order.Status.RETURNED),
        )
    if above and total > above:
        earlier = Q(phone=phone) | Q(email=email)
        if customer_id is not None:
            earlier |= Q(customer_id=customer_id)
        queries["earlier"] = ("exists", Order.objects.filter(earlier))
    if ip and many and minutes:
        since = timezone.now() - timedelta(minutes=minutes)
        queries["recent"] = ("count", OrderScreening.objects.filter(ip=ip, created_at__gte=since))
    found = _counted(**queries)

    if found["blocked"]:
        _refused("block_list", phone=phone, email=email, ip=ip)
        raise ContactBlocked(rule="block_list")
    for rule, limit, _lookup in caps:
        if rule in found and found[rule] >= limit:
            _refused(rule, phone=phone, email=email, ip=ip)
            raise TooManyOpenOrders(rule=rule, extra={"limit": limit})
    if refusals_allowed and found["returned"] >= refusals_allowed:
        _refused("FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT", phone=phone, email=email, ip=ip)
        message = str(PrepaymentRequired.default_message)
        raise PrepaymentRequired(
            message, rule="FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT", extra={"errors": {"payment_method": [message]}}
        )
    if "earlier" in found and not found["earlier"]:
        return Hold(
            rule="FRAUD_REVIEW_FIRST_ORDER_ABOVE",
            reason=_("A first order of %(total)s, above %(limit)s")
            % {"total": format_money(total), "limit": format_money(above)},
        )
    if "recent" in found and found["recent"] + 1 >= many:
        return Hold(
            rule="FRAUD_REVIEW_IP_ORDERS",
            reason=_("Order number %(n)s from %(ip)s within %(minutes)s minutes")
            % {"n": found["recent"] + 1, "ip": ip, "minutes": minutes},
        )
    return None


def _refused(rule: str, *, phone: str, email: str, ip: str | None) -> None:
    # No order exists to carry the decision, so the log does (phone and e-mail masked).
    logger.warning("checkout refused by %s: phone=…%s email=%s… ip=%s", rule, phone[-4:], email[:2], ip)


def record_screening(*, order: Order, ip: str | None, hold: Hold | None) -> None:
    """Keep what checkout saw and decided for a new order; a hold goes on its history."""
    OrderScreening.objects.create(
        order=order,
        ip=ip,
        review=OrderScreening.Review.PENDING if hold else OrderScreening.Review.NOT_NEEDED,
        rule=hold.rule if hold else "",
        reason=(hold.reason if hold else "")[:255],
        created_at=order.created_at,
    )
    if hold is not None:
        record_decision(
            order=order, decision="review", reason=f"Held for review ({hold.rule}): {hold.reason}", source=Source.SYSTEM
        )


def awaits_review(*, order: Order) -> bool:
    """Whether the anti-abuse rules hold this order in the review queue."""
    return OrderScreening.objects.filter(order_id=order.pk, review=OrderScreening.Review.PENDING).exists()


def review_pending() -> Exists:
    """For an order lock's annotate(screening_pending=...): whether the order waits for review."""
    return Exists(OrderScreening.objects.filter(order_id=OuterRef("pk"), review=OrderScreening.Review.PENDING))


def hold_paid_order(*, order: Order, reason: str, source: str) -> bool:
    """Keep an order whose online payment was captured in the review queue, if it waits there.

    The caller holds the order's row lock (the capture's transaction); the screening row is
    locked after it, as the review decisions do. True when the order is held: it stays placed
    and paid, nothing is confirmed or kicked, the expiry sweep leaves it alone, and approving it
    confirms it (orders.services.review). An order never screened, or already decided, is not held.
    """
    if getattr(order, "screening_pending", None) is False:
        return False  # read with the order's lock (review_pending): nothing waits for review
    screening = (
        OrderScreening.objects.select_for_update()
        .filter(order_id=order.pk, review=OrderScreening.Review.PENDING)
        .first()
    )
    if screening is None:
        return False
    if screening.paid_at is None:
        screening.paid_at = timezone.now()
        screening.save(update_fields=["paid_at"])
    record_decision(
        order=order,
        decision="paid_while_held",
        reason=f"{reason}; held for review ({screening.rule}), confirmed when approved",
        source=source,
    )
    return True


def paid_while_held():
    """The orders whose payment was captured while they waited for review (for the expiry sweep)."""
    return OrderScreening.objects.filter(paid_at__isnull=False)


# --- the block list -------------------------------------------------------------------------


def normalize_blocked_value(*, kind: str, value: str) -> str:
    """The form a block-list entry is stored and compared in (checkout's own normalisation)."""
    value = (value or "").strip()
    if kind == BlockedContact.Kind.PHONE:
        phone = normalize_ua_phone(value)
        if not phone:
            raise ValidationError(_("Enter a Ukrainian phone number as +380XXXXXXXXX."), code="invalid_phone")
        return phone
    if "@" not in value:
        raise ValidationError(_("Enter a valid e-mail address."), code="invalid_email")
    return value.lower()


@transaction.atomic
def block_contact(*, kind: str, value: str, reason: str, by) -> BlockedContact:
    """Put a phone or e-mail on the block list (once; a second time updates the reason)."""
    entry, _created = BlockedContact.objects.update_or_create(
        kind=kind,
        value=normalize_blocked_value(kind=kind, value=value),
        defaults={"reason": reason},
        create_defaults={"reason": reason, "added_by": by},
    )
    return entry
