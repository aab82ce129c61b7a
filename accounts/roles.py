"""Staff roles: one group each, created by data migrations.

Each app's data migration grants its own permissions to these groups (grant_permissions),
so a role's rights sit next to the models they concern.
"""

from django.contrib.auth.management import create_permissions
from django.utils.translation import pgettext_lazy

SUPPORT = "Support"
WAREHOUSE = "Warehouse"
FINANCE = "Finance"
MANAGER = "Manager"
ALL_ROLES = (SUPPORT, WAREHOUSE, FINANCE, MANAGER)

# The group names are identifiers (code and migrations look groups up by them): never renamed,
# shown to people through these labels.
ROLE_LABELS = {
    SUPPORT: pgettext_lazy("staff role", "Support"),
    WAREHOUSE: pgettext_lazy("staff role", "Warehouse"),
    FINANCE: pgettext_lazy("staff role", "Finance"),
    MANAGER: pgettext_lazy("staff role", "Manager"),
}


def role_label(group_name: str) -> str:
    """A staff role as people read it; a group kramar does not know keeps its own name."""
    return str(ROLE_LABELS.get(group_name, group_name))


def grant_permissions(apps, grants: dict[str, list[str]]) -> None:
    """Give each named group the listed 'app_label.codename' permissions (migration helper)."""
    # Permissions are normally created after migrate; make them now so they can be granted.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, perms in grants.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
