"""Django's localisation formats, where the shop writes dates and numbers differently from
Django's defaults (FORMAT_MODULE_PATH = "config.formats"; what a module here leaves out comes
from Django's own locale data)."""
