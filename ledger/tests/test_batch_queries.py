"""The holds Beat batch costs a fixed number of queries, however many holds expire."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ledger.models import Account, Hold
from ledger.services import create_hold, expire_holds
from ledger.tests.conftest import new_key

pytestmark = pytest.mark.django_db


def expired_holds(funded_wallet, n: int) -> list[Hold]:
    """`n` holds of 1000 kopiyky past their expiry, on wallets of their own, plus one hold on the last wallet."""
    past = timezone.now() - timedelta(minutes=1)
    holds = []
    for _ in range(n):
        _user, wallet = funded_wallet(5000)
        holds.append(create_hold(account=wallet, amount=1000, idempotency_key=new_key(), expires_at=past))
    holds.append(create_hold(account=wallet, amount=700, idempotency_key=new_key(), expires_at=past))
    return holds


def expire_counting_queries() -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        expired = expire_holds()
    return expired, len(ctx.captured_queries)


def test_expiring_a_batch_of_holds_costs_the_same_queries_for_2_or_6_holds(funded_wallet):
    expired_holds(funded_wallet, 1)
    two = expire_counting_queries()
    holds = expired_holds(funded_wallet, 5)
    six = expire_counting_queries()

    assert (two[0], six[0]) == (2, 6)
    assert two[1] == six[1]
    assert {h.status for h in Hold.objects.filter(pk__in=[h.pk for h in holds])} == {Hold.Status.EXPIRED}
    assert Hold.objects.filter(resolved_at__isnull=True).count() == 0
    assert list(Account.objects.filter(pk__in=[h.account_id for h in holds]).values_list("held", flat=True)) == [0] * 5


def test_only_holds_past_expiry_are_released(funded_wallet):
    _user, wallet = funded_wallet(5000)
    due = create_hold(account=wallet, amount=1000, idempotency_key=new_key(), expires_at=timezone.now())
    later = create_hold(
        account=wallet, amount=300, idempotency_key=new_key(), expires_at=timezone.now() + timedelta(hours=1)
    )

    assert expire_holds() == 1

    due.refresh_from_db()
    later.refresh_from_db()
    wallet.refresh_from_db()
    assert (due.status, later.status) == (Hold.Status.EXPIRED, Hold.Status.ACTIVE)
    assert (wallet.held, wallet.available) == (300, 4700)
