"""Error reports to Sentry: on only when SENTRY_DSN is set, with personal data scrubbed.

No request bodies, cookies, users or IPs are sent (send_default_pii=False), and before_send
replaces every e-mail address and Ukrainian phone number left in an event (messages,
exception values, breadcrumbs, extra data, local variables) with a placeholder.
Imported by config/settings.py, so it must not import Django models.
"""

import re

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# +380671234567, 380671234567, 067 123 45 67, (067) 123-45-67, 0671234567
PHONE = re.compile(r"(?<!\d)(?:\+?38[\s-]*)?\(?0\d{2}\)?[\s-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)")
EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"


def scrub_text(text: str) -> str:
    return PHONE.sub(PHONE_MASK, EMAIL.sub(EMAIL_MASK, text))


def scrub(value):
    """The value with every e-mail and phone replaced, recursively through dicts and lists."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(scrub(item) for item in value)
    return value


def before_send(event, hint):
    return scrub(event)


def before_breadcrumb(crumb, hint):
    return scrub(crumb)


def init_sentry(*, dsn: str, environment: str = "production", traces_sample_rate: float = 0.0) -> bool:
    """Start the SDK when a DSN is given; return whether it was started."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
    )
    return True
