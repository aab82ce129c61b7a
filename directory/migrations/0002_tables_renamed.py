"""Give the taken-over tables the directory app's own names (a rename: every row stays)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0001_initial"),
        ("shipping", "0004_directory_moves_out"),
    ]

    operations = [
        migrations.AlterModelTable(name="city", table=None),
        migrations.AlterModelTable(name="warehouse", table=None),
    ]
