from django.contrib.auth.models import Permission
from django.utils import timezone

from core.models import OutboxMessage
from tests.factories import StaffFactory

URL = "/admin/core/outboxmessage/"
EMAIL_TASK = "orders.tasks.send_order_email_task"


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _rows():
    now = timezone.now()
    sent = OutboxMessage.objects.create(task=EMAIL_TASK, kwargs={"order_id": 1, "kind": "placed"}, sent_at=now)
    pending = OutboxMessage.objects.create(task=EMAIL_TASK, kwargs={"order_id": 2, "kind": "placed"}, attempts=2)
    dead = OutboxMessage.objects.create(
        task="orders.tasks.no_such_task",
        attempts=50,
        dead_at=now,
        last_error="NotRegistered: 'orders.tasks.no_such_task'",
    )
    return sent, pending, dead


def test_the_list_filters_sent_pending_and_dead(client, db):
    sent, pending, dead = _rows()
    client.force_login(StaffFactory(is_superuser=True))

    for state, row in [("sent", sent), ("pending", pending), ("dead", dead)]:
        response = client.get(URL, {"state": state})
        assert [m.pk for m in response.context["cl"].result_list] == [row.pk]
    assert client.get(f"{URL}{dead.pk}/change/").status_code == 200
    assert client.get(f"{URL}add/").status_code == 403


def test_retry_makes_dead_messages_due_and_publishes_them(client, db, real_broker):
    sent, pending, dead = _rows()
    dead.task, dead.kwargs = EMAIL_TASK, {"order_id": 3, "kind": "placed"}  # fixed by a deploy, say
    dead.save(update_fields=["task", "kwargs"])
    client.force_login(StaffFactory(is_superuser=True))

    response = client.post(URL, {"action": "retry_selected", "_selected_action": [dead.pk, sent.pk]}, follow=True)

    assert messages_of(response) == ["Знову до відправлення: 1; опубліковано зараз: 1; досі не вдається: 0."]
    dead.refresh_from_db()
    assert (dead.dead_at, dead.sent_at is not None, dead.attempts) == (None, True, 1)
    assert [m["id"] for m in real_broker.queued()] == [f"outbox-{dead.pk}"]


def test_retry_needs_its_permission(client, db):
    _rows()
    viewer = StaffFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    client.force_login(viewer)
    assert client.get(URL).context["action_form"] is None  # no action offered

    viewer.user_permissions.add(Permission.objects.get(codename="retry_outboxmessage"))
    choices = dict(client.get(URL).context["action_form"].fields["action"].choices)
    assert str(choices["retry_selected"]) == "Повторно надіслати вибрані ненадіслані повідомлення зараз"
