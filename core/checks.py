"""System checks that refuse to run production (DEBUG=false) on development stand-ins.

The fakes that make `make run` work with no configuration (the sandbox carrier, the sandbox
payment gateway, the dev SECRET_KEY) are silent in production otherwise: fake waybills, a
page that lets any shopper mark a payment paid, forgeable sessions. With DEBUG=false each one
is an Error naming the environment variable to set, so `check --deploy`, `migrate`, gunicorn
(config/wsgi.py) and Celery (config/celery.py) refuse to start.

A staging site may run the sandboxes on purpose with ALLOW_SANDBOX_IN_PRODUCTION=true; then
every page, in the shop and the back office, shows a banner saying so (staging_banner).
The dev SECRET_KEY is refused even there: with it anybody can forge a session.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

DEV_SECRET_KEY = "dev-only-insecure-key-change-me-in-production"
SWITCH = "ALLOW_SANDBOX_IN_PRODUCTION"


def sandboxes_in_use() -> list[str]:
    """What of the development stand-ins is switched on, in words, with its variable."""
    found = []
    if not settings.NOVA_POSHTA_API_KEY:
        found.append(_("the sandbox carrier (NOVA_POSHTA_API_KEY is not set)"))
    sandbox = settings.PAYMENT_PROVIDERS.get("sandbox", {})
    if sandbox.get("enabled"):
        found.append(_("the sandbox payment gateway (PAYMENTS_SANDBOX=true)"))
        if sandbox.get("secret") == settings.SECRET_KEY:
            found.append(_("the sandbox webhook secret defaulting to SECRET_KEY (PAYMENTS_SANDBOX_SECRET is not set)"))
    return found


def staging_banner_text() -> str | None:
    """The banner every page shows on a production-mode site that runs sandboxes, else None."""
    if settings.DEBUG or not getattr(settings, SWITCH, False):
        return None
    found = sandboxes_in_use()
    if not found:
        return None
    return str(
        _("Test site: nothing here is real. In use: %(what)s.") % {"what": "; ".join(str(item) for item in found)}
    )


@checks.register("kramar", "security")
def production_refuses_sandboxes(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    if settings.SECRET_KEY == DEV_SECRET_KEY or not settings.SECRET_KEY:
        errors.append(
            checks.Error(
                "SECRET_KEY is the development key while DEBUG is false.",
                hint="Set SECRET_KEY to 50+ random characters: python -c "
                '"import secrets; print(secrets.token_urlsafe(50))"',
                id="kramar.E001",
            )
        )
    if getattr(settings, SWITCH, False):
        return errors
    waiver = f" (A staging site that means it sets {SWITCH}=true and gets a banner on every page.)"
    if not settings.NOVA_POSHTA_API_KEY:
        errors.append(
            checks.Error(
                "NOVA_POSHTA_API_KEY is not set while DEBUG is false: the sandbox carrier would make fake waybills.",
                hint="Set NOVA_POSHTA_API_KEY (and the Nova Poshta sender in the admin, Constance)." + waiver,
                id="kramar.E002",
            )
        )
    sandbox = settings.PAYMENT_PROVIDERS.get("sandbox", {})
    if sandbox.get("enabled"):
        errors.append(
            checks.Error(
                "PAYMENTS_SANDBOX is on while DEBUG is false: any shopper could mark their own payment paid.",
                hint="Set PAYMENTS_SANDBOX=false and a real provider's credentials." + waiver,
                id="kramar.E003",
            )
        )
        if sandbox.get("secret") == settings.SECRET_KEY:
            errors.append(
                checks.Error(
                    "PAYMENTS_SANDBOX_SECRET is not set: the sandbox signs its webhooks with SECRET_KEY.",
                    hint="Set PAYMENTS_SANDBOX_SECRET to a secret of its own, or switch the sandbox off." + waiver,
                    id="kramar.E004",
                )
            )
    return errors


def refuse_to_start_on_errors(process: str) -> None:
    """For the entry points (gunicorn, Celery): raise when a check of ours says Error."""
    silenced = set(settings.SILENCED_SYSTEM_CHECKS)
    errors = [m for m in production_refuses_sandboxes() if m.is_serious() and m.id not in silenced]
    if errors:
        lines = "\n".join(f"  {m.id}: {m.msg} {m.hint}" for m in errors)
        raise ImproperlyConfigured(f"kramar {process} refuses to start:\n{lines}")
