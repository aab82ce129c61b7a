"""Who a cart belongs to: a customer, or a guest known by a token."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CartOwner:
    customer_id: int | None = None
    guest_token: str | None = None

    def __post_init__(self):
        if (self.customer_id is None) == (self.guest_token is None):
            raise ValueError("A cart belongs to a customer or to a guest token, exactly one.")

    def as_filter(self, prefix: str = "") -> dict:
        """The lookup of this owner's cart (`prefix` "cart__" from its lines)."""
        if self.customer_id is not None:
            return {f"{prefix}customer_id": self.customer_id}
        return {f"{prefix}guest_token": self.guest_token}
