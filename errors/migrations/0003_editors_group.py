"""The Editors group: add, change, delete and view the catalog, and nothing else."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITED_MODELS = ("service", "category", "errorcode", "example", "guide")


def create_editors_group(apps, schema_editor):
    # The database being migrated, which need not be the default one.
    db = schema_editor.connection.alias
    # Permissions are created after all migrations by a post_migrate signal; a fresh
    # database has none yet, so create this app's now.
    app_config = apps.get_app_config("errors")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=db)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    codenames = [
        f"{action}_{model}"
        for model in EDITED_MODELS
        for action in ("add", "change", "delete", "view")
    ] + ["view_errorcoderevision"]
    group, _ = Group.objects.using(db).get_or_create(name="Editors")
    group.permissions.set(
        Permission.objects.using(db).filter(
            content_type__app_label="errors", codename__in=codenames
        )
    )


def delete_editors_group(apps, schema_editor):
    db = schema_editor.connection.alias
    apps.get_model("auth", "Group").objects.using(db).filter(name="Editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("errors", "0002_history"),
    ]

    operations = [migrations.RunPython(create_editors_group, delete_editors_group)]
