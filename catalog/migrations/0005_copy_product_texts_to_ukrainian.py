"""Copy every product's name and description into the Ukrainian columns: the shop's texts were Ukrainian-first."""

from django.db import migrations
from django.db.models import F


def copy_to_ukrainian(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    Product.objects.filter(name_uk__isnull=True).update(name_uk=F("name"))
    Product.objects.filter(description_uk__isnull=True).update(description_uk=F("description"))


def copy_back(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    Product.objects.exclude(name_uk__isnull=True).exclude(name_uk="").update(name=F("name_uk"))
    Product.objects.exclude(description_uk__isnull=True).update(description=F("description_uk"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_product_texts_in_ukrainian_and_english")]

    operations = [migrations.RunPython(copy_to_ukrainian, copy_back)]
