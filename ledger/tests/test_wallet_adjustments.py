"""Issue 9, item 2: staff minted store credit for themselves. Four eyes on store credit now.

Nobody credits or debits their own wallet; a staff credit above the runtime threshold
(WALLET_CREDIT_APPROVAL_THRESHOLD, 1 000 ₴ by default) waits in a queue for a second person
with the approval permission; every staff adjustment names who asked and who approved.
"""

import pytest
from constance.test import override_config
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.db import IntegrityError, transaction
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from ledger.exceptions import (
    AdjustmentAlreadyDecided,
    ApprovalRequired,
    NotAllowedToAdjust,
    NotAnApprover,
    OwnWalletRefused,
    SelfApprovalRefused,
)
from ledger.integrity import verify_ledger
from ledger.models import JournalEntry, WalletAdjustmentRequest
from ledger.selectors import balance_of, statement
from ledger.services import (
    approve_wallet_adjustment,
    credit_wallet,
    debit_wallet,
    ensure_wallet,
    reject_wallet_adjustment,
    request_wallet_adjustment,
)
from ledger.tests.conftest import new_key
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
STORE_CREDIT_URL = reverse("admin:ledger_store_credit")
QUEUE_URL = reverse("admin:ledger_walletadjustmentrequest_changelist")
OWN_WALLET = "Ніхто не може нараховувати чи списувати кошти на власному балансі в магазині; попросіть колегу."
SELF_APPROVAL = "Ви самі запросили це коригування; його має схвалити інша людина."


def ask(by, customer, amount, direction="credit", reason="Sorry for the late parcel"):
    return request_wallet_adjustment(
        user_id=customer.pk, direction=direction, amount=amount, reason=reason, by=by, token=new_key("form")
    )


