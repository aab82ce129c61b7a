from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import validate_ua_phone


def normalize_login(value) -> str | None:
    """The login identity as accounts compare it and django-axes counts it: trimmed, lower-cased."""
    if value is None:
        return None
    return str(value).strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        """The account a login names, compared exactly as django-axes counts it.

        Lower-cased on both sides with LOWER(), never UPPER() (iexact): PostgreSQL's UPPER()
        folds look-alikes such as dotless "ı" onto ASCII, which would let `admın@…` log in as
        `admin@…` under a lockout counter of its own.
        """
        return self.annotate(login=Lower("email")).get(login=normalize_login(username))


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with an e-mail address: a shopper or a staff member.

    Staff are users with is_staff and one or more role groups (accounts.roles).
    """

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(max_length=150, blank=True, verbose_name=_("full name"))
    phone = models.CharField(max_length=13, blank=True, validators=[validate_ua_phone], verbose_name=_("phone"))
    is_staff = models.BooleanField(
        default=False, help_text=_("Can log into the back office."), verbose_name=_("is staff")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    date_joined = models.DateTimeField(default=timezone.now, verbose_name=_("date joined"))
    # The back office's language for this staff member (core.middleware.StaffLanguageMiddleware
    # applies it in /admin/, over the cookie); blank: the shop's default, settings.LANGUAGE_CODE.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("The language of the back office for this person; empty: the shop's default (Ukrainian)."),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email
