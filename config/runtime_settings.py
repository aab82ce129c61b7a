"""Runtime settings: what staff change in the admin without a restart (django-constance).

Read through core/runtime.py, never from `constance.config` directly in app code. Each area
adds its own block; CONSTANCE_CONFIG_FIELDSETS groups them on the admin page.

Help texts are marked with gettext_noop: constance translates them when it renders the page
(in the staff member's language); the fieldset titles are translated by templates/admin/constance/change_list.html.
"""

from django.utils.translation import gettext_noop as _

# Every hot path (checkout, callbacks, labels) reads runtime settings: they come from Redis, not
# a query each. The database stays the truth: the admin's save writes the row, then the cache
# (every process sees it at once); a cold or unreachable cache is filled from one query over all
# keys. Every key is stored by a data migration (core 0005), so a first read never INSERTs its
# default inside somebody's checkout transaction. The cache alias (config/settings.py CACHES)
# ignores Redis errors, and its keys name the database (two sites on one Redis never mix).
CONSTANCE_DATABASE_CACHE_BACKEND = "runtime_settings"
CONSTANCE_DATABASE_CACHE_AUTOFILL_TIMEOUT = 5 * 60  # a value missed during a Redis hiccup is stale 5 min at most

CONSTANCE_CONFIG = {
    "ORDER_PAYMENT_TIMEOUT_MINUTES": (
        60,
        _("Minutes an online order waits for payment before it expires and its stock is released."),
        int,
    ),
    "COD_AUTO_CONFIRM": (
        False,
        _("Confirm cash-on-delivery orders at once instead of waiting for a staff phone call."),
        bool,
    ),
}
CONSTANCE_CONFIG["PAYMENT_RECONCILE_AFTER_MINUTES"] = (
    10,
    _("Ask the provider about a payment still pending (or a refund still in progress) after this many minutes."),
    int,
)
CONSTANCE_CONFIG["AUTO_REFUND_OVERPAYMENTS"] = (
    True,
    _(
        "Refund a second payment for a paid order (or for one whose goods are gone) automatically; "
        "off: leave it to staff."
    ),
    bool,
)
CONSTANCE_CONFIG.update(
    {
        "NP_SENDER_COUNTERPARTY_REF": ("", _("Nova Poshta: the shop's sender counterparty Ref."), str),
        "NP_SENDER_CONTACT_REF": ("", _("Nova Poshta: the sender's contact person Ref."), str),
        "NP_SENDER_PHONE": ("380000000000", _("Nova Poshta: the sender's phone, 380XXXXXXXXX."), str),
        "NP_SENDER_CITY_REF": ("", _("Nova Poshta: the city Ref parcels are sent from."), str),
        "NP_SENDER_WAREHOUSE_REF": ("", _("Nova Poshta: the branch Ref parcels are handed over at."), str),
        "NP_PARCEL_DESCRIPTION": ("Товари для дому", _("What the parcel holds, as printed on the waybill."), str),
        "NP_DEFAULT_WEIGHT_GRAMS": (1000, _("Parcel weight when the products' weights add up to less."), int),
    }
)
# --- Rate limits (security): per client IP, read on every request (core/ratelimit.py) ----------
# django-ratelimit's format: "10/m", "20/h", "100/5m"; empty or "0" switches one off.
CONSTANCE_CONFIG.update(
    {
        "RATE_LIMIT_LOGIN": ("10/m", _("Rate limit: shop login attempts per IP."), str),
        "RATE_LIMIT_SIGNUP": ("10/h", _("Rate limit: sign-ups per IP."), str),
        "RATE_LIMIT_CART_ADD": ("60/m", _("Rate limit: add-to-cart per IP."), str),
        "RATE_LIMIT_CHECKOUT": ("10/m", _("Rate limit: checkout submissions per IP."), str),
        "RATE_LIMIT_PAYMENT_START": ("10/m", _("Rate limit: payment starts (pay button) per IP."), str),
        "RATE_LIMIT_TOP_UP": ("10/m", _("Rate limit: store credit top-ups per IP."), str),
        "RATE_LIMIT_NP_PICKER": ("120/m", _("Rate limit: Nova Poshta city/branch look-ups per IP."), str),
        "RATE_LIMIT_WEBHOOK": ("600/m", _("Rate limit: payment provider callbacks per IP (generous)."), str),
    }
)
CONSTANCE_CONFIG_FIELDSETS = {
    _("Orders"): ("ORDER_PAYMENT_TIMEOUT_MINUTES", "COD_AUTO_CONFIRM"),
    _("Payments"): ("PAYMENT_RECONCILE_AFTER_MINUTES", "AUTO_REFUND_OVERPAYMENTS"),
    _("Nova Poshta sender"): (
        "NP_SENDER_COUNTERPARTY_REF",
        "NP_SENDER_CONTACT_REF",
        "NP_SENDER_PHONE",
        "NP_SENDER_CITY_REF",
        "NP_SENDER_WAREHOUSE_REF",
        "NP_PARCEL_DESCRIPTION",
        "NP_DEFAULT_WEIGHT_GRAMS",
    ),
}
CONSTANCE_CONFIG_FIELDSETS[_("Rate limits")] = (
    "RATE_LIMIT_LOGIN",
    "RATE_LIMIT_SIGNUP",
    "RATE_LIMIT_CART_ADD",
    "RATE_LIMIT_CHECKOUT",
    "RATE_LIMIT_PAYMENT_START",
    "RATE_LIMIT_TOP_UP",
    "RATE_LIMIT_NP_PICKER",
    "RATE_LIMIT_WEBHOOK",
)

