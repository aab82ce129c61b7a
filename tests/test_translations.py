"""The Ukrainian catalogues are complete: no entry a person would see is untranslated or fuzzy.

`make lint` (manage.py messages --check) also fails when a string marked in the code is missing
from the catalogues; this test guards what is in them.
"""

import re

import polib
import pytest

from core.management.commands.messages import catalogue_paths, problems


@pytest.mark.parametrize("po_path", catalogue_paths(), ids=lambda p: p.name)
def test_every_entry_is_translated_and_none_is_fuzzy(po_path):
    assert po_path.exists(), f"{po_path} is missing: run `make messages`"
    untranslated, fuzzy = problems(po_path)
    assert untranslated == [], f"{len(untranslated)} untranslated in {po_path.name}, e.g. {untranslated[:5]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy in {po_path.name}, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("po_path", catalogue_paths(), ids=lambda p: p.name)
def test_plural_entries_have_the_three_ukrainian_forms(po_path):
    catalogue = polib.pofile(str(po_path))
    assert "nplurals=3" in catalogue.metadata["Plural-Forms"]
    short = [e.msgid for e in catalogue if e.msgid_plural and len([v for v in e.msgstr_plural.values() if v]) != 3]
    assert short == [], f"plural entries without one, few and many forms: {short[:5]}"


@pytest.mark.parametrize("po_path", catalogue_paths(), ids=lambda p: p.name)
def test_placeholders_survive_translation(po_path):
    """A translation that drops or renames %(name)s / {name} would crash or lie at runtime."""
    placeholder = re.compile(r"%\(\w+\)[sdf]|%[sd]|\{\w*\}")
    broken = []
    for entry in polib.pofile(str(po_path)):
        if not entry.translated():
            continue
        if entry.msgid_plural:
            # Ukrainian uses its "one" form for 21, 31, ... too, so every form carries the
            # number even where the English singular says "a product"; a form may only use
            # placeholders the English plural has.
            allowed = set(placeholder.findall(entry.msgid_plural)) | set(placeholder.findall(entry.msgid))
            for text in entry.msgstr_plural.values():
                if not set(placeholder.findall(text)) <= allowed:
                    broken.append((entry.msgid, text))
            continue
        if sorted(placeholder.findall(entry.msgstr)) != sorted(placeholder.findall(entry.msgid)):
            broken.append((entry.msgid, entry.msgstr))
    assert broken == [], f"placeholders differ: {broken[:5]}"
