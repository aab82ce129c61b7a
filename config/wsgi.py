import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Refuse to serve production on development stand-ins (sandbox carrier or gateway, dev
# SECRET_KEY): gunicorn's worker fails to boot and gunicorn exits with the message.
from core.checks import refuse_to_start_on_errors  # noqa: E402

refuse_to_start_on_errors("web")
