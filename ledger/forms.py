from django import forms
from django.contrib.auth import get_user_model

from core.money import HryvniaField


class StatementForm(forms.Form):
    code = forms.CharField(label="Account code", max_length=100)
    currency = forms.CharField(max_length=3, initial="UAH")
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Inclusive.")


class WalletAdjustmentForm(forms.Form):
    DIRECTIONS = (("credit", "Give store credit"), ("debit", "Take store credit back"))

    email = forms.EmailField(label="Customer e-mail")
    direction = forms.ChoiceField(choices=DIRECTIONS, widget=forms.RadioSelect, initial="credit")
    amount = HryvniaField(label="Amount, ₴")
    reason = forms.CharField(max_length=300, help_text="Shown to the customer: goodwill, compensation, correction.")
    token = forms.CharField(widget=forms.HiddenInput)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError("No active customer has this e-mail.")
        self.cleaned_data["user"] = user
        return email


class ReversalForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="Why the entry is wrong; kept in the reversal's memo.")
