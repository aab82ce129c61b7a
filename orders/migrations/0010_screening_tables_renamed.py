"""Give the taken-over tables the orders app's own names (a rename: every row stays)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0009_screening_taken_over"),
        ("fraud", "0003_models_move_to_orders"),
    ]

    operations = [
        migrations.AlterModelTable(name="blockedcontact", table=None),
        migrations.AlterModelTable(name="orderscreening", table=None),
    ]
