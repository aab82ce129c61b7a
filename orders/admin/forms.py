"""The order change form and the forms of the transition and bulk-cancel pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import normalize_ua_phone
from orders.models import Order
from orders.services import EDITABLE_FIELDS


class OrderForm(forms.ModelForm):
    # The version the page was rendered with: saving refuses if the order moved on since.
    # (Named apart from Order.version, which the admin would refuse as a non-editable field.)
    expected_version = forms.IntegerField(label=_("expected version"), widget=forms.HiddenInput, min_value=1)

    class Meta:
        model = Order
        fields = EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean_phone(self):
        phone = normalize_ua_phone(self.cleaned_data["phone"])
        if not phone:
            raise forms.ValidationError(_("Enter a Ukrainian phone number, e.g. +380671234567 or 067 123 45 67."))
        return phone


class TransitionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, reason_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required
        if reason_required:
            self.fields["reason"].help_text = _("Required: the shopper and your colleagues will see why.")


class BulkCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
