"""City and Warehouse now belong to the directory app: forget them here, keep their tables.

The directory app's 0001 took the same tables over in its state; nothing is dropped.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0003_shipment_handed_over_at"),
        ("directory", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Warehouse"),
                migrations.DeleteModel(name="City"),
            ],
            database_operations=[],
        ),
    ]
