from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.utils.translation import gettext_lazy as _

from core.validators import normalize_ua_phone

User = get_user_model()


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form (it passes the request to authenticate(), as django-axes needs),
    with the username field shown as what it is: an e-mail address."""

    username = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The e-mail or password is not right. Check them and try again."),
    }


class SignupForm(BaseUserCreationForm):
    # Declared here, not taken from the model: people type "067 123 45 67", longer than the
    # stored +380XXXXXXXXX, and clean_phone() normalizes it.
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=32,
        help_text=_("Optional. A Ukrainian number, for example +380671234567."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    class Meta:
        model = User
        fields = ("email", "full_name", "phone")
        labels = {"email": _("E-mail"), "full_name": _("Full name")}
        help_texts = {"full_name": _("We fill it in at checkout for you.")}
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["full_name"].error_messages["required"] = _("Enter your name.")
        self.fields["email"].error_messages.update(
            {"required": _("Enter an e-mail address."), "invalid": _("Enter a valid e-mail address.")}
        )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail already exists. Log in instead."), code="duplicate_email"
            )
        return email

    def clean_phone(self) -> str:
        raw = (self.cleaned_data.get("phone") or "").strip()
        if not raw:
            return ""
        phone = normalize_ua_phone(raw)
        if not phone:
            raise forms.ValidationError(
                _("Enter a Ukrainian phone number, for example +380671234567 or 067 123 45 67."), code="invalid_phone"
            )
        return phone
