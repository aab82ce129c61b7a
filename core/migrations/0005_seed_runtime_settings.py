"""Store every runtime setting's default (django-constance), so no first read writes one.

constance writes a missing key's default on its first read, inside whatever transaction reads
it: a checkout's or a callback's (an INSERT and a savepoint there, and a unique index that
serialises the first concurrent readers). Stored here once, every read is a cache hit or one
SELECT. Keys already stored (a staff member's value) are left alone; a key added later is
stored by its own data migration calling `seed_runtime_settings`.
"""

from django.conf import settings
from django.db import migrations


def seed_runtime_settings(apps, schema_editor):
    from constance import settings as constance_settings
    from constance.codecs import dumps

    Constance = apps.get_model("constance", "Constance")
    prefix = constance_settings.DATABASE_PREFIX
    stored = set(Constance.objects.using(schema_editor.connection.alias).values_list("key", flat=True))
    Constance.objects.using(schema_editor.connection.alias).bulk_create(
        [
            Constance(key=f"{prefix}{name}", value=dumps(options[0]))
            for name, options in settings.CONSTANCE_CONFIG.items()
            if f"{prefix}{name}" not in stored
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_circuit_breaker"),
        ("constance", "0003_drop_pickle"),
    ]

    operations = [migrations.RunPython(seed_runtime_settings, migrations.RunPython.noop)]
