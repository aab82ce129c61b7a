"""Export and anonymisation as actions on the user admin, and the record of them (read-only).

The actions are added by subclassing accounts' UserAdmin and registering the subclass in its
place: accounts sits below privacy and never imports it.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin import UserAdmin
from core.admin import ReadOnlyAdmin, act_on_each, message_bulk_report
from core.exceptions import DomainError
from privacy.export import as_zip
from privacy.models import PrivacyAction
from privacy.services import anonymise_customer, export_customer

User = get_user_model()


class PrivacyUserAdmin(UserAdmin):
    actions = [*(UserAdmin.actions or []), "export_personal_data", "anonymise_customers"]

    def has_export_permission(self, request):
        return request.user.has_perm("privacy.export_customer_data")

    def has_anonymise_permission(self, request):
        return request.user.has_perm("privacy.anonymise_customer")

    @admin.action(
        description=gettext_lazy("Export the customer's personal data (ZIP of JSON and CSV)"), permissions=["export"]
    )
    def export_personal_data(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one customer to export."), messages.ERROR)
            return None
        user = queryset.get()
        try:
            data = export_customer(user=user, by=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        response = HttpResponse(as_zip(data), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="customer-{user.pk}.zip"'
        return response

    @admin.action(description=gettext_lazy("Anonymise the selected customers"), permissions=["anonymise"])
    def anonymise_customers(self, request, queryset):
        rows = list(queryset.order_by("id").values_list("pk", "email"))

        def anonymise(pk: int) -> None:
            anonymise_customer(user_id=pk, by=request.user)

        message_bulk_report(
            self,
            request,
            act_on_each(rows, anonymise),
            done=_("Anonymised ({count}): {rows}."),
            failed=_("Not anonymised ({count}): {rows}."),
        )


admin.site.unregister(User)
admin.site.register(User, PrivacyUserAdmin)


@admin.register(PrivacyAction)
class PrivacyActionAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "kind", "customer", "by", "detail")
    list_filter = ("kind",)
    list_select_related = ("customer", "by")
    search_fields = ("=customer__id",)
