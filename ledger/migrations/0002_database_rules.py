from django.db import migrations

from ledger import sql


class Migration(migrations.Migration):
    """The ledger's rules in the database: posting function, balance and append-only triggers."""

    dependencies = [("ledger", "0001_initial")]

    operations = [
        migrations.RunSQL(forward, backward)
        for forward, backward in zip(sql.FORWARD, reversed(sql.BACKWARD), strict=True)
    ]
