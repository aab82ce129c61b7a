import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

UA_PHONE_RE = re.compile(r"^\+380\d{9}$")


def normalize_ua_phone(value: str) -> str:
    """Bring a Ukrainian phone typed by a person to +380XXXXXXXXX; return '' if hopeless."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 12 and digits.startswith("380"):
        return f"+{digits}"
    if len(digits) == 10 and digits.startswith("0"):
        return f"+38{digits}"
    if len(digits) == 9:
        return f"+380{digits}"
    return ""


def validate_ua_phone(value: str) -> None:
    if not UA_PHONE_RE.match(value or ""):
        raise ValidationError(_("Enter a Ukrainian phone number as +380XXXXXXXXX."), code="invalid_phone")
