"""The migrations, on a database of their own: forward to the latest, back to zero and
forward again on the engine the suite runs on, and what they leave each time.

The test database the other tests share is never migrated here: each run gets a fresh
SQLite file or a throwaway PostgreSQL database on the same server, dropped at the end.
"""

from __future__ import annotations

import ast
import importlib
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections, models
from django.db.migrations.executor import MigrationExecutor

from errors.search.index import ensure_search_index
from errors.service_version import postgresql_statements

MIGRATIONS = Path(__file__).resolve().parent.parent / "errors" / "migrations"
ALIAS = "migrations_under_test"

SEARCH_TRIGGERS = {
    f"errors_search_{table}_{event}"
    for table in ("code", "example")
    for event in ("insert", "update", "delete")
}
# SQLite's triggers that keep the aliases' keys (0020); PostgreSQL's search function does.
SQLITE_ALIAS_TRIGGERS = {f"errors_search_alias_{event}" for event in ("insert", "update", "delete")}
CATALOG_TABLES = ("service", "category", "errorcode", "example", "guide")
# SQLite has row triggers, one per event; PostgreSQL one statement trigger per table.
SQLITE_CATALOG_TRIGGERS = {
    f"errors_{table}_catalog_version_{event}"
    for table in CATALOG_TABLES
    for event in ("insert", "update", "delete")
}
POSTGRESQL_CATALOG_TRIGGERS = {f"errors_{table}_catalog_version" for table in CATALOG_TABLES}
# A TRUNCATE empties the PostgreSQL index too (0007).
POSTGRESQL_TRUNCATE_TRIGGERS = {"errors_search_code_truncate", "errors_search_example_truncate"}
# A code's placing (published, service, status, order) copied to errors_search (0026).
POSTGRESQL_PLACED_TRIGGERS = {"errors_search_code_placed"}
# Each service's own version (0015): row triggers on SQLite, statement triggers with
# transition tables on PostgreSQL, one for each event.
SERVICE_TABLES = ("service", "errorcode", "example")
SQLITE_SERVICE_TRIGGERS = {
    f"errors_{table}_service_version_{event}"
    for table in SERVICE_TABLES
    for event in ("insert", "update", "delete")
}
POSTGRESQL_SERVICE_TRIGGERS = SQLITE_SERVICE_TRIGGERS | {
    f"errors_{table}_service_version_truncate" for table in SERVICE_TABLES
}
POSTGRESQL_FUNCTIONS = {
    *(f"errors_{table}_service_version" for table in SERVICE_TABLES),
    "errors_service_versions_truncated",
    "errors_search_refresh",
    "errors_search_codes_changed",
    "errors_search_code_updated",
    "errors_search_examples_changed",
    "errors_search_examples_moved",
    "errors_bump_catalog_version",
    "errors_search_codes_truncated",
    "errors_search_examples_truncated",
    "errors_search_spelt_like",  # 0025: misspellings read through the trigram index
    "errors_search_code_placed",  # 0026
}


@pytest.fixture
def fresh_database(django_db_setup, django_db_blocker, tmp_path):
    """A connection, under an alias of its own, to an empty database of the suite's engine.

    Not a django_db test: Django's test case would forbid an alias it was not set up with,
    and no transaction of the shared test database is needed."""
    with django_db_blocker.unblock():
        settings = {**connection.settings_dict}
        if connection.vendor == "sqlite":
            settings["NAME"] = str(tmp_path / "migrations.sqlite3")
        elif connection.vendor == "postgresql":
            settings["NAME"] = f"{settings['NAME']}_migrations_{uuid.uuid4().hex[:8]}"
            server = connections.create_connection("default")
            with server.cursor() as cursor:
                cursor.execute(f"CREATE DATABASE {server.ops.quote_name(settings['NAME'])}")
        else:
            pytest.skip("the migrations carry SQL for SQLite and PostgreSQL only")
        connections.settings[ALIAS] = settings
        try:
            yield connections[ALIAS]
        finally:
            connections[ALIAS].close()
            del connections[ALIAS]
            del connections.settings[ALIAS]
            if connection.vendor == "postgresql":
                try:
                    with server.cursor() as cursor:
                        cursor.execute(f"DROP DATABASE {server.ops.quote_name(settings['NAME'])}")
                finally:
                    server.close()


def migrate(db, targets=None):
    """Migrate db to targets, every app's latest migration by default: the executor alone,
    `migrate` without its post_migrate signal, whose handlers in the errors app would put
    back what a migration failed to create."""
    executor = MigrationExecutor(db)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def names(db, sql):
    with db.cursor() as cursor:
        cursor.execute(sql)
        return {name for (name,) in cursor.fetchall()}


