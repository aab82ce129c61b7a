"""Shopper forms: they check what a person typed and say clearly what to fix.

The rules that matter (stock, prices, idempotency) live in orders.services; these forms only
catch typing mistakes early, and the views put the services' own errors on the same fields.
"""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.selectors import list_products_for_shoppers
from core.money import format_money
from core.validators import normalize_ua_phone
from orders.models import Order
from orders.services import MAX_QUANTITY

QUANTITY_ERRORS = {
    "required": _("Enter a quantity."),
    "invalid": _("Enter a whole number."),
    "min_value": _("Enter a quantity of at least %(limit_value)s."),
    "max_value": _("You can buy at most %(limit_value)s of one product."),
}
PHONE_ERROR = _("Enter a Ukrainian phone number, for example +380671234567 or 067 123 45 67.")


def quantity_field(*, min_value: int, label=None) -> forms.IntegerField:
    return forms.IntegerField(
        label=label or _("Quantity"),
        min_value=min_value,
        max_value=MAX_QUANTITY,
        error_messages=QUANTITY_ERRORS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty"}),
    )


class AddToCartForm(forms.Form):
    product_id = forms.ModelChoiceField(
        queryset=list_products_for_shoppers(),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose a product."),
            "invalid_choice": _("This product is no longer sold."),
        },
    )
    quantity = quantity_field(min_value=1)


class CartUpdateForm(forms.Form):
    """One quantity field per cart line, named quantity_<product id>; 0 removes the line."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        for line in lines:
            field = quantity_field(
                min_value=0, label=gettext("Quantity of %(product)s") % {"product": line.product.name}
            )
            field.initial = line.quantity
            self.fields[self.field_name(line.product.pk)] = field

    @staticmethod
    def field_name(product_id: int) -> str:
        return f"quantity_{product_id}"

    def quantities(self) -> dict[int, int]:
        """{product_id: quantity} from a valid form."""
        return {int(name.removeprefix("quantity_")): value for name, value in self.cleaned_data.items()}


class CheckoutForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        help_text=_("The recipient, as on their ID: Nova Poshta checks it at pick-up."),
        error_messages={"required": _("Enter the recipient's name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        help_text=_("A Ukrainian number: we call it to confirm the order."),
        error_messages={"required": PHONE_ERROR},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "+380671234567"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("We send the order confirmation and its link here."),
        error_messages={"required": _("Enter an e-mail address."), "invalid": _("Enter a valid e-mail address.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    delivery_city = forms.CharField(
        label=_("Nova Poshta city"),
        max_length=120,
        help_text=_("Start typing and choose your city from the list."),
        error_messages={"required": _("Enter the Nova Poshta city.")},
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    delivery_branch = forms.CharField(
        label=_("Nova Poshta branch or parcel locker"),
        max_length=255,
        help_text=_("Choose a branch or parcel locker in your city."),
        error_messages={"required": _("Enter the Nova Poshta branch or parcel locker.")},
    )
    # The Nova Poshta Refs of what the shopper picked (filled in by the picker script); the
    # view checks them against the directory and stores the directory's names with them, so
    # a wrong Ref (whatever its length) is reported at the visible field, never here.
    delivery_city_ref = forms.CharField(required=False, widget=forms.HiddenInput)
    delivery_warehouse_ref = forms.CharField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment for the shop"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    payment_method = forms.ChoiceField(
        label=_("Payment"),
        choices=[(Order.PaymentMethod.COD.value, _("Cash on delivery (pay at the Nova Poshta branch)"))],
        initial=Order.PaymentMethod.COD.value,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how to pay."), "invalid_choice": _("Choose how to pay.")},
    )
    use_store_credit = forms.BooleanField(label=_("Pay with my store credit"), required=False)
    checkout_token = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, store_credit: int = 0, online=(), **kwargs):
        """`store_credit`: what the shopper's store credit can pay of this cart (0 hides the choice).

        `online`: the payment providers switched on, as (code, label): each is offered as
        "pay online now with ...", and the shopper goes straight to its page after placing.
        """
        super().__init__(*args, **kwargs)
        self.providers = dict(online)
        if online:
            self.fields["payment_method"].choices = [
                *(
                    (
                        f"online:{code}",
                        gettext("Pay online now with %(provider)s (card, Apple Pay, Google Pay)") % {"provider": label},
                    )
                    for code, label in online
                ),
                *self.fields["payment_method"].choices,
            ]
        self.provider = ""
        self.store_credit = store_credit
        if store_credit:
            self.fields["use_store_credit"].label = gettext("Pay %(amount)s with my store credit") % {
                "amount": format_money(store_credit)
            }
        else:
            del self.fields["use_store_credit"]

    def clean_payment_method(self) -> str:
        """ "online:<provider>" is the online method with that provider; store the provider apart."""
        method = self.cleaned_data["payment_method"]
        if method.startswith("online:"):
            self.provider = method.removeprefix("online:")
            return Order.PaymentMethod.ONLINE.value
        return method

    def store_credit_to_use(self) -> int:
        return self.store_credit if self.cleaned_data.get("use_store_credit") else 0

    def clean_phone(self) -> str:
        phone = normalize_ua_phone(self.cleaned_data["phone"])
        if not phone:
            raise forms.ValidationError(PHONE_ERROR, code="invalid_phone")
        return phone

    def add_domain_errors(self, errors: dict, *, unless_already_wrong: bool = False) -> None:
        """Put a service's per-field errors ({"phone": "..."}) on the fields shown here.

        `unless_already_wrong`: skip a field that already has an error (one message a field).
        """
        for field, message in errors.items():
            if unless_already_wrong and field in self.errors:
                continue
            self.add_error(field if field in self.fields else None, message)
