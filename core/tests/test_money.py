import pytest

from core.money import format_money
from core.validators import normalize_ua_phone


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "0.00\u00a0₴"), (5, "0.05\u00a0₴"), (123456, "1\u00a0234.56\u00a0₴"), (-100, "-1.00\u00a0₴")],
)
def test_format_money(amount, text):
    assert format_money(amount) == text


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("+380671234567", "+380671234567"),
        ("067 123 45 67", "+380671234567"),
        ("(067) 123-45-67", "+380671234567"),
        ("380671234567", "+380671234567"),
        ("671234567", "+380671234567"),
        ("12345", ""),
        ("+1 555 123 4567", ""),
    ],
)
def test_normalize_ua_phone(typed, normalized):
    assert normalize_ua_phone(typed) == normalized
