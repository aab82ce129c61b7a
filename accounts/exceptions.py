from django.utils.translation import gettext_lazy as _

from core.exceptions import Conflict


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = _("An account with this e-mail already exists. Log in instead.")
