from django.db import migrations

from accounts.roles import grant_permissions


def grant(apps, schema_editor):
    # Only a Manager (and a superuser, who has every permission) handles customers' data requests.
    grant_permissions(
        apps,
        {
            "Manager": [
                "privacy.view_privacyaction",
                "privacy.export_customer_data",
                "privacy.anonymise_customer",
            ]
        },
    )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial"), ("accounts", "0002_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
