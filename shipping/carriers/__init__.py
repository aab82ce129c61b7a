"""Which carrier adapter to use: Nova Poshta with an API key, the sandbox without one."""

from django.conf import settings

from shipping.carriers.base import Carrier


def get_carrier() -> Carrier:
    if settings.NOVA_POSHTA_API_KEY:
        from shipping.carriers.novaposhta import NovaPoshtaCarrier, NovaPoshtaClient

        client = NovaPoshtaClient(api_key=settings.NOVA_POSHTA_API_KEY, base_url=settings.NOVA_POSHTA_API_URL)
        return NovaPoshtaCarrier(client)
    from shipping.carriers.sandbox import SandboxCarrier

    return SandboxCarrier()