# --- Ledger: store credit (runtime settings) -------------------------------------------------
CONSTANCE_CONFIG.update(
    {
        "WALLET_CREDIT_APPROVAL_THRESHOLD": (
            1000,
            _(
                "Hryvnias of store credit one person may give alone in 24 hours; a credit beyond it, or any credit "
                "to a staff member, waits for a second person's approval."
            ),
            int,
        ),
    }
)
CONSTANCE_CONFIG_FIELDSETS[_("Store credit")] = ("WALLET_CREDIT_APPROVAL_THRESHOLD",)

# --- Runtime settings: anti-abuse rules at checkout (fraud app); 0 switches a rule off ---------
CONSTANCE_CONFIG.update(
    {
        "FRAUD_MAX_OPEN_ORDERS_PER_PHONE": (
            3,
            _("Refuse a checkout when this phone already has this many orders placed but not confirmed or paid."),
            int,
        ),
        "FRAUD_MAX_OPEN_ORDERS_PER_EMAIL": (
            3,
            _("Refuse a checkout when this e-mail already has this many orders placed but not confirmed or paid."),
            int,
        ),
        "FRAUD_MAX_OPEN_ORDERS_PER_IP": (
            10,
            _("Refuse a checkout when this IP address already has this many orders placed but not confirmed or paid."),
            int,
        ),
        "FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT": (
            2,
            _("After this many cash-on-delivery parcels to a phone came back uncollected, it must pay online."),
            int,
        ),
        "FRAUD_REVIEW_FIRST_ORDER_ABOVE": (
            1_000_000,
            _(
                "A first order (no earlier order by its phone, e-mail or account) above this total, in kopiyky, "
                "goes to review instead of being confirmed automatically."
            ),
            int,
        ),
        "FRAUD_REVIEW_IP_ORDERS": (
            5,
            _("An order that is at least the Nth from one IP address within the window below goes to review."),
            int,
        ),
        "FRAUD_REVIEW_IP_WINDOW_MINUTES": (60, _("The window, in minutes, of the rule above."), int),
    }
)
CONSTANCE_CONFIG_FIELDSETS[_("Anti-abuse")] = (
    "FRAUD_MAX_OPEN_ORDERS_PER_PHONE",
    "FRAUD_MAX_OPEN_ORDERS_PER_EMAIL",
    "FRAUD_MAX_OPEN_ORDERS_PER_IP",
    "FRAUD_COD_REFUSALS_BEFORE_PREPAYMENT",
    "FRAUD_REVIEW_FIRST_ORDER_ABOVE",
    "FRAUD_REVIEW_IP_ORDERS",
    "FRAUD_REVIEW_IP_WINDOW_MINUTES",
)
