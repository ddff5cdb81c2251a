"""SQLite's full-text tables hold up to 16 MB of new index data before writing it out
(FTS5's `hashsize`, 1 MB by default).

The import inserts a service's codes in one statement, and FTS5 writes what it holds at
every statement's end. With 1 MB it wrote several small segments for each statement of
1,000 codes, which it then merged again as the index grew; with 16 MB it writes one.
100,000 codes: 22.1 s -> 20.9-21.4 s. The memory is taken only while a write holds that
much. PostgreSQL: nothing.
"""

from django.db import OperationalError, migrations

TABLES = ("errors_search_text", "errors_search_keys")


def pending_size(size: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for table in TABLES:
            try:
                schema_editor.execute(
                    f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', {size})"
                )
            except OperationalError:
                # A SQLite whose FTS5 lacks the option refuses it ("SQL logic error")
                # and leaves the transaction as it was: the import is slower there.
                return

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("errors", "0016_status_index"),
    ]

    operations = [
        migrations.RunPython(pending_size(16 * 1024 * 1024), pending_size(1024 * 1024)),
    ]
