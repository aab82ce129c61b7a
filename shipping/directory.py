"""The Nova Poshta directory sync, fed by this shop's carrier (the directory app holds the tables)."""

from collections.abc import Callable

from directory import services
from shipping import carriers


def sync_directory(*, progress: Callable[[str, int], None] | None = None, carrier=None) -> dict:
    """Fetch every city and warehouse page from the carrier into the directory (Beat, command, demo)."""
    return services.sync_directory(source=carrier or carriers.get_carrier(), progress=progress)
