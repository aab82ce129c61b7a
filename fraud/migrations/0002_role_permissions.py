from django.db import migrations

from accounts.roles import grant_permissions


def grant(apps, schema_editor):
    grant_permissions(
        apps,
        {
            # Support calls shoppers: it works the review queue and sees the block list.
            "Support": ["fraud.view_orderscreening", "fraud.review_order", "fraud.view_blockedcontact"],
            "Manager": [
                "fraud.view_orderscreening",
                "fraud.review_order",
                "fraud.view_blockedcontact",
                "fraud.add_blockedcontact",
                "fraud.change_blockedcontact",
                "fraud.delete_blockedcontact",
            ],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("fraud", "0001_block_list_and_screening"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
