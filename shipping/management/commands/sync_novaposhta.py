from django.core.management.base import BaseCommand

from shipping.directory import sync_directory


class Command(BaseCommand):
    help = "Download the Nova Poshta directory (cities, branches, parcel lockers) into local tables."

    def handle(self, *args, **options):
        state = {"kind": None}

        def progress(kind: str, rows: int) -> None:
            """A bar that grows with every page: one block per 500 rows."""
            if state["kind"] not in (None, kind):
                self.stdout.write("")
            state["kind"] = kind
            bar = "█" * min(50, rows // 500 + 1)
            self.stdout.write(f"\r{kind:<11}{bar:<50} {rows:>6} rows", ending="")
            self.stdout.flush()

        counts = sync_directory(progress=progress)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts['cities']} cities, {counts['warehouses']} branches and parcel lockers; "
                f"{counts['deactivated']} no longer listed were switched off."
            )
        )
