"""Which carrier adapter to use: Nova Poshta with an API key, the sandbox without one."""

from django.conf import settings

from shipping.carriers.base import Carrier
from shipping.carriers.novaposhta import NovaPoshtaCarrier, NovaPoshtaClient
from shipping.carriers.sandbox import SandboxCarrier


def get_carrier() -> Carrier:
    if settings.NOVA_POSHTA_API_KEY:
        client = NovaPoshtaClient(
            api_key=settings.NOVA_POSHTA_API_KEY,
            base_url=settings.NOVA_POSHTA_API_URL,
            min_interval=settings.NOVA_POSHTA_MIN_INTERVAL,
        )
        return NovaPoshtaCarrier(client)
    return SandboxCarrier()
