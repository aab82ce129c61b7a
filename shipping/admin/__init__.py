"""Shipping in the back office: the parcel queue (shipments), its pages and bulk actions, the directory."""

from shipping.admin import directory, shipments  # noqa: F401  (registers the admins)
