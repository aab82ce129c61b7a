import pytest
from constance import config

from directory.models import City
from directory.services import sync_directory
from orders.models import Order, Source
from orders.services import confirm_order
from shipping.carriers.novaposhta import NovaPoshtaCarrier
from shipping.carriers.sandbox import KYIV_REF, LVIV_REF, WAREHOUSE_ROWS, SandboxCarrier
from shipping.tests.fakes.novaposhta import FakeNovaPoshta
from tests.factories import ProductFactory, place_test_order

LVIV_BRANCH = next(row["Ref"] for row in WAREHOUSE_ROWS if row["CityRef"] == LVIV_REF)
KYIV_BRANCH = next(row["Ref"] for row in WAREHOUSE_ROWS if row["CityRef"] == KYIV_REF)


@pytest.fixture
def fake_np():
    fake = FakeNovaPoshta().start()
    yield fake
    fake.stop()


@pytest.fixture
def np_carrier(fake_np, monkeypatch):
    """The real Nova Poshta adapter, talking to the local fake, as shipping.services' carrier."""
    carrier = NovaPoshtaCarrier(fake_np.client())
    carrier.code = "novaposhta"
    monkeypatch.setattr("shipping.carriers.get_carrier", lambda: carrier)
    config.NP_SENDER_COUNTERPARTY_REF = "sender-counterparty"
    config.NP_SENDER_CONTACT_REF = "sender-contact"
    config.NP_SENDER_PHONE = "380501112233"
    config.NP_SENDER_CITY_REF = KYIV_REF
    config.NP_SENDER_WAREHOUSE_REF = KYIV_BRANCH
    return carrier


def ensure_sandbox_directory() -> None:
    """The sandbox carrier's cities and branches in the directory, which checkout checks Refs against."""
    if not City.objects.filter(ref=LVIV_REF).exists():
        sync_directory(source=SandboxCarrier())


def confirmed_order(*, cod: bool = True, price: int = 49900, city=LVIV_REF, branch=LVIV_BRANCH) -> Order:
    ensure_sandbox_directory()
    product = ProductFactory(stock=10, price=price, weight_grams=700)
    order = place_test_order(
        items={product.pk: 1},
        delivery_city_ref=city,
        delivery_warehouse_ref=branch,
        payment_method=Order.PaymentMethod.COD if cod else Order.PaymentMethod.ONLINE,
    )
    return confirm_order(order_id=order.pk, by=None, source=Source.ADMIN)