def messages_of(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def form(client, **data):
    token = client.get(STORE_CREDIT_URL).context["form"].initial["token"]
    return {"direction": "credit", "reason": "Goodwill", "token": token, **data}


def wallet_entries() -> int:
    return JournalEntry.objects.filter(kind__in=["wallet_credit", "wallet_debit"]).count()


# --- nobody changes their own wallet ---------------------------------------------------------


@pytest.mark.parametrize("role", ["Support", "Finance"])
@pytest.mark.parametrize("direction", ["credit", "debit"])
def test_staff_cannot_change_their_own_store_credit_in_the_admin(client, role, direction):
    # given a staff member who also shops with us (and has 10.00 of credit)
    staff = StaffFactory(role=role, email="agent@kramar.local")
    credit_wallet(user_id=staff.pk, amount=1000, reason="opening", by=None, idempotency_key=new_key())
    client.force_login(staff)

    # when they give themselves (or take from themselves) 5.00 through the store-credit form
    response = client.post(STORE_CREDIT_URL, form(client, email="Agent@Kramar.local", amount="5", direction=direction))

    # then it is refused on the form and nothing was stored or posted
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [OWN_WALLET]
    assert WalletAdjustmentRequest.objects.count() == 0
    assert ensure_wallet(user_id=staff.pk).balance == 1000
    assert wallet_entries() == 1


def test_the_services_refuse_a_staff_member_their_own_wallet():
    staff = StaffFactory(role="Finance")

    with pytest.raises(OwnWalletRefused):
        credit_wallet(user_id=staff.pk, amount=100, reason="mine", by=staff, idempotency_key=new_key())
    with pytest.raises(OwnWalletRefused):
        debit_wallet(user_id=staff.pk, amount=100, reason="mine", by=staff, idempotency_key=new_key())
    with pytest.raises(OwnWalletRefused):
        ask(staff, staff, 100)

    assert WalletAdjustmentRequest.objects.count() == 0
    assert wallet_entries() == 0


def test_the_database_refuses_a_request_for_ones_own_wallet_and_a_self_approval():
    staff, other = StaffFactory(), StaffFactory()
    facts = {"direction": "credit", "amount": 100, "reason": "x", "requested_by": staff}

    with pytest.raises(IntegrityError), transaction.atomic():
        WalletAdjustmentRequest.objects.create(owner=staff, token="t1", **facts)
    with pytest.raises(IntegrityError), transaction.atomic():
        WalletAdjustmentRequest.objects.create(owner=other, token="t2", approved_by=staff, **facts)


# --- below the threshold: posted at once, naming who asked -----------------------------------


def test_a_credit_up_to_the_threshold_is_posted_at_once_naming_who_asked(
    django_capture_on_commit_callbacks, mailoutbox
):
    # given a Support agent and a customer; the threshold is 1 000.00
    support = StaffFactory(role="Support", email="support@kramar.local")
    customer = UserFactory(email="olena@example.com")

    # when the agent gives exactly 1 000.00
    with django_capture_on_commit_callbacks(execute=True):
        adjustment = ask(support, customer, 100000)

    # then it is posted at once: the request names the agent, no approver was needed
    request = adjustment.request
    assert (request.status, request.requested_by, request.approved_by, request.amount) == (
        "posted",
        support,
        None,
        100000,
    )
    entry = request.entry
    assert (entry.kind, entry.memo, entry.created_by, entry.idempotency_key) == (
        "wallet_credit",
        "Sorry for the late parcel",
        support,
        f"wallet-admin:{request.token}",
    )
    assert ensure_wallet(user_id=customer.pk).balance == 100000
    # and the wallet statement names who asked
    _, lines = statement(code=f"wallet:{customer.pk}")
    assert [(line.amount, line.asked_by, line.approved_by) for line in lines] == [(100000, "support@kramar.local", "")]
    assert [m.to for m in mailoutbox] == [["olena@example.com"]]
    assert verify_ledger().ok


def test_a_debit_is_posted_at_once_whatever_its_size(funded_wallet):
    support = StaffFactory(role="Support")
    customer, wallet = funded_wallet(500000)

    adjustment = ask(support, customer, 400000, direction="debit", reason="Credited twice")

    assert (adjustment.request.status, adjustment.request.approved_by) == ("posted", None)
    wallet.refresh_from_db()
    assert wallet.balance == 100000


# --- above the threshold: waits for a second person ------------------------------------------


def test_a_credit_above_the_threshold_waits_for_approval_in_the_admin(client, django_capture_on_commit_callbacks):
    # given a Support agent
    support = StaffFactory(role="Support")
    client.force_login(support)
    customer = UserFactory(email="taras@example.com")

    # when they give 1 000.01
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(STORE_CREDIT_URL, form(client, email="taras@example.com", amount="1000.01"))

    # then nothing is posted yet: the request waits, and the agent is told so
    request = WalletAdjustmentRequest.objects.get()
    assert messages_of(response) == [
        (
            "warning",
            f"Надіслано на схвалення: нарахування 1\u202f000,01{NBSP}₴ на баланс у магазині покупця taras@example.com "
            f"чекає на другу "
            f"людину (запит №{request.pk}).",
        )
    ]
    assert (request.status, request.amount, request.requested_by, request.entry) == ("pending", 100001, support, None)
    assert ensure_wallet(user_id=customer.pk).balance == 0
    assert wallet_entries() == 0


def test_a_large_staff_credit_cannot_skip_the_queue_through_the_service():
    finance = StaffFactory(role="Finance")
    customer = UserFactory()

    with pytest.raises(ApprovalRequired):
        credit_wallet(user_id=customer.pk, amount=100001, reason="big", by=finance, idempotency_key=new_key())

    assert wallet_entries() == 0


@override_config(WALLET_CREDIT_APPROVAL_THRESHOLD=50)
def test_the_threshold_is_a_runtime_setting():
    support = StaffFactory(role="Support")

    assert ask(support, UserFactory(), 5000).request.status == "posted"
    assert ask(support, UserFactory(), 5001).request.status == "pending"


@override_config(WALLET_CREDIT_APPROVAL_THRESHOLD=50)
def test_small_credits_by_one_person_add_up_against_the_threshold():
    # given a support agent who gave 30 ₴ alone today
    support = StaffFactory(role="Support")
    assert ask(support, UserFactory(), 3000).request.status == "posted"

    # when they give another 30 ₴, to somebody else
    second = ask(support, UserFactory(), 3000).request

    # then it waits for a second person: splitting a credit does not dodge the four eyes
    assert second.status == "pending"
    assert ask(StaffFactory(role="Support"), UserFactory(), 3000).request.status == "posted"  # a colleague's own budget


def test_any_credit_to_a_staff_members_wallet_waits_for_approval():
    # given two colleagues who might credit each other small amounts
    first, second = StaffFactory(role="Support"), StaffFactory(role="Support")

    # then neither credit is posted alone, however small
    assert [ask(first, second, 100).request.status, ask(second, first, 100).request.status] == ["pending", "pending"]
    assert wallet_entries() == 0


def test_a_second_person_approves_and_the_credit_names_both(client, django_capture_on_commit_callbacks, mailoutbox):
    # given a pending 5 000.00 credit asked by Support
    support = StaffFactory(role="Support", email="support@kramar.local")
    finance = StaffFactory(role="Finance", email="finance@kramar.local")
    customer = UserFactory(email="olena@example.com")
    request = ask(support, customer, 500000).request

    # when Finance approves it in the queue
    client.force_login(finance)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(QUEUE_URL, {"action": "approve_selected", "_selected_action": [request.pk]})

    # then it is posted once, naming who asked (the entry) and who approved (the request)
    assert messages_of(response) == [("success", f"Схвалено й проведено (1): #{request.pk}.")]
    request.refresh_from_db()
    assert (request.status, request.approved_by, request.requested_by) == ("posted", finance, support)
    assert request.decided_at is not None
    assert (request.entry.created_by, request.entry.kind) == (support, "wallet_credit")
    assert ensure_wallet(user_id=customer.pk).balance == 500000
    _, lines = statement(code=f"wallet:{customer.pk}")
    assert [(line.amount, line.asked_by, line.approved_by) for line in lines] == [
        (500000, "support@kramar.local", "finance@kramar.local")
    ]
    entry_page = client.get(reverse("admin:ledger_journalentry_change", args=[request.entry_id]))
    assertContains(entry_page, "finance@kramar.local")
    assert [m.to for m in mailoutbox] == [["olena@example.com"]]
    assert verify_ledger().ok


def test_the_requester_cannot_approve_their_own_request(client):
    # given Finance asked for a large credit
    finance = StaffFactory(role="Finance")
    customer = UserFactory()
    request = ask(finance, customer, 200000).request

    # when they approve it themselves, in the service and in the queue
    with pytest.raises(SelfApprovalRefused):
        approve_wallet_adjustment(request_id=request.pk, by=finance)
    client.force_login(finance)
    response = client.post(QUEUE_URL, {"action": "approve_selected", "_selected_action": [request.pk]})

    # then it is refused both ways and still waits
    assert messages_of(response) == [("error", f"Не схвалено (1): #{request.pk} ({SELF_APPROVAL.rstrip('.')}).")]
    request.refresh_from_db()
    assert (request.status, request.approved_by, request.entry) == ("pending", None, None)
    assert ensure_wallet(user_id=customer.pk).balance == 0


def test_an_approver_cannot_approve_a_credit_to_their_own_wallet():
    support = StaffFactory(role="Support")
    finance = StaffFactory(role="Finance")
    request = ask(support, finance, 200000).request  # Support tries to credit Finance

    with pytest.raises(OwnWalletRefused):
        approve_wallet_adjustment(request_id=request.pk, by=finance)

    request.refresh_from_db()
    assert request.status == "pending"


def test_support_cannot_approve_and_does_not_get_the_actions(client):
    asker, other_agent = StaffFactory(role="Support"), StaffFactory(role="Support")
    request = ask(asker, UserFactory(), 200000).request

    with pytest.raises(NotAnApprover):
        approve_wallet_adjustment(request_id=request.pk, by=other_agent)
    client.force_login(other_agent)
    listed = client.get(QUEUE_URL)

    assert listed.status_code == 200
    assert listed.context["action_form"] is None
    assertNotContains(listed, "approve_selected")
    request.refresh_from_db()
    assert request.status == "pending"


def test_a_rejected_request_posts_nothing_and_cannot_be_approved_later():
    support, finance, other_finance = (
        StaffFactory(role="Support"),
        StaffFactory(role="Finance"),
        StaffFactory(role="Finance"),
    )
    customer = UserFactory()
    request = ask(support, customer, 200000).request

    reject_wallet_adjustment(request_id=request.pk, by=finance)
    with pytest.raises(AdjustmentAlreadyDecided):
        approve_wallet_adjustment(request_id=request.pk, by=other_finance)

    request.refresh_from_db()
    assert (request.status, request.rejected_by, request.approved_by, request.entry) == (
        "rejected",
        finance,
        None,
        None,
    )
    assert ensure_wallet(user_id=customer.pk).balance == 0
    assert wallet_entries() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the module mark would drop the rollback
def test_two_approvers_at_the_same_moment_post_once(run_concurrently):
    # given a pending 3 000.00 credit and two Finance approvers
    support = StaffFactory(role="Support")
    approvers = [StaffFactory(role="Finance"), StaffFactory(role="Finance")]
    customer = UserFactory()
    request = ask(support, customer, 300000).request

    # when both approve at the same instant (8 rounds: each thread approves as one of them)
    results = run_concurrently(8, lambda i: approve_wallet_adjustment(request_id=request.pk, by=approvers[i % 2]))

    # then exactly one approval posted, every other was told it is decided, one entry exists
    assert sum(r.ok for r in results) == 1
    assert all(isinstance(r.error, AdjustmentAlreadyDecided) for r in results if not r.ok)
    request.refresh_from_db()
    assert request.status == "posted"
    assert request.approved_by in approvers
    assert JournalEntry.objects.filter(idempotency_key=f"wallet-admin:{request.token}").count() == 1
    assert balance_of(code=f"wallet:{customer.pk}") == 300000
    assert verify_ledger().ok


# --- who may do what --------------------------------------------------------------------------


def permissions_of(role: str) -> set[str]:
    return set(
        Group.objects.get(name=role)
        .permissions.filter(content_type__app_label="ledger")
        .values_list("codename", flat=True)
    )


def test_each_role_has_its_store_credit_permissions():
    adjustments = {"adjust_wallet", "approve_walletadjustmentrequest", "view_walletadjustmentrequest"}

    assert {role: permissions_of(role) & adjustments for role in ("Support", "Finance", "Manager", "Warehouse")} == {
        "Support": {"adjust_wallet", "view_walletadjustmentrequest"},
        "Finance": {"adjust_wallet", "approve_walletadjustmentrequest", "view_walletadjustmentrequest"},
        "Manager": {"view_walletadjustmentrequest"},
        "Warehouse": set(),
    }


def test_a_manager_can_no_longer_change_store_credit(client):
    # given a Manager (the ledger is read-only for them)
    manager = StaffFactory(role="Manager")
    customer = UserFactory()
    client.force_login(manager)

    # when they open the form, post it anyway, or call the service
    opened = client.get(STORE_CREDIT_URL)
    posted = client.post(
        STORE_CREDIT_URL, {"email": customer.email, "direction": "credit", "amount": "5", "reason": "x", "token": "t"}
    )
    with pytest.raises(NotAllowedToAdjust):
        ask(manager, customer, 500)
    queue = client.get(QUEUE_URL)

    # then every door is shut; they may read the queue, with no actions on it
    assert (opened.status_code, posted.status_code) == (403, 403)
    assert queue.status_code == 200
    assert queue.context["action_form"] is None
    assert WalletAdjustmentRequest.objects.count() == 0
    assert ensure_wallet(user_id=customer.pk).balance == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@override_config(WALLET_CREDIT_APPROVAL_THRESHOLD=50)
def test_one_persons_credits_at_the_same_moment_never_add_up_past_the_threshold(run_concurrently):
    support = StaffFactory(role="Support")
    customers = [UserFactory() for _ in range(6)]

    results = run_concurrently(6, lambda i: ask(support, customers[i], 2000).request.status)

    assert all(r.ok for r in results), [r.error for r in results]
    assert sorted(r.value for r in results) == ["pending"] * 4 + ["posted"] * 2  # 20 + 20 <= 50 < 60
