"""Login lockout policy (django-axes): one identity per account, and a budget per address.

- The username axes counts is the e-mail as the login finds it: trimmed and lower-cased
  (login matches `email__iexact`), so `V1@KRAMAR.LOCAL` and `v1@kramar.local` share one
  counter on the shop login, the admin login and the API token endpoint alike.
- Failures are counted twice (settings.AXES_LOCKOUT_PARAMETERS): per e-mail and address
  (AXES_FAILURE_LIMIT, 5) and per address across every e-mail (AXES_IP_FAILURE_LIMIT, higher:
  offices and mobile carriers share addresses), so spraying many accounts from one address
  is locked out too.
- A successful login clears the failures of that e-mail from that address only; the address's
  own budget runs out with the cool-off, so logging into one's own account does not reset it.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_lockout_parameters
from django.conf import settings
from django.db.models import Sum

from accounts.models import normalize_login

IP_ONLY = ["ip_address"]


def axes_username(request, credentials=None) -> str | None:
    """settings.AXES_USERNAME_CALLABLE: the normalized e-mail of a login attempt."""
    field = settings.AXES_USERNAME_FORM_FIELD
    if credentials:
        return normalize_login(credentials.get(field))
    data = getattr(request, "data", None) or getattr(request, "POST", {})
    return normalize_login(data.get(field))


def _is_ip_only(parameter) -> bool:
    return parameter == "ip_address" or list(parameter) == IP_ONLY


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a separate, larger failure budget per address."""

    def get_failures(self, request, credentials=None) -> int:
        parameters = get_lockout_parameters(request, credentials)
        per_account, per_address = 0, 0
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if _is_ip_only(parameter):
                per_address = max(per_address, failures)
            else:
                per_account = max(per_account, failures)
        if per_address >= settings.AXES_IP_FAILURE_LIMIT:
            # The address spent its budget: locked whatever the e-mail, on axes' own scale.
            return max(per_account, settings.AXES_FAILURE_LIMIT)
        return per_account

    def reset_user_attempts(self, request, credentials=None) -> int:
        parameters = get_lockout_parameters(request, credentials)
        count = 0
        for parameter, attempts in zip(parameters, self.filter_user_attempts(request, credentials), strict=True):
            if _is_ip_only(parameter):
                continue
            deleted, _ = attempts.delete()
            count += deleted
        return count
