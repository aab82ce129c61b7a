"""Sentry: off without a DSN; with one, no default PII and e-mails/phones scrubbed."""

import sentry_sdk

from core.sentry import before_send, init_sentry, scrub


def test_without_a_dsn_nothing_starts():
    assert init_sentry(dsn="") is False


def test_with_a_dsn_the_client_scrubs_and_sends_no_default_pii():
    try:
        assert init_sentry(dsn="https://public@sentry.invalid/1", environment="test") is True
        options = sentry_sdk.get_client().options
        assert options["send_default_pii"] is False
        assert options["before_send"] is before_send
        assert options["environment"] == "test"
    finally:
        sentry_sdk.init(dsn=None)  # switch the SDK off again for the other tests


def test_the_scrubber_masks_emails_and_phones_everywhere_in_an_event():
    event = {
        "message": "No account for Olena@Example.com (+380671234567)",
        "exception": {"values": [{"value": "phone 067 123 45 67 refused", "type": "ValueError"}]},
        "extra": {"order": {"email": "taras@example.ua", "phone": "(067) 123-45-67", "total": 49900}},
        "breadcrumbs": {"values": [{"message": "sent to ivan@kramar.local"}]},
    }

    assert scrub(event) == {
        "message": "No account for [email] ([phone])",
        "exception": {"values": [{"value": "phone [phone] refused", "type": "ValueError"}]},
        "extra": {"order": {"email": "[email]", "phone": "[phone]", "total": 49900}},
        "breadcrumbs": {"values": [{"message": "sent to [email]"}]},
    }


def test_order_numbers_and_amounts_are_left_alone():
    assert scrub("Order KR-100001 for 1499.00 UAH, ref 5f2c") == "Order KR-100001 for 1499.00 UAH, ref 5f2c"
