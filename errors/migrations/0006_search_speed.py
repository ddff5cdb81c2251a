"""Search speed: on PostgreSQL no parallel workers for the search tables, whose queries
read a few thousand rows at most, and covering indexes by id and by status; on SQLite
the fts5vocab table search no longer reads goes (see errors/search_index.py)."""

from django.db import migrations


def tune(apps, schema_editor):
    from errors.search.index import tune_search_tables

    tune_search_tables(schema_editor.connection)


def untune(apps, schema_editor):
    from errors.search.index import untune_search_tables

    untune_search_tables(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0005_catalog_state"),
    ]

    operations = [
        migrations.RunPython(tune, untune),
    ]