def catalog_version(db):
    with db.cursor() as cursor:
        cursor.execute("SELECT version FROM errors_catalogstate WHERE id = 1")
        (version,) = cursor.fetchone()
        return version


def indexed(db, error_id, word):
    """Whether the search index has the code under `word` (its text, examples included)."""
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM errors_search_text "
                "WHERE errors_search_text MATCH %s AND rowid = %s",
                [word, error_id],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM errors_search "
                "WHERE document @@ plainto_tsquery('errors_search', %s) AND error_id = %s",
                [word, error_id],
            )
        (count,) = cursor.fetchone()
        return count == 1


def alias_keys(db):
    """The (key, code id) of every alias the aliases' keys table holds (0020)."""
    with db.cursor() as cursor:
        cursor.execute("SELECT key, error_id FROM errors_search_aliases")
        return set(cursor.fetchall())


def pending_size(db, table):
    """FTS5's `hashsize` for `table` (None: its default)."""
    with db.cursor() as cursor:
        cursor.execute(f"SELECT v FROM {table}_config WHERE k = 'hashsize'")
        row = cursor.fetchone()
        return row[0] if row else None


def service_versions(db):
    with db.cursor() as cursor:
        cursor.execute("SELECT service_id, version FROM errors_servicestate")
        return dict(cursor.fetchall())


