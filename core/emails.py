"""Composing an e-mail in the language of the person it is for, not of whoever caused it.

A staff member whose admin is in Ukrainian cancels an English order: the shopper gets English.
The caller says which language (the order's, the customer's); subject and body are both
rendered from templates under ``translation.override``, so amounts (core.money), dates
(config/formats) and every ``{% translate %}`` follow it too.

The templates are plain text inside ``{% autoescape off %}``: HTML escaping would send
"Мар&#x27;яна" for Мар'яна and "ТЦ &quot;Глобус&quot;" for a branch's name.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation

from core.languages import supported_language


def render_email(*, template: str, context: dict, language: str) -> tuple[str, str]:
    """Render ``emails/<template>_subject.txt`` and ``emails/<template>.txt`` in `language`."""
    with translation.override(supported_language(language)):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        body = render_to_string(f"emails/{template}.txt", context)
    # A subject is one line: template newlines (and any in the data) would break the header.
    return " ".join(subject.split()), body


def send_email(*, to: str, template: str, context: dict, language: str) -> None:
    """Render the e-mail in `language` and send it to one address (raises what SMTP raises)."""
    subject, body = render_email(template=template, context=context, language=language)
    send_mail(subject=subject, message=body, from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[to])
