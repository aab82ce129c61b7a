"""Users in the back office: customers and staff, with staff rights kept for superusers."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin_language import my_language_view
from accounts.models import User
from accounts.roles import role_label
from core.admin import phone_in_search
from core.money import format_money
from ledger.selectors import wallet_of
from ledger.services.adjustments import ADJUST_PERMISSION

admin.site.site_header = _("kramar back office")
admin.site.site_title = _("kramar back office")
admin.site.index_title = _("Back office")

# Who may log into the back office and what they may do there: only a superuser changes it,
# so a Manager or Support agent with "change user" cannot promote anybody, themselves included.
PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "phone")

    def clean_email(self):
        return self.cleaned_data["email"].lower()


class UserChangeForm(DjangoUserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self):
        return self.cleaned_data["email"].lower()


class RoleFilter(admin.SimpleListFilter):
    """The groups filter, under the roles' translated labels."""

    title = _("roles")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(group.pk, role_label(group.name)) for group in Group.objects.order_by("name")]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(groups__pk=int(value)) if value and value.isdigit() else queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    list_display = ("email", "full_name", "phone", "is_staff", "roles")
    list_filter = ("is_staff", "is_superuser", "is_active", RoleFilter)
    search_fields = ("email", "full_name", "phone")
    search_help_text = _("E-mail, name or phone (any format).")
    ordering = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "language")}),
        (_("Access"), {"fields": ("is_active", *PRIVILEGE_FIELDS)}),
        (_("Store credit"), {"fields": ("store_credit",)}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "phone", "password1", "password2")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_urls(self):
        mine = path(
            "my-language/",
            self.admin_site.admin_view(lambda request: my_language_view(self, request)),
            name="accounts_user_my_language",
        )
        return [mine, *super().get_urls()]

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(sorted(role_label(group.name) for group in obj.groups.all())) or "—"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label_from_instance = lambda group: role_label(group.name)
        return field

    def get_search_results(self, request, queryset, search_term):
        phone = phone_in_search(search_term)
        if phone:
            return queryset.filter(phone=phone), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("balance"))
    def store_credit_balance(self, obj):
        wallet = wallet_of(user_id=obj.pk) if obj.pk else None
        return format_money(wallet.balance if wallet else 0)

    @admin.display(description=_("balance"))
    def store_credit(self, obj):
        """The balance and the link to change it, for those who may (get_fieldsets picks)."""
        balance = self.store_credit_balance(obj)
        if not obj.pk:
            return balance
        url = reverse("admin:ledger_store_credit") + "?" + urlencode({"email": obj.email})
        return format_html('{} &nbsp; <a href="{}">{}</a>', balance, url, gettext("Give or take back store credit"))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.has_perm(ADJUST_PERMISSION):
            return fieldsets
        # Without ledger.adjust_wallet the store-credit page answers 403 (Manager): no link to it.
        return [
            (
                name,
                {
                    **options,
                    "fields": ["store_credit_balance" if f == "store_credit" else f for f in options["fields"]],
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined", "store_credit", "store_credit_balance"]
        if not request.user.is_superuser:
            readonly += PRIVILEGE_FIELDS
        return readonly

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or request.user.is_superuser or obj.pk == request.user.pk:
            return True
        # Changing another staff member's e-mail is enough to take over their account.
        return not (obj.is_staff or obj.is_superuser)

    def user_change_password(self, request, id, form_url=""):
        user = self.get_object(request, unquote(id))
        # Customers reset their own passwords by e-mail; staff never learn or set them.
        if user is not None and not (request.user.is_superuser or user.pk == request.user.pk):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


class GroupAdmin(DjangoGroupAdmin):
    """Roles under their translated labels; the stored group name stays the identifier."""

    list_display = ("role", "name")

    @admin.display(description=_("role"), ordering="name")
    def role(self, group):
        return role_label(group.name)


admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)
