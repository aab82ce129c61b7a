from django.core.management.base import BaseCommand, CommandError

from ledger.integrity import verify_ledger


class Command(BaseCommand):
    help = "Prove the ledger is whole: balanced entries, stored balances, gap-free versions, holds, limits."

    def handle(self, *args, **options):
        report = verify_ledger()
        self.stdout.write(report.as_text())
        if not report.ok:
            raise CommandError("ledger integrity check FAILED (see above)")
        self.stdout.write(self.style.SUCCESS("ledger integrity check passed"))
