from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from privacy.selectors import get_customer_by_email
from privacy.services import anonymise_customer


class Command(BaseCommand):
    help = "Anonymise a customer's personal data (orders, payments, shipments, account); amounts stay."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        try:
            done = anonymise_customer(user_id=get_customer_by_email(email=email).pk)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Anonymised %(email)s: %(orders)s orders, %(payments)s payments, "
                    "%(events)s webhook events, %(shipments)s shipments."
                )
                % {
                    "email": email,
                    "orders": done.orders,
                    "payments": done.payments,
                    "events": done.webhook_events,
                    "shipments": done.shipments,
                }
            )
        )
