"""Shipping in the back office: the parcel queue (shipments), its pages and bulk actions."""

from shipping.admin import shipments  # noqa: F401  (registers the admins)
