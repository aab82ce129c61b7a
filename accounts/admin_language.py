"""The staff member's own language for the back office ("My language" in the admin header).

Any staff member may set their own (no "change user" permission needed: it is their
preference, not an account change). core.middleware.StaffLanguageMiddleware applies it.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class MyLanguageForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["language"]
        labels = {"language": _("Language of the back office")}


def my_language_view(model_admin, request):
    """Show and save the signed-in staff member's own `User.language`."""
    user = request.user
    form = MyLanguageForm(request.POST if request.method == "POST" else None, instance=user)
    if form.is_bound and form.is_valid():
        user.language = form.cleaned_data["language"]
        user.save(update_fields=["language"])
        # Answer in the language just chosen. Blank means the shop's default, so the header
        # switch's cookie (which would otherwise still decide in this browser) goes too.
        translation.activate(user.language or settings.LANGUAGE_CODE)
        messages.success(request, gettext("Your language is saved."))
        response = HttpResponseRedirect(reverse("admin:accounts_user_my_language"))
        if not user.language:
            response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("My language"),
        "opts": model_admin.opts,
        "form": form,
    }
    return TemplateResponse(request, "admin/accounts/user/my_language.html", context)
