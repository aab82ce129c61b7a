"""Amounts, dates and phone numbers the way Ukrainians write them (and English readers, under /en/)."""

from datetime import UTC, datetime

import pytest
from django import forms
from django.template import Context, Template
from django.utils import translation

from core.money import MAX_KOPIYKY, HryvniaField, format_amount, format_money, parse_hryvnias
from core.phones import format_phone
from core.validators import normalize_ua_phone

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(
    ("amount", "uk", "en"),
    [
        (0, f"0,00{NBSP}₴", "₴0.00"),
        (5, f"0,05{NBSP}₴", "₴0.05"),
        (50, f"0,50{NBSP}₴", "₴0.50"),
        (139900, f"1{NNBSP}399,00{NBSP}₴", "₴1,399.00"),
        (123456, f"1{NNBSP}234,56{NBSP}₴", "₴1,234.56"),
        (99999, f"999,99{NBSP}₴", "₴999.99"),
        (100000000, f"1{NNBSP}000{NNBSP}000,00{NBSP}₴", "₴1,000,000.00"),
        (-139950, f"-1{NNBSP}399,50{NBSP}₴", "-₴1,399.50"),
        (-1, f"-0,01{NBSP}₴", "-₴0.01"),
    ],
)
def test_format_money_in_each_language(amount, uk, en):
    with translation.override("uk"):
        assert format_money(amount) == uk
    with translation.override("en"):
        assert format_money(amount) == en


def test_ukrainian_is_the_default_and_an_unknown_language_falls_back_to_it():
    assert format_money(139900) == f"1{NNBSP}399,00{NBSP}₴"
    with translation.override("xx"):
        assert format_money(139900) == f"1{NNBSP}399,00{NBSP}₴"


def test_kopiyky_are_exact_never_rounded_through_floats():
    # 0.29 * 100 is 28.999999999999996 in binary floating point; kopiyky never pass through one
    assert format_money(29) == f"0,29{NBSP}₴"
    assert format_money(10**15 + 1) == f"10{NNBSP}000{NNBSP}000{NNBSP}000{NNBSP}000,01{NBSP}₴"


def test_other_currencies_use_cldr_symbols():
    with translation.override("uk"):
        assert format_money(1000, "EUR") == f"10,00{NBSP}EUR"  # CLDR uk spells the euro out
    with translation.override("en"):
        assert format_money(1000, "EUR") == "€10.00"


def test_plain_amount_and_template_filters():
    assert format_amount(139950) == f"1{NNBSP}399,50"
    template = Template(
        "{% load money phone %}{{ a|money }}|{{ a|money:'UAH' }}|{{ a|amount }}|{{ n|money }}|{{ p|phone }}"
    )
    context = Context({"a": 139900, "n": None, "p": "+380671234567"})
    assert template.render(context) == f"1{NNBSP}399,00{NBSP}₴|1{NNBSP}399,00{NBSP}₴|1{NNBSP}399,00||+380 67 123 45 67"
    with translation.override("en"):
        assert template.render(context) == "₴1,399.00|₴1,399.00|1,399.00||+380 67 123 45 67"


@pytest.mark.parametrize(
    ("typed", "kopiyky"),
    [
        ("1 399,50", 139950),
        ("1399.50", 139950),
        ("1399,50", 139950),
        ("1 399,50 грн", 139950),
        ("1 399,50 грн.", 139950),
        (f"1{NBSP}399,50", 139950),
        (f"1{NNBSP}399,50{NBSP}₴", 139950),
        ("₴1,399.50", 139950),
        ("UAH 1399", 139900),
        ("1 399 uah", 139900),
        ("1 000 000,00", 100000000),
        ("0,50", 50),
        ("0,5", 50),
        (",5", None),
        ("  150  ", 15000),
        ("150грн", 15000),
        ("0,01", 1),
    ],
)
def test_parse_hryvnias_reads_what_staff_type(typed, kopiyky):
    if kopiyky is None:
        with pytest.raises(forms.ValidationError):
            parse_hryvnias(typed)
    else:
        assert parse_hryvnias(typed) == kopiyky


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "invalid_amount"),
        ("abc", "invalid_amount"),
        ("NaN", "invalid_amount"),
        ("Infinity", "invalid_amount"),
        ("1e5", "invalid_amount"),
        ("1_000", "invalid_amount"),
        ("12 34,50", "invalid_amount"),  # a typo, not 1 234,50
        ("1,2,3", "invalid_amount"),
        ("1.399,50", "invalid_amount"),
        ("--5", "invalid_amount"),
        ("5 грн 5", "invalid_amount"),
        ("0", "not_positive"),
        ("0,00", "not_positive"),
        ("-5", "not_positive"),
        ("\u22125,00", "not_positive"),
        ("0,005", "too_precise"),  # a fraction of a kopiyka
        ("1,399", "too_precise"),  # Ukrainian 1,399 is not 1399
        ("1 000 000,01", "too_large"),
        ("9" * 40, "too_large"),
    ],
)
def test_parse_hryvnias_refuses_garbage_with_a_clear_error(typed, code):
    with pytest.raises(forms.ValidationError) as caught:
        parse_hryvnias(typed)
    assert caught.value.code == code


