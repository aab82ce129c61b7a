"""Product texts in Ukrainian and English (django-modeltranslation).

`name_uk`/`name_en` and `description_uk`/`description_en` hold the texts; `product.name` reads
the active language's and falls back to the Ukrainian one when the English is empty. The
Ukrainian name is required (the shop's language, by law the default); English is optional.
"""

from modeltranslation.translator import TranslationOptions, register

from catalog.models import Product


@register(Product)
class ProductTranslationOptions(TranslationOptions):
    fields = ("name", "description")
    required_languages = ("uk",)
