from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.money import HryvniaField


class StatementForm(forms.Form):
    code = forms.CharField(label=_("Account code"), max_length=100)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="UAH")
    start = forms.DateField(
        label=pgettext_lazy("period", "From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=pgettext_lazy("period", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Inclusive."),
    )


class WalletAdjustmentForm(forms.Form):
    DIRECTIONS = (("credit", _("Give store credit")), ("debit", _("Take store credit back")))

    email = forms.EmailField(label=_("Customer e-mail"))
    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS, widget=forms.RadioSelect, initial="credit")
    amount = HryvniaField(label=_("Amount, ₴"))
    reason = forms.CharField(
        label=_("Reason"), max_length=300, help_text=_("Shown to the customer: goodwill, compensation, correction.")
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active customer has this e-mail."))
        self.cleaned_data["user"] = user
        return email


class ReversalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, help_text=_("Why the entry is wrong; kept in the reversal's memo.")
    )
