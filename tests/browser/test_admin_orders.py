"""The order list of the back office in a real browser: Ukrainian, and it fits a 1280 px screen."""

import re

from accounts.roles import SUPPORT
from orders.models import Order
from tests.browser.pages import BROWSER_TEST, assert_no_horizontal_overflow
from tests.factories import DEMO_PASSWORD, ProductFactory, StaffFactory, place_test_order

pytestmark = BROWSER_TEST

# Long, real-looking Ukrainian names, e-mails and addresses: what widens a list column.
CUSTOMERS = (
    ("Олександра Костянтинівна Преображенська-Милославська", "oleksandra.preobrazhenska@example.com"),
    ("Святослав Володимирович Гнатюк-Старовойтенко", "sviatoslav.hnatiuk-starovoitenko@example.com"),
    ("Марія Тарасівна Дніпровська", "maria.dniprovska@example.com"),
)

COLUMN_WIDTHS_JS = """() => {
  const box = document.querySelector("#changelist .results");
  const columns = {};
  for (const th of document.querySelectorAll("#result_list thead th")) {
    columns[th.className || "?"] = Math.round(th.getBoundingClientRect().width);
  }
  return {table: box.scrollWidth, box: box.clientWidth, columns: columns};
}"""


def test_the_order_list_is_ukrainian_and_fits_a_1280px_screen(open_page):
    # given orders from shoppers with long names, one of them cancelled
    product = ProductFactory(name="Мідний чайник «Гуцульський» з терморегулятором", stock=20, price=139900)
    for full_name, email in CUSTOMERS:
        place_test_order(
            items={product.pk: 2},
            full_name=full_name,
            email=email,
            delivery_city="Кам'янець-Подільський",
            delivery_branch="Відділення №12 (до 30 кг): вул. Соборна, 15",
        )
    Order.objects.filter(full_name__startswith="Марія").update(status=Order.Status.CANCELLED)
    staff = StaffFactory(role=SUPPORT, email="operator@kramar.local")
    page = open_page(1280, 800)

    # when a support operator logs in (the admin speaks Ukrainian by default)
    page.goto("/admin/")
    assert page.locator("html").get_attribute("lang") == "uk"
    page.fill("input[name=username]", staff.email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("input[type=submit], button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert page.locator("#user-tools").get_by_text("Вийти").count() == 1  # "Log out"
    assert_no_horizontal_overflow(page, "admin index")

    # and opens the order list
    page.goto("/admin/orders/order/")

    # then it is in Ukrainian, lists every order with its customer, and needs no sideways scrolling
    assert page.locator("html").get_attribute("lang") == "uk"
    assert page.locator("#changelist-filter h2").first.text_content().strip() == "Відфільтрувати"  # "Filter"
    assert "стан і оплата" in page.locator("#result_list thead").text_content().lower()  # the compact column
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    listed = page.locator("#result_list tbody").inner_text()
    assert all(full_name in listed for full_name, _ in CUSTOMERS), listed
    assert_no_horizontal_overflow(page, "order list")
    # The admin puts the table in a box that scrolls sideways: the table must fit that box too.
    widths = page.evaluate(COLUMN_WIDTHS_JS)
    assert widths["table"] <= widths["box"], f"the table is {widths['table']}px in a {widths['box']}px box: {widths}"
