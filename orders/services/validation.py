"""What a checkout or a staff edit must contain before anything is written."""

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from core.validators import normalize_ua_phone
from directory.exceptions import InvalidDelivery
from directory.selectors import resolve_delivery
from orders.exceptions import InvalidCheckout
from orders.models import Order

MAX_LINES = 50
MAX_QUANTITY = 99


def clean_contact(
    *,
    full_name: str,
    phone: str,
    email: str,
    delivery_city: str,
    delivery_branch: str,
    error: type[DomainError] = InvalidCheckout,
) -> dict:
    """Normalise contact and delivery fields; `error` (InvalidCheckout by default) names every field to fix."""
    errors = {}
    full_name = (full_name or "").strip()
    if not full_name:
        errors["full_name"] = _("Enter the recipient's name.")
    normalized_phone = normalize_ua_phone(phone)
    if not normalized_phone:
        errors["phone"] = _("Enter a Ukrainian phone number as +380XXXXXXXXX.")
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError:
        errors["email"] = _("Enter a valid e-mail address.")
    if not (delivery_city or "").strip():
        errors["delivery_city"] = _("Enter the Nova Poshta city.")
    if not (delivery_branch or "").strip():
        errors["delivery_branch"] = _("Enter the Nova Poshta branch or parcel locker.")
    for field, value in (
        ("full_name", full_name),
        ("email", email),
        ("delivery_city", delivery_city),
        ("delivery_branch", delivery_branch),
    ):
        limit = Order._meta.get_field(field).max_length
        if field not in errors and len((value or "").strip()) > limit:
            errors[field] = _("At most %(limit)d characters, please.") % {"limit": limit}
    if errors:
        field, message = next(iter(errors.items()))
        raise error(message, extra={"errors": errors})
    return {
        "full_name": full_name,
        "phone": normalized_phone,
        "email": email,
        "delivery_city": delivery_city.strip(),
        "delivery_branch": delivery_branch.strip(),
    }


def refuse_online_payment_unless_offered() -> None:
    """Refuse an online order when no payment provider is switched on: nobody could pay it.

    It would only hold stock until it expires. Payments sits above orders, so the switch is
    read where payments reads it: settings.PAYMENT_PROVIDERS.
    """
    if any(conf.get("enabled") for conf in settings.PAYMENT_PROVIDERS.values()):
        return
    message = _('Online payment is not available here; pay cash on delivery (payment method "cod") instead.')
    raise InvalidCheckout(message, code="payment_method_unavailable", extra={"errors": {"payment_method": [message]}})


def clean_items(items: Mapping[int, int]) -> dict[int, int]:
    if not items:
        raise InvalidCheckout(_("The cart is empty."))
    if len(items) > MAX_LINES:
        raise InvalidCheckout(_("An order can hold at most %(count)d different products.") % {"count": MAX_LINES})
    cleaned = {}
    for product_id, quantity in items.items():
        if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidCheckout(_("Quantity must be between 1 and %(max)d.") % {"max": MAX_QUANTITY})
        cleaned[int(product_id)] = quantity
    return cleaned


def delivery_from_directory(*, city: str, branch: str, city_ref: str, warehouse_ref: str, refs_required: bool) -> dict:
    """The delivery fields an order stores, checked against the Nova Poshta directory.

    Refs, when given, must be a real city and an active branch in it (InvalidDelivery names
    the field), and the names then come from the directory, whatever the caller typed.
    Without Refs the typed names are kept, unless `refs_required` (the shop's own checkout
    always picks from the directory).
    """
    city_ref, warehouse_ref = (city_ref or "").strip(), (warehouse_ref or "").strip()
    if not (city_ref or warehouse_ref):
        if refs_required:
            message = _("Choose your city from the Nova Poshta list.")
            raise InvalidDelivery(message, extra={"errors": {"delivery_city": message}})
        return {"delivery_city": city, "delivery_branch": branch, "delivery_city_ref": "", "delivery_warehouse_ref": ""}
    picked_city, warehouse = resolve_delivery(city_ref=city_ref, warehouse_ref=warehouse_ref)
    return {
        "delivery_city": picked_city.name,
        "delivery_branch": warehouse.name,
        "delivery_city_ref": picked_city.ref,
        "delivery_warehouse_ref": warehouse.ref,
    }
