import itertools
import uuid

import pytest

from ledger.services import credit_wallet, ensure_wallet
from tests.factories import UserFactory

_keys = itertools.count()


def new_key(prefix: str = "test") -> str:
    return f"{prefix}:{uuid.uuid4().hex}:{next(_keys)}"


@pytest.fixture
def funded_wallet():
    """funded_wallet(amount) -> (user, wallet account) with `amount` kopiyky of store credit."""

    def make(amount: int):
        user = UserFactory()
        if amount:
            credit_wallet(
                user_id=user.pk, amount=amount, reason="opening credit", by=None, idempotency_key=new_key("open")
            )
        return user, ensure_wallet(user_id=user.pk)

    return make


@pytest.fixture(autouse=True)
def _ledger_checks_only(monkeypatch):
    """These tests post captures and refunds without Payment rows, so leave out the checks
    other apps add (payments compares provider totals); payments' tests run those."""
    monkeypatch.setattr("ledger.integrity.EXTRA_CHECKS", [])
