"""BlockedContact and OrderScreening now belong to the orders app: forget them here, keep their tables.

Orders' 0009 took the same tables over in its state (and moved the content types); nothing
is dropped.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fraud", "0002_role_permissions"),
        ("orders", "0009_screening_taken_over"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="OrderScreening"),
                migrations.DeleteModel(name="BlockedContact"),
            ],
            database_operations=[],
        ),
    ]
