from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict, NotFound, ValidationError


class UnknownCustomer(NotFound):
    code = "unknown_customer"
    default_message = _("No customer has this e-mail.")


class NotACustomer(ValidationError):
    code = "not_a_customer"
    default_message = _("Staff accounts are not exported or anonymised here; a superuser handles them.")


class CustomerHasOpenOrders(Conflict):
    code = "customer_has_open_orders"
    default_message = _("The customer has orders that are not yet delivered or cancelled.")


class AlreadyAnonymised(Conflict):
    code = "already_anonymised"
    default_message = _("This customer was already anonymised.")