def assert_installed(db):
    """The search index and the catalog version are there, and the triggers keep them."""
    if db.vendor == "sqlite":
        assert {
            "errors_search_text",
            "errors_search_keys",
            "errors_search_codes",
            "errors_search_aliases",
            "errors_search_aliases_key",
        } <= names(db, "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
        triggers = names(db, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert triggers == (
            SEARCH_TRIGGERS
            | SQLITE_ALIAS_TRIGGERS
            | SQLITE_CATALOG_TRIGGERS
            | SQLITE_SERVICE_TRIGGERS
        )
        for table in ("errors_search_text", "errors_search_keys"):  # 0017: one segment a write
            assert pending_size(db, table) == 16 * 1024 * 1024
    else:
        assert {
            "errors_search",
            "errors_search_codes",
            "errors_search_status",
            "errors_search_aliases",
            "errors_search_aliases_key",
        } <= names(db, "SELECT relname FROM pg_class")
        triggers = names(db, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        assert triggers == (
            SEARCH_TRIGGERS
            | POSTGRESQL_CATALOG_TRIGGERS
            | POSTGRESQL_TRUNCATE_TRIGGERS
            | POSTGRESQL_SERVICE_TRIGGERS
            | POSTGRESQL_PLACED_TRIGGERS
        )
        functions = names(db, "SELECT proname FROM pg_proc WHERE proname LIKE 'errors%'")
        assert functions == POSTGRESQL_FUNCTIONS

    with db.cursor() as cursor:
        cursor.execute("SELECT id, version, epoch FROM errors_catalogstate")
        ((state_id, version, epoch),) = cursor.fetchall()
    assert (state_id, version, len(epoch)) == (1, 0, 32)

    apps = MigrationExecutor(db).loader.project_state().apps  # the latest models
    Service = apps.get_model("errors", "Service")
    ErrorCode = apps.get_model("errors", "ErrorCode")
    Example = apps.get_model("errors", "Example")
    editors = apps.get_model("auth", "Group").objects.using(db.alias).get(name="Editors")
    assert editors.permissions.count() == 21  # 5 models by 4 actions, and view revisions
    service = Service.objects.using(db.alias).create(slug="shop", name="Shop")
    assert catalog_version(db) == 1
    # A service's version moves past its own and the catalog's on every write to it.
    versions = [service_versions(db)[service.pk]]
    error = ErrorCode.objects.using(db.alias).create(
        service=service, code="LIMIT_REACHED", code_key="limitreached", title="Quota exceeded"
    )
    assert catalog_version(db) == 2
    versions.append(service_versions(db)[service.pk])
    assert indexed(db, error.pk, "quota")
    example = Example.objects.using(db.alias).create(error=error, body='{"detail": "bandwidth"}')
    assert indexed(db, error.pk, "bandwidth")
    versions.append(service_versions(db)[service.pk])
    Example.objects.using(db.alias).filter(pk=example.pk).update(body='{"detail": "disk"}')
    versions.append(service_versions(db)[service.pk])  # an example's update and delete too
    Example.objects.using(db.alias).filter(pk=example.pk).delete()
    versions.append(service_versions(db)[service.pk])
    ErrorCode.objects.using(db.alias).filter(pk=error.pk).update(title="Storage full")
    assert indexed(db, error.pk, "storage") and not indexed(db, error.pk, "quota")
    versions.append(service_versions(db)[service.pk])
    assert alias_keys(db) == set()
    ErrorCode.objects.using(db.alias).filter(pk=error.pk).update(
        aliases=["Quota-Reached", "quota_reached", "OVER LIMIT", "_"]
    )
    assert alias_keys(db) == {("quotareached", error.pk), ("overlimit", error.pk)}
    ErrorCode.objects.using(db.alias).filter(pk=error.pk).update(aliases=["over_limit"])
    assert alias_keys(db) == {("overlimit", error.pk)}
    assert versions == sorted(set(versions)) and versions[0] >= 1
    version = catalog_version(db)
    service.delete()  # the code and its example with it
    assert catalog_version(db) > version
    assert not indexed(db, error.pk, "storage")
    assert alias_keys(db) == set()
    assert service_versions(db) == {}
    if db.vendor == "postgresql":
        service = Service.objects.using(db.alias).create(slug="shop", name="Shop")
        error = ErrorCode.objects.using(db.alias).create(
            service=service, code="GONE", code_key="gone", title="Truncated", aliases=["went"]
        )
        assert indexed(db, error.pk, "truncated")
        assert alias_keys(db) == {("went", error.pk)}
        before = service_versions(db)[service.pk]
        with db.cursor() as cursor:
            cursor.execute("TRUNCATE errors_example, errors_errorcode CASCADE")
            cursor.execute("SELECT count(*) FROM errors_search")
            assert cursor.fetchone() == (0,)
        assert alias_keys(db) == set()
        assert service_versions(db)[service.pk] > before


def assert_nothing_left(db):
    """No table, index, trigger, function or text search configuration of the app."""
    if db.vendor == "sqlite":
        left = names(db, "SELECT name FROM sqlite_master")
    else:
        left = set().union(
            names(db, "SELECT relname FROM pg_class"),
            names(db, "SELECT tgname FROM pg_trigger"),
            names(db, "SELECT proname FROM pg_proc"),
            names(db, "SELECT cfgname FROM pg_ts_config"),
            names(db, "SELECT dictname FROM pg_ts_dict"),
        )
    assert {name for name in left if name.startswith("errors_")} == set()
    assert names(db, "SELECT name FROM django_migrations WHERE app = 'errors'") == set()
    assert names(db, "SELECT name FROM auth_group") == set()


def test_migrations_go_forward_back_to_zero_and_forward_again(fresh_database):
    migrate(fresh_database)
    assert_installed(fresh_database)
    migrate(fresh_database, [("errors", None)])
    assert_nothing_left(fresh_database)
    migrate(fresh_database)
    assert_installed(fresh_database)


def test_the_migrate_command_goes_back_to_zero_and_forward(fresh_database):
    # The command, unlike the executor, sends post_migrate: the app's repair of its
    # triggers must find nothing to repair at zero, and everything again after.
    call_command("migrate", database=ALIAS, verbosity=0)
    call_command("migrate", "errors", "zero", database=ALIAS, verbosity=0)
    assert_nothing_left(fresh_database)
    call_command("migrate", database=ALIAS, verbosity=0)
    assert_installed(fresh_database)


@pytest.mark.django_db
def test_the_models_need_no_new_migration():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 if so
    assert "No changes detected" in out.getvalue()


def imported_modules(tree: ast.AST):
    """Every module an import statement or import_module("...") call names."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: within errors.migrations
                yield "errors.migrations" + "." * bool(node.module) + (node.module or "")
            elif node.module == "errors":
                yield from (f"errors.{alias.name}" for alias in node.names)
            else:
                yield node.module
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield node.args[0].value


def test_migrations_import_nothing_from_the_app_but_its_models():
    """What an old migration does must not change with today's modules."""
    files = sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))
    assert len(files) >= 6
    imports = {
        f"{path.name}: {module}"
        for path in files
        for module in imported_modules(ast.parse(path.read_text(), str(path)))
        if (module == "errors" or module.startswith("errors.")) and module != "errors.models"
    }
    assert imports == set()


def test_a_migration_that_rebuilds_the_codes_table_runs_on_sqlite(fresh_database):
    """To alter a column, Django rebuilds a SQLite table and renames the copy, and SQLite
    then checks every trigger: one on errors_example reading errors_errorcode would fail
    the rename. They are dropped before each `migrate` and made again after it."""
    from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal

    if fresh_database.vendor != "sqlite":
        pytest.skip("PostgreSQL alters columns in place")
    migrate(fresh_database)
    emit_pre_migrate_signal(verbosity=0, interactive=False, db=ALIAS)
    apps = MigrationExecutor(fresh_database).loader.project_state().apps
    ErrorCode = apps.get_model("errors", "ErrorCode")
    old = ErrorCode._meta.get_field("title")
    new = models.CharField(max_length=250)
    new.set_attributes_from_name("title")
    new.model = ErrorCode
    with fresh_database.schema_editor() as editor:
        editor.alter_field(ErrorCode, old, new)  # a table rebuild on SQLite
    emit_post_migrate_signal(verbosity=0, interactive=False, db=ALIAS)
    triggers = names(fresh_database, "SELECT name FROM sqlite_master WHERE type = 'trigger'")
    assert triggers == (
        SEARCH_TRIGGERS | SQLITE_ALIAS_TRIGGERS | SQLITE_CATALOG_TRIGGERS | SQLITE_SERVICE_TRIGGERS
    )
    Service = apps.get_model("errors", "Service")
    Example = apps.get_model("errors", "Example")
    service = Service.objects.using(ALIAS).create(slug="shop", name="Shop")
    error = ErrorCode.objects.using(ALIAS).create(service=service, code="GONE", code_key="gone")
    version = service_versions(fresh_database)[service.pk]
    Example.objects.using(ALIAS).create(error=error, body="{}")
    assert service_versions(fresh_database)[service.pk] > version


def test_search_keys_get_a_space_after_the_last_alias_and_lose_it_going_back(fresh_database):
    """0019 (PostgreSQL): one LIKE pattern finds every alias once each key is followed
    by a space; rows written before it get the space, and going back takes it away."""
    if fresh_database.vendor != "postgresql":
        pytest.skip("SQLite keeps its keys in a trigram full-text table")
    migrate(fresh_database, [("errors", "0018_example_version_plans")])
    apps = MigrationExecutor(fresh_database).loader.project_state().apps
    Service = apps.get_model("errors", "Service")
    ErrorCode = apps.get_model("errors", "ErrorCode")
    service = Service.objects.using(ALIAS).create(slug="shop", name="Shop")
    for code, aliases in (("PLAIN", []), ("RENAMED", ["old_name", "Older-Name"])):
        ErrorCode.objects.using(ALIAS).create(
            service=service, code=code, code_key=code.lower(), aliases=aliases
        )

    def keys():
        return names(fresh_database, "SELECT keys FROM errors_search")

    assert keys() == {"plain ", "renamed oldname oldername"}
    migrate(fresh_database)
    assert keys() == {"plain ", "renamed oldname oldername "}
    ErrorCode.objects.using(ALIAS).filter(code="PLAIN").update(aliases=["again"])
    assert keys() == {"plain again ", "renamed oldname oldername "}  # the function's own
    migrate(fresh_database, [("errors", "0018_example_version_plans")])
    assert keys() == {"plain again", "renamed oldname oldername"}


def test_aliases_written_before_their_table_are_in_it_and_going_back_drops_it(fresh_database):
    """0020: the aliases' keys of the codes there already are get written, as the
    triggers (SQLite) or the search function (PostgreSQL) write them from then on."""
    migrate(fresh_database, [("errors", "0019_search_keys_spaced")])
    apps = MigrationExecutor(fresh_database).loader.project_state().apps
    Service = apps.get_model("errors", "Service")
    ErrorCode = apps.get_model("errors", "ErrorCode")
    service = Service.objects.using(ALIAS).create(slug="shop", name="Shop")
    plain, renamed = (
        ErrorCode.objects.using(ALIAS).create(
            service=service, code=code, code_key=code.lower(), aliases=aliases
        )
        for code, aliases in (("PLAIN", []), ("RENAMED", ["old_name", "Old-Name", "Older"]))
    )
    migrate(fresh_database)
    assert alias_keys(fresh_database) == {("oldname", renamed.pk), ("older", renamed.pk)}
    ErrorCode.objects.using(ALIAS).filter(pk=plain.pk).update(aliases=["was_plain"])
    assert ("wasplain", plain.pk) in alias_keys(fresh_database)
    migrate(fresh_database, [("errors", "0019_search_keys_spaced")])
    tables = (
        "SELECT name FROM sqlite_master"
        if fresh_database.vendor == "sqlite"
        else ("SELECT relname FROM pg_class")
    )
    assert not {"errors_search_aliases", "errors_search_aliases_key"} & names(
        fresh_database, tables
    )
    ErrorCode.objects.using(ALIAS).filter(pk=plain.pk).update(aliases=["again"])  # no table
    # What `migrate` runs after it puts back no part of the index not migrated to.
    assert ensure_search_index(fresh_database) is False
    assert "errors_search_aliases" not in names(fresh_database, tables)


def test_the_frozen_alias_keys_are_the_live_ones():
    """0020 carries the SQL errors/search/sqlite_index.py makes of an alias's key, which
    ensure_search_index installs again after a table rebuild: the two must agree."""
    from errors.search.sqlite_index import _sqlite_alias_keys

    frozen = importlib.import_module("errors.migrations.0020_search_alias_keys")
    assert frozen.sqlite_alias_keys("NEW") == _sqlite_alias_keys("NEW")
    assert frozen.sqlite_alias_keys("e", every_code=True) == _sqlite_alias_keys(
        "e", every_code=True
    )


def test_the_frozen_example_version_function_is_the_live_one():
    """0018 carries the function errors/service_version.py makes; after every `migrate`
    the live one is installed again, so the two must not drift apart unnoticed."""
    frozen = importlib.import_module("errors.migrations.0018_example_version_plans")
    live = [
        statement
        for statement in postgresql_statements()
        if statement.startswith("CREATE OR REPLACE FUNCTION errors_example_service_version()")
    ]
    assert live == [frozen.PLANNED_EACH_RUN]


def test_revisions_of_drafts_are_marked_not_public_and_going_back_drops_the_column(
    fresh_database,
):
    """0024: the revisions there already are get `public` from their snapshot, as
    errors.catalog.history writes it from then on."""
    before = [("errors", "0023_partial_and_batch_indexes")]
    migrate(fresh_database, before)
    apps = MigrationExecutor(fresh_database).loader.project_state(before[0]).apps
    service = apps.get_model("errors", "Service").objects.using(ALIAS).create(slug="s", name="S")
    revisions = apps.get_model("errors", "ErrorCodeRevision").objects.using(ALIAS)
    for code, snapshot in (("DRAFT", {"published": False}), ("OPEN", {"published": True}),
                           ("UNSAID", {})):  # fmt: skip
        revisions.create(service=service, code=code, action="added", snapshot=snapshot)
    migrate(fresh_database)
    public = "SELECT code FROM errors_errorcoderevision WHERE public"
    assert names(fresh_database, public) == {"OPEN", "UNSAID"}
    migrate(fresh_database, before)
    columns = fresh_database.introspection.get_table_description(
        fresh_database.cursor(), "errors_errorcoderevision"
    )
    assert "public" not in {column.name for column in columns}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's index")
def test_the_search_index_gets_each_codes_placing_and_going_back_drops_it(fresh_database):
    """0026: the codes there already are get their placing in errors_search (a row of a
    code that is gone, which a TRUNCATE before 0007 left, is dropped), and going back
    restores 0020's refresh."""
    before = [("errors", "0025_spelt_like_function")]
    migrate(fresh_database, before)
    apps = MigrationExecutor(fresh_database).loader.project_state(before[0]).apps
    service = apps.get_model("errors", "Service").objects.using(ALIAS).create(slug="s", name="S")
    codes = apps.get_model("errors", "ErrorCode").objects.using(ALIAS)
    draft = codes.create(service=service, code="GONE", code_key="gone", published=False, order=3)
    with fresh_database.cursor() as cursor:
        cursor.execute(
            "INSERT INTO errors_search (error_id, keys, strong, document) "
            "VALUES (%s, 'orphan ', '', '')",
            [draft.pk + 1000],
        )
    migrate(fresh_database)
    placing = 'SELECT error_id, published, service_id, http_status, "order", code_key '
    with fresh_database.cursor() as cursor:
        cursor.execute(f"{placing} FROM errors_search")
        assert cursor.fetchall() == [(draft.pk, False, service.pk, None, 3, "gone")]
    migrate(fresh_database, before)
    columns = fresh_database.introspection.get_table_description(
        fresh_database.cursor(), "errors_search"
    )
    assert {column.name for column in columns} == {"error_id", "keys", "strong", "document"}
    codes.create(service=service, code="BACK", code_key="back")  # 0020's refresh writes it
    assert names(fresh_database, "SELECT keys FROM errors_search") == {"gone ", "back "}
