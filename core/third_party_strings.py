"""Names third-party apps show in the admin, translated (or better translated) in kramar's own catalogue.

django-axes and django-celery-beat ship no Ukrainian catalogue. Django looks a message up in
LOCALE_PATHS first, so listing their model and app names here (gettext_noop: extracted by
makemessages, never called) lets locale/uk translate what staff see in the sidebar and page
titles. The msgids must match the apps' own strings exactly.
"""

from django.utils.translation import gettext_noop

THIRD_PARTY_STRINGS = [
    # django-celery-beat (the app and its models)
    gettext_noop("Periodic Tasks"),
    gettext_noop("periodic task"),
    gettext_noop("periodic tasks"),
    gettext_noop("interval"),
    gettext_noop("intervals"),
    gettext_noop("crontab"),
    gettext_noop("crontabs"),
    gettext_noop("clocked"),
    gettext_noop("solar event"),
    gettext_noop("solar events"),
    # Django's admin: its Ukrainian puts the model's name in the nominative ("Виберіть
    # користувач щоб змінити"); a colon form reads right for every model.
    gettext_noop("Select %s to change"),
    gettext_noop("Select %s to view"),
    # Django REST framework: its Ukrainian for a missing login is a bureaucratic riddle
    # ("Реквізити перевірки достовірності не надані.").
    gettext_noop("Authentication credentials were not provided."),
    # django-axes
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
]
