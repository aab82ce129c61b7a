"""The forms behind the Refund button and the review action."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.money import HryvniaField
from payments.models import Payment


class RefundForm(forms.Form):
    amount = HryvniaField(label=_("Amount, ₴"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept with the refund: a returned item, a cancelled order, a goodwill gesture."),
    )
    # One per opened form: a double-clicked or resubmitted form reuses it, so it refunds once.
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("What you checked or did; appended to the review reason."),
    )


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("The bank's case number, the cardholder's claim: kept with the payment."),
    )


class ResolveDisputeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Payment.DisputeOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("How the dispute ended; a lost one is booked as a chargeback loss."),
    )
