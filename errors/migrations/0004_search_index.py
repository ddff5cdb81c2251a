"""The full-text search index: FTS5 tables on SQLite, a weighted tsvector and pg_trgm on
PostgreSQL, kept in step by triggers (see errors/search_index.py)."""

from django.db import migrations


def install(apps, schema_editor):
    from errors.search.index import install_search_index

    install_search_index(schema_editor.connection)


def remove(apps, schema_editor):
    from errors.search.index import remove_search_index

    remove_search_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0003_editors_group"),
    ]

    operations = [
        migrations.RunPython(install, remove),
    ]
