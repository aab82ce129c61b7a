from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.exceptions import DomainError
from privacy.export import as_json, as_tables
from privacy.selectors import get_customer_by_email
from privacy.services import export_customer


class Command(BaseCommand):
    help = "Export everything kept about a customer: JSON on stdout, or JSON and CSV files into --output."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", help="A directory for customer.json and one CSV per table.")

    def handle(self, *args, email, output=None, **options):
        try:
            data = export_customer(user=get_customer_by_email(email=email))
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if not output:
            self.stdout.write(as_json(data))
            return
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "customer.json").write_text(as_json(data), encoding="utf-8")
        tables = as_tables(data)
        for name, text in tables.items():
            (folder / name).write_text(text, encoding="utf-8")
        message = _("Wrote customer.json and %(count)s CSV files to %(folder)s") % {
            "count": len(tables),
            "folder": folder,
        }
        self.stdout.write(self.style.SUCCESS(message))
