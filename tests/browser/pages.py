"""What the browser tests ask of a page: its language, its layout, the header's language switch."""

import pytest

# Every browser test module's marks. Playwright's sync API keeps an asyncio loop in the test's
# thread, so django-constance warns that runtime settings are read "inside an async loop" when
# the test's own setup places orders; nothing runs concurrently there (see conftest.py).
BROWSER_TEST = [
    pytest.mark.browser,
    # The live server's threads must see committed rows, and the data migrations' rows (roles,
    # chart of accounts) must be back after an earlier transactional test flushed them: the
    # mark, not only the fixture, so the database helper sees it before it sets up.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.filterwarnings("ignore:Synchronous access to Constance setting:RuntimeWarning"),
]

# Text the shop's templates said in English before issue 10: none of it may be left on a
# Ukrainian page. (Whole phrases, so a product name or a brand cannot match by accident.)
ENGLISH_LEFTOVERS = (
    "All products",
    "In stock",
    "Add to cart",
    "Your cart",
    "Check out",
    "Update cart",
    "Place order",
    "Log in",
    "Sign up",
    "Skip to content",
    "Delivery by Nova Poshta",
    "Cash on delivery",
    "Payment method",
    "Thank you",
)

# The elements sticking out to the right, so a failure says what to fix, not just "it overflows".
_OVERFLOW_JS = r"""() => {
  const width = window.innerWidth;
  const doc = document.documentElement;
  const culprits = [];
  if (doc.scrollWidth > width) {
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (box.right > width + 0.5 && box.width > 0 && culprits.length < 5) {
        const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
          (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
        const text = (el.innerText || "").trim().replace(/\s+/g, " ").slice(0, 40);
        culprits.push(name + " “" + text + "” (right edge " + Math.round(box.right) + "px)");
      }
    }
  }
  return {scrollWidth: doc.scrollWidth, innerWidth: width, culprits: culprits};
}"""


def assert_no_horizontal_overflow(page, step: str) -> None:
    seen = page.evaluate(_OVERFLOW_JS)
    assert seen["scrollWidth"] <= seen["innerWidth"], (
        f"{step}: the page is {seen['scrollWidth']}px wide in a {seen['innerWidth']}px window; "
        f"sticking out: {', '.join(seen['culprits']) or 'nothing measurable'}"
    )


def assert_ukrainian(page, step: str) -> None:
    assert page.locator("html").get_attribute("lang") == "uk", f"{step}: <html lang> is not uk"
    text = page.locator("body").inner_text()
    left = [phrase for phrase in ENGLISH_LEFTOVERS if phrase in text]
    assert not left, f"{step}: English left on the Ukrainian page: {left}"


def assert_english(page, step: str) -> None:
    assert page.locator("html").get_attribute("lang") == "en", f"{step}: <html lang> is not en"


def switch_language(page, code: str) -> None:
    """Choose `code` in the header's switch and wait for the page it sends the shopper to.

    The switch may offer one button per language or a select with a submit button (or one that
    submits itself); either way it is a form posting `language` to Django's set_language.
    """
    switch = page.locator("form.language-switch")
    button = switch.locator(f'button[name="language"][value="{code}"]')
    with page.expect_navigation():
        if button.count():
            button.click()
        else:
            switch.locator('select[name="language"]').select_option(code)
            submit = switch.locator("button")
            if submit.count() and submit.first.is_visible():
                submit.first.click()
