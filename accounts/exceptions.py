from core.exceptions import Conflict


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with this e-mail already exists. Log in instead."
