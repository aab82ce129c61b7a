"""Product name and description get a column per language (django-modeltranslation); verbose names marked for translation."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_remove_reservation_reservation_one_per_product_and_holder_and_more"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="product",
            options={"ordering": ["name", "id"], "verbose_name": "product", "verbose_name_plural": "products"},
        ),
        migrations.AlterModelOptions(
            name="reservation",
            options={"verbose_name": "reservation", "verbose_name_plural": "reservations"},
        ),
        migrations.AlterModelOptions(
            name="stock",
            options={"verbose_name": "stock", "verbose_name_plural": "stock"},
        ),
        migrations.AddField(
            model_name="product",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="product",
            name="description_uk",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="product",
            name="name_en",
            field=models.CharField(
                help_text="Ukrainian is required; without an English name the English pages show the Ukrainian one.",
                max_length=200,
                null=True,
                verbose_name="name",
            ),
        ),
        migrations.AddField(
            model_name="product",
            name="name_uk",
            field=models.CharField(
                help_text="Ukrainian is required; without an English name the English pages show the Ukrainian one.",
                max_length=200,
                null=True,
                verbose_name="name",
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="product",
            name="currency",
            field=models.CharField(default="UAH", editable=False, max_length=3, verbose_name="currency"),
        ),
        migrations.AlterField(
            model_name="product",
            name="description",
            field=models.TextField(blank=True, verbose_name="description"),
        ),
        migrations.AlterField(
            model_name="product",
            name="name",
            field=models.CharField(
                help_text="Ukrainian is required; without an English name the English pages show the Ukrainian one.",
                max_length=200,
                verbose_name="name",
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="price",
            field=models.PositiveBigIntegerField(help_text="Price in kopiyky (minor units).", verbose_name="price"),
        ),
        migrations.AlterField(
            model_name="product",
            name="sku",
            field=models.CharField(
                error_messages={"unique": "A product with this SKU already exists."},
                max_length=64,
                unique=True,
                verbose_name="SKU",
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="slug",
            field=models.SlugField(
                help_text="The product's address: /p/<slug>/.", max_length=220, unique=True, verbose_name="slug"
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated"),
        ),
        migrations.AlterField(
            model_name="product",
            name="weight_grams",
            field=models.PositiveIntegerField(
                default=500, help_text="Shipping weight in grams.", verbose_name="weight, g"
            ),
        ),
        migrations.AlterField(
            model_name="reservation",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="reservation",
            name="product",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reservations",
                to="catalog.product",
                verbose_name="product",
            ),
        ),
        migrations.AlterField(
            model_name="reservation",
            name="quantity",
            field=models.PositiveIntegerField(verbose_name="quantity"),
        ),
        migrations.AlterField(
            model_name="reservation",
            name="reference",
            field=models.CharField(
                help_text="Who holds the units, e.g. order:42.", max_length=64, verbose_name="holder"
            ),
        ),
        migrations.AlterField(
            model_name="reservation",
            name="resolved_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="resolved"),
        ),
        migrations.AlterField(
            model_name="reservation",
            name="status",
            field=models.CharField(
                choices=[("active", "Active"), ("released", "Released"), ("fulfilled", "Fulfilled")],
                default="active",
                max_length=10,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="stock",
            name="on_hand",
            field=models.PositiveIntegerField(default=0, verbose_name="on hand"),
        ),
        migrations.AlterField(
            model_name="stock",
            name="product",
            field=models.OneToOneField(
                on_delete=django.db.models.deletion.CASCADE,
                primary_key=True,
                related_name="stock",
                serialize=False,
                to="catalog.product",
                verbose_name="product",
            ),
        ),
        migrations.AlterField(
            model_name="stock",
            name="reserved",
            field=models.PositiveIntegerField(default=0, verbose_name="reserved"),
        ),
        migrations.AlterField(
            model_name="stock",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, verbose_name="updated"),
        ),
    ]
