"""`manage.py messages`: extract, check and compile the translation catalogues.

    manage.py messages            update locale/uk/*.po from the code, then compile the .mo files
    manage.py messages --check    fail when a marked string is missing from the .po files, or
                                  one there is untranslated or fuzzy (make lint runs this)
    manage.py messages --compile  only compile (make test, the Dockerfile)

The catalogues keep file references without line numbers (``--add-location file``) so a change
elsewhere in a file does not rewrite every entry below it.
"""

import shutil
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command

LOCALES = ["uk"]
DOMAINS = ["django", "djangojs"]
IGNORE = [".venv/*", "staticfiles/*", "node_modules/*", "bench/*", "media/*", "var/*"]


def catalogue_paths():
    root = Path(settings.LOCALE_PATHS[0])
    return [root / locale / "LC_MESSAGES" / f"{domain}.po" for locale in LOCALES for domain in DOMAINS]


def problems(po_path):
    """Entries of one catalogue that a person would see untranslated."""
    catalogue = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    return untranslated, fuzzy


def _ids(po_path):
    if not po_path.exists():
        return set()
    return {(e.msgctxt, e.msgid) for e in polib.pofile(str(po_path)) if not e.obsolete}


class Command(BaseCommand):
    help = "Extract (makemessages), check and compile (compilemessages) the Ukrainian catalogues."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="change nothing; fail on missing or untranslated strings"
        )
        parser.add_argument("--compile", action="store_true", help="only compile the .mo files")

    def handle(self, *args, check=False, compile=False, **options):
        if compile:
            self._compile()
            return
        if check:
            self._check()
            return
        self._extract()
        self._compile()

    def _extract(self, verbosity=0):
        common = {"locale": LOCALES, "ignore_patterns": IGNORE, "add_location": "file", "verbosity": verbosity}
        call_command("makemessages", domain="django", extensions=["html", "txt", "py"], **common)
        call_command("makemessages", domain="djangojs", extensions=["js"], **common)
        for path in catalogue_paths():
            if not path.exists():  # no string of that domain is marked yet
                continue
            catalogue = polib.pofile(str(path), wrapwidth=79)
            for entry in [e for e in catalogue if e.obsolete]:
                catalogue.remove(entry)
            # makemessages writes a template's header (fuzzy, placeholders); msgfmt would then
            # ignore the plural rule below.
            catalogue.metadata_is_fuzzy = False
            catalogue.header = "Ukrainian translation of kramar, the back office of a Ukrainian online shop."
            catalogue.metadata.update(
                {
                    "Project-Id-Version": "kramar",
                    "Language-Team": "kramar <uk@kramar.local>",
                    "Last-Translator": "kramar <uk@kramar.local>",
                }
            )
            for churn in ("POT-Creation-Date", "PO-Revision-Date"):  # new on every run: merge conflicts
                catalogue.metadata.pop(churn, None)
            catalogue.metadata.pop("Report-Msgid-Bugs-To", None)
            catalogue.metadata["Language"] = "uk"
            catalogue.metadata["Plural-Forms"] = (
                "nplurals=3; plural=(n % 10 == 1 && n % 100 != 11 ? 0 : n % 10 >= 2 && n % 10 <= 4 && "
                "(n % 100 < 10 || n % 100 >= 20) ? 1 : 2);"
            )
            catalogue.save(str(path))

    def _compile(self):
        call_command("compilemessages", locale=LOCALES, ignore_patterns=IGNORE, verbosity=0)

    def _check(self):
        paths = catalogue_paths()
        committed = {p: _ids(p) for p in paths}
        backup = Path(tempfile.mkdtemp(prefix="kramar-po-"))
        try:
            for p in paths:
                if p.exists():
                    shutil.copy2(p, backup / p.name)
            self._extract()
            missing = {p: _ids(p) - committed[p] for p in paths}
        finally:
            for p in paths:
                saved = backup / p.name
                if saved.exists():
                    shutil.copy2(saved, p)
                elif p.exists():
                    p.unlink()
            shutil.rmtree(backup, ignore_errors=True)
        report = []
        for p in paths:
            for _ctx, msgid in sorted(missing[p], key=str):
                report.append(f"{p.name}: not in the catalogue (run `make messages`): {msgid!r}")
            if p.exists():
                untranslated, fuzzy = problems(p)
                report += [f"{p.name}: untranslated: {m!r}" for m in untranslated]
                report += [f"{p.name}: fuzzy: {m!r}" for m in fuzzy]
        if report:
            raise CommandError("translations are incomplete:\n  " + "\n  ".join(report))
        self.stdout.write("translations: every marked string is in the catalogues and translated")
