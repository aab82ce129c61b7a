from django.db import migrations

from accounts.roles import ALL_ROLES, grant_permissions


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)
    # Everyone on staff may read who the customers are; Support and Managers fix their details.
    grant_permissions(
        apps,
        {
            "Support": ["accounts.view_user", "accounts.change_user"],
            "Warehouse": [],
            "Finance": ["accounts.view_user"],
            "Manager": ["accounts.view_user", "accounts.change_user"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
