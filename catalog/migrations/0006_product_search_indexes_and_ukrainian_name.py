"""Search indexes for the shoppers' search in both languages, and a Ukrainian name for every product.

After 0005 filled the Ukrainian columns, so the constraint holds for the rows already there.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_copy_product_texts_to_ukrainian")]

    operations = [
        # pg_trgm is shared by several apps' indexes: created if missing, never dropped when one
        # app's migrations are reversed (the others' indexes depend on it).
        migrations.RunSQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("name_uk"), name="gin_trgm_ops"
                ),
                name="product_name_uk_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("name_en"), name="gin_trgm_ops"
                ),
                name="product_name_en_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("description_uk"), name="gin_trgm_ops"
                ),
                name="product_description_uk_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper("description_en"), name="gin_trgm_ops"
                ),
                name="product_description_en_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(django.db.models.functions.text.Upper("sku"), name="product_sku_upper"),
        ),
        migrations.AddConstraint(
            model_name="product",
            constraint=models.CheckConstraint(
                condition=models.Q(("name_uk__isnull", False), models.Q(("name_uk", ""), _negated=True)),
                name="product_name_uk_not_empty",
            ),
        ),
    ]
