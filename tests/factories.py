"""Plain functions that build what tests start from: catalog texts, services, codes, users.

Each returns saved rows (except the texts); keyword arguments override any field. The
shared fixtures in tests/conftest.py are built from these.
"""

from __future__ import annotations

import copy
import textwrap
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import Model

from errors.catalog.importer import import_catalog_text, load_demo_catalogs
from errors.models import Category, ErrorCode, ErrorCodeRevision, Example, Guide, Service

PASSWORD = "pw-for-tests-only"


# --------------------------------------------------------------------------- catalog texts


def catalog_text(body: str) -> str:
    """Dedent an inline YAML catalog written in a test."""
    return textwrap.dedent(body).lstrip()


MINIMAL = catalog_text(
    """
    service:
      slug: shop
      name: Shop
      envelope:
        code_pointer: /error/code
        status_pointer: /status
    categories:
      - {slug: auth, name: Authentication errors}
    errors:
      - code: NOT_FOUND
        http_status: 404
        category: auth
        title: Not found
        summary: The thing is not there
        examples:
          - body: '{"error": {"code": "NOT_FOUND"}, "status": 404}'
      - code: OLD_NAME
        http_status: 404
        lifecycle: deprecated
        replaced_by: NOT_FOUND
    guides:
      - {slug: retries, title: Retries, body: "Retry **later**."}
    """
)

# MINIMAL without its deprecated OLD_NAME code and without guides: a re-import removes both.
MINIMAL_WITHOUT_OLD_NAME = MINIMAL.split("  - code: OLD_NAME")[0] + "guides: []\n"


def import_minimal(text: str = MINIMAL) -> ErrorCode:
    """Import `text` (MINIMAL unless told) as shop.yaml; return the shop's NOT_FOUND."""
    import_catalog_text(text, "shop.yaml")
    return ErrorCode.objects.get(service__slug="shop", code="NOT_FOUND")


# --------------------------------------------------------------------------- catalog rows


def make_service(slug: str = "shop", name: str = "Shop", **fields) -> Service:
    """A service whose codes sit at /error/code in its error bodies."""
    fields.setdefault("code_pointer", "/error/code")
    return Service.objects.create(slug=slug, name=name, **fields)


def make_code(service: Service, code: str, **fields) -> ErrorCode:
    """A published code of `service`, titled after the code unless told."""
    fields.setdefault("title", code.replace("_", " ").capitalize())
    fields.setdefault("published", True)
    return ErrorCode.objects.create(service=service, code=code, **fields)


# --------------------------------------------------------------------------- users


def make_user(username: str, *, editor: bool = False, staff: bool = True) -> User:
    """A staff user (unless `staff=False`), in the Editors group when `editor`."""
    user = User.objects.create_user(username, password=PASSWORD, is_staff=staff)
    if editor:
        user.groups.add(editors_group())
    return user


def editors_group() -> Group:
    """The Editors group that migration errors/0003_editors_group makes.

    A transactional test (live server, browser) ends by emptying every table: Django
    recreates content types and permissions then, but not the rows of data migrations.
    After one, the group is made again by that migration's own function, so tests of
    editors pass in any order.
    """
    group = Group.objects.filter(name="Editors").first()
    if group is None:
        loader = MigrationLoader(connection)
        key = ("errors", "0003_editors_group")
        (operation,) = loader.graph.nodes[key].operations
        # The migration reads only the connection of its schema editor.
        operation.code(loader.project_state(key).apps, SimpleNamespace(connection=connection))
        group = Group.objects.get(name="Editors")
    return group


def make_editor(username: str = "editor") -> User:
    """A staff user in the Editors group, who may change the catalog in the admin."""
    return make_user(username, editor=True)


# --------------------------------------------------------------------------- demo catalogs


@dataclass
class DemoRows:
    """What importing the demo catalogs wrote to each model's table, and its report."""

    rows: list[tuple[type[Model], list[dict[str, Any]]]]
    report: list[Any]


# Parents before children; the search index, the catalog and service versions follow by
# the database's triggers, as after any write.
DEMO_MODELS: tuple[type[Model], ...] = (
    Service,
    Category,
    ErrorCode,
    Example,
    Guide,
    ErrorCodeRevision,
)


def capture_demo() -> DemoRows:
    """Import the demo catalogs in a transaction that is rolled back, and keep what the
    import wrote to each table, and its report."""
    with transaction.atomic():
        report = load_demo_catalogs()
        rows = DemoRows([(m, list(m._default_manager.values())) for m in DEMO_MODELS], report)
        transaction.set_rollback(True)
    return rows


def load_demo(rows: DemoRows) -> list[Any]:
    """The six demo catalogs imported, as load_demo_catalogs() does and with its report.

    About 300 tests start from them, and importing them costs 0.2 s (parsing, validating,
    rendering Markdown and highlighting code). A test that starts from an empty catalog
    gets `rows` (capture_demo(), once per process) written back in one bulk insert a
    table, ids included; test_factories.py pins that the result is an import's.
    """
    if any(model._default_manager.exists() for model in DEMO_MODELS):
        return load_demo_catalogs()  # the test wrote rows of its own first: import
    for model, values in rows.rows:
        model._default_manager.bulk_create(model(**row) for row in values)
    # PostgreSQL's sequences do not move for rows inserted with their ids.
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(DEMO_MODELS)):
            cursor.execute(statement)
    return copy.deepcopy(rows.report)
