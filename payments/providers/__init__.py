"""The provider registry: a slug -> adapter class, configured by settings.PAYMENT_PROVIDERS."""

from django.conf import settings
from django.utils.module_loading import import_string

from payments.providers.base import PaymentProvider, ProviderConfig

ADAPTERS = {
    "fondy": "payments.providers.fondy.FondyProvider",
    "wayforpay": "payments.providers.wayforpay.WayForPayProvider",
    "liqpay": "payments.providers.liqpay.LiqPayProvider",
    "sandbox": "payments.providers.sandbox.SandboxProvider",
}


class UnknownProvider(LookupError):
    pass


def enabled_codes() -> list[str]:
    """Providers switched on by settings (credentials present), in display order."""
    return [code for code in ADAPTERS if settings.PAYMENT_PROVIDERS.get(code, {}).get("enabled")]


def get_provider(code: str) -> PaymentProvider:
    conf = settings.PAYMENT_PROVIDERS.get(code)
    if code not in ADAPTERS or not conf or not conf.get("enabled"):
        raise UnknownProvider(f"Payment provider '{code}' is not enabled.")
    fields = {k: v for k, v in conf.items() if k != "enabled"}
    return import_string(ADAPTERS[code])(ProviderConfig(code=code, **fields))
