"""No English word left on a Ukrainian shop page or e-mail: a generic sweep over every page and kind.

test_shop_pages_language.py checks a list of known phrases; this one lists every Latin-script word
of three letters or more that is not data (product, SKU, the test order's stored address) or a
proper name, so a leftover nobody thought of shows up too.
"""

import re

import pytest
from django.test import Client

from orders.tests.test_emails import an_order, sent
from tests.shop_pages import readable_text
from tests.test_shop_pages_language import PAGES, liqpay_on  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
# Proper names (the providers, the language switch) and the test data's own words (factories:
# product "A fine thing.", SKU "KET-001", the order's branch "Kyiv, Branch No 1: Khreshchatyk St,
# 22", order numbers "KR-…").
NOT_ENGLISH_TEXT = {"kramar", "English", "LiqPay", "Sandbox", "Apple", "Google", "Pay", "KET-", "KR-", "fine", "thing"}
ADDRESS = "Kyiv, Branch No 1: Khreshchatyk St, 22"


def latin_words(text: str) -> list[str]:
    text = re.sub(r"\S+@\S+|https?://\S+", " ", text.replace(ADDRESS, " "))
    return sorted({word for word in WORD.findall(text) if word not in NOT_ENGLISH_TEXT})


@pytest.mark.usefixtures("liqpay_on")
@pytest.mark.parametrize("page", PAGES)
def test_no_english_word_on_a_ukrainian_shop_page(page):
    response = PAGES[page][0](Client(), "uk")
    assert latin_words(readable_text(response)) == []


@pytest.mark.parametrize("kind", ["placed", "confirmed", "shipped", "cancelled", "expired"])
def test_no_english_word_in_a_ukrainian_order_email(kind):
    message = sent(an_order("uk"), kind)
    assert latin_words(message.subject + "\n" + message.body) == []
