from django.db import migrations


class Migration(migrations.Migration):
    """Order numbers come from a sequence: unique under any concurrency, never reused."""

    dependencies = [("orders", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS orders_order_number_seq START 100001",
            "DROP SEQUENCE IF EXISTS orders_order_number_seq",
        ),
    ]