def test_parse_errors_speak_the_active_language():
    with pytest.raises(forms.ValidationError) as caught:
        parse_hryvnias("abc")
    assert caught.value.messages == ["Введіть суму в гривнях, наприклад 150, 150,50 або 1 399,50."]
    with translation.override("en"), pytest.raises(forms.ValidationError) as caught:
        parse_hryvnias("1 000 000,01")
    assert caught.value.messages == ["Enter at most ₴1,000,000.00 at a time."]


def test_largest_amount_is_accepted():
    assert parse_hryvnias("1 000 000") == MAX_KOPIYKY


class AmountForm(forms.Form):
    amount = HryvniaField()
    price = HryvniaField(required=False, max_kopiyky=10**12 - 1)


@pytest.mark.parametrize(
    ("data", "cleaned", "errors"),
    [
        ({"amount": "1 399,50 грн", "price": "2 000 000"}, {"amount": 139950, "price": 200000000}, {}),
        ({"amount": "", "price": ""}, None, {"amount": ["Це поле обов'язкове."]}),
        ({"amount": "1" * 31}, None, {"amount": ["Введіть суму в гривнях."]}),
        ({"amount": "2 000 000"}, None, {"amount": [f"За один раз — не більше 1{NNBSP}000{NNBSP}000,00{NBSP}₴."]}),
    ],
)
def test_hryvnia_field_cleans_to_kopiyky(data, cleaned, errors):
    form = AmountForm(data)
    assert form.errors == errors
    if cleaned is not None:
        assert form.cleaned_data == cleaned


def test_hryvnia_field_shows_kopiyky_in_the_active_language_and_reads_them_back():
    form = AmountForm(initial={"amount": 139950})
    assert form["amount"].value() == f"1{NNBSP}399,50"
    assert 'inputmode="decimal"' in str(form["amount"])
    assert 'maxlength="30"' in str(form["amount"])
    unchanged = AmountForm({"amount": f"1{NNBSP}399,50", "price": ""}, initial={"amount": 139950})
    assert unchanged.has_changed() is False
    with translation.override("en"):
        assert AmountForm(initial={"amount": 139950})["amount"].value() == "1,399.50"


AT = datetime(2026, 12, 1, 18, 33, tzinfo=UTC)  # 20:33 in Kyiv


@pytest.mark.parametrize(
    ("language", "long", "short", "date"),
    [
        ("uk", "1 грудня 2026 р., 20:33", "01.12.2026 20:33", "1 грудня 2026 р."),
        ("en", "1 December 2026, 20:33", "2026-12-01 20:33", "1 December 2026"),
    ],
)
def test_dates_and_times_in_each_language_24_hour(language, long, short, date):
    template = Template('{{ at }}|{{ at|date:"SHORT_DATETIME_FORMAT" }}|{{ at|date }}')
    with translation.override(language):
        assert template.render(Context({"at": AT})) == f"{long}|{short}|{date}"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+380671234567", "+380 67 123 45 67"),
        ("+380501234567", "+380 50 123 45 67"),
        ("+380441234567", "+380 44 123 45 67"),  # Kyiv landline
        ("+380322123456", "+380 322 12 34 56"),  # Lviv landline
        ("0671234567", "+380 67 123 45 67"),
        ("+14155550123", "+1 415-555-0123"),  # foreign: libphonenumber's international format
        ("12345", "12345"),  # not a number: shown as stored, never an error
        ("", ""),
        (None, ""),
    ],
)
def test_format_phone(stored, shown):
    assert format_phone(stored) == shown


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
