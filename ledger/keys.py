"""Every journal entry's idempotency key, built in one place.

A key is the fact an entry records ("order 42 was delivered and its COD cash is owed"), so
posting the same fact twice is a no-op. Other apps never spell keys by hand: they call these
builders, and ask `ledger.selectors.entry_exists(key=...)` when they need to know whether a
fact was booked. The strings are stored in the ledger forever: never change one.
"""

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat


def order_store_credit(*, order_id: int) -> str:
    """Store credit held at checkout and posted when the order is confirmed."""
    return f"order:{order_id}:store-credit"


def order_store_credit_refund(*, order_id: int) -> str:
    """Store credit given back to the wallet when a confirmed order is cancelled."""
    return f"order:{order_id}:store-credit-refund"


def order_delivered(*, order_id: int, part: str) -> str:
    """Revenue of a delivered order; `part` is "store-credit", "cod" or "online"."""
    return f"order:{order_id}:delivered:{part}"


def payment_capture(*, reference: str) -> str:
    """A payment's capture (money at the provider, owed to the customer until delivery)."""
    return f"payment:{reference}:capture"


def payment_overpayment_refund(*, reference: str) -> str:
    """An overpayment moved to refunds owed."""
    return f"payment:{reference}:overpayment-refund"


def payment_external(*, reference: str, total: int) -> str:
    """A refund made outside kramar (in the provider's cabinet), learned up to `total` kopiyky."""
    return f"payment:{reference}:external:{total}"


def payment_order_closed_refund(*, reference: str) -> str:
    """The refund of a payment whose order was cancelled or expired (its Refund's key)."""
    return f"payment:{reference}:order-closed"


def payment_chargeback(*, reference: str) -> str:
    """A lost dispute: the provider took the payment's money back (at most once per payment)."""
    return f"payment:{reference}:chargeback"


def refund(*, refund_id: int) -> str:
    """A refund confirmed by the provider."""
    return f"refund:{refund_id}"


def hold_post(*, hold_id: int) -> str:
    """A hold turned into a posting."""
    return f"hold:{hold_id}:post"


def wallet_adjustment(*, token: str) -> str:
    """A staff credit or debit of a wallet; the token is the form's, so a resubmit is a no-op."""
    return f"wallet-admin:{token}"


def reversal(*, entry_id: int) -> str:
    """The reversing entry of entry `entry_id` (an entry is reversed at most once)."""
    return f"reversal:{entry_id}"


def order_delivered_sql(order_id, *, part: str):
    """`order_delivered` as a database expression over `order_id` (an F/OuterRef), for Exists() queries.

    Builds the very string order_delivered builds, so a sweep can ask "not booked yet?" in SQL.
    """
    return Concat(Value("order:"), Cast(order_id, CharField()), Value(f":delivered:{part}"), output_field=CharField())
