"""Catalog files: validation, import (all or nothing, idempotent) and export."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from errors.catalog.export import export_catalog
from errors.catalog.files import parse_catalog
from errors.catalog.importer import import_catalog_files, import_catalog_text, import_catalogs
from errors.catalog.problems import CatalogInvalid
from errors.models import Category, ErrorCode, Example, Guide, Service
from tests.conftest import MINIMAL, catalog_text
from tests.factories import make_code

pytestmark = pytest.mark.django_db


def problems_of(text: str) -> list[str]:
    with pytest.raises(CatalogInvalid) as caught:
        import_catalog_text(text, "bad.yaml")
    return [str(problem) for problem in caught.value.problems]


def row_counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Service, Category, ErrorCode, Example, Guide))


def test_import_creates_every_row(minimal_catalog):
    changes = import_catalogs([minimal_catalog])[0]
    assert changes.created
    assert changes.added == ["NOT_FOUND", "OLD_NAME"]
    assert row_counts() == (1, 1, 2, 1, 1)


def test_import_links_replacement_created_in_same_file(minimal_catalog):
    import_catalogs([minimal_catalog])
    old = ErrorCode.objects.get(code="OLD_NAME")
    assert old.replaced_by.code == "NOT_FOUND"


def test_reimport_is_idempotent(minimal_catalog):
    import_catalogs([minimal_catalog])
    before = list(ErrorCode.objects.values_list("pk", "updated_at"))
    changes = import_catalogs([minimal_catalog])[0]
    assert not changes.has_changes
    assert changes.unchanged == 2
    assert list(ErrorCode.objects.values_list("pk", "updated_at")) == before


def test_reimport_reports_changed_fields():
    import_catalog_text(MINIMAL, "shop.yaml")
    changes = import_catalog_text(
        MINIMAL.replace("summary: The thing is not there", "summary: Gone"), "shop.yaml"
    )
    assert changes.changed == {"NOT_FOUND": {"summary": ("The thing is not there", "Gone")}}
    assert ErrorCode.objects.get(code="NOT_FOUND").summary == "Gone"


def test_reimport_renders_only_the_texts_that_changed(monkeypatch):
    import errors.models

    import_catalog_text(
        MINIMAL.replace("title: Not found", "title: Not found\n    description: Old `x`"),
        "shop.yaml",
    )
    rendered = []
    real = errors.models.render_markdown
    monkeypatch.setattr(
        errors.models, "render_markdown", lambda text: rendered.append(text) or real(text)
    )
    changed = MINIMAL.replace(
        "title: Not found", "title: Not found\n    description: Old `x`\n    resolution: Retry"
    )
    import_catalog_text(changed, "shop.yaml")
    assert rendered == ["Retry"]
    error = ErrorCode.objects.get(code="NOT_FOUND")
    assert (error.description_html, error.resolution_html) == (
        "<p>Old <code>x</code></p>",
        "<p>Retry</p>",
    )


def test_code_missing_from_file_is_removed():
    import_catalog_text(MINIMAL, "shop.yaml")
    without_old = MINIMAL.split("  - code: OLD_NAME")[0] + catalog_text(
        """
        guides:
          - {slug: retries, title: Retries, body: "Retry **later**."}
        """
    )
    changes = import_catalog_text(without_old, "shop.yaml")
    assert changes.removed == ["OLD_NAME"]
    assert list(ErrorCode.objects.values_list("code", flat=True)) == ["NOT_FOUND"]


def test_dry_run_writes_nothing(minimal_catalog):
    changes = import_catalogs([minimal_catalog], dry_run=True)[0]
    assert changes.added == ["NOT_FOUND", "OLD_NAME"]
    assert row_counts() == (0, 0, 0, 0, 0)


def test_markdown_is_rendered_on_import(minimal_catalog):
    import_catalogs([minimal_catalog])
    assert Guide.objects.get().body_html == "<p>Retry <strong>later</strong>.</p>"


def test_status_only_code_gets_reason_phrase_title():
    text = MINIMAL.replace(
        "  - code: OLD_NAME", "  - code: 410\n    http_status: 410\n  - code: OLD_NAME"
    )
    import_catalog_text(text, "shop.yaml")
    entry = ErrorCode.objects.get(code="410")
    assert entry.title == "Gone"


def test_export_import_export_is_byte_identical(demo):
    for service in Service.objects.all():
        for fmt in ("yaml", "json"):
            first = export_catalog(service, fmt)
            changes = import_catalog_text(first, f"{service.slug}.{fmt}")
            assert not changes.has_changes, service.slug
            assert export_catalog(service, fmt) == first


def test_export_keeps_file_order(minimal_catalog):
    import_catalogs([minimal_catalog])
    text = export_catalog(Service.objects.get())
    assert text.index("NOT_FOUND") < text.index("OLD_NAME")
    assert "published" not in text


def test_all_files_share_one_transaction(minimal_catalog):
    broken = parse_catalog(
        "service: {slug: other, name: Other}\nerrors: [{code: X, http_status: 700}]\n", "other.yaml"
    )
    with pytest.raises(CatalogInvalid):
        import_catalogs([minimal_catalog, broken])
    assert row_counts() == (0, 0, 0, 0, 0)


def test_files_from_a_generator_are_written_one_at_a_time(minimal_catalog):
    """A generator of files (a million codes in a hundred files) is not held at once: the
    first file is in the database before the second is made."""
    seen_by_second: list[list[str]] = []

    def files():
        yield minimal_catalog
        seen_by_second.append(list(Service.objects.values_list("slug", flat=True)))
        yield parse_catalog(MINIMAL.replace("slug: shop", "slug: bank"), "bank.yaml")

    changes = import_catalogs(files())
    assert seen_by_second == [["shop"]]
    assert [change.slug for change in changes] == ["shop", "bank"]
    assert ErrorCode.objects.filter(service__slug="bank").count() == 2


def test_a_bad_file_late_in_a_stream_undoes_the_earlier_ones_and_all_problems_are_told(
    minimal_catalog,
):
    bad = "service: {slug: other, name: Other}\nerrors: [{code: X, http_status: 700}]\n"
    files = iter([
        minimal_catalog,
        parse_catalog(bad, "other.yaml"),
        parse_catalog(bad.replace("other", "third"), "third.yaml"),
        parse_catalog(MINIMAL, "twin.yaml"),
    ])  # fmt: skip
    with pytest.raises(CatalogInvalid) as caught:
        import_catalogs(files)
    told = "\n".join(str(problem) for problem in caught.value.problems)
    assert "other.yaml" in told and "third.yaml" in told
    assert "also in shop.yaml" in told
    assert row_counts() == (0, 0, 0, 0, 0)


def test_import_catalog_files_reports_unreadable_files_with_the_rest(tmp_path):
    good = tmp_path / "shop.yaml"
    good.write_text(MINIMAL)
    broken = tmp_path / "broken.yaml"
    broken.write_text("service: [unclosed\n")
    with pytest.raises(CatalogInvalid) as caught:
        import_catalog_files([good, tmp_path / "missing.yaml", broken])
    told = "\n".join(str(problem) for problem in caught.value.problems)
    assert "missing.yaml" in told and "no such file" in told
    assert "broken.yaml" in told
    assert row_counts() == (0, 0, 0, 0, 0)


def test_failed_reimport_leaves_existing_rows_alone(minimal_catalog):
    import_catalogs([minimal_catalog])
    before = list(ErrorCode.objects.values_list("code", "summary"))
    problems_of(
        MINIMAL.replace("summary: The thing is not there", "summary: Gone").replace(
            "http_status: 404\n    category", "http_status: 700\n    category"
        )
    )
    assert list(ErrorCode.objects.values_list("code", "summary")) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("service: {slug: a, name: [unclosed\n", "the file is not valid YAML or JSON"),
        ("- just\n- a list\n", "must be a mapping with a 'service' key"),
        ("service: {slug: a}\n", "'name' is missing"),
        ("service: {slug: a, name: A}\ncolour: red\n", "unknown key 'colour'"),
        ("service: {slug: a, name: A, summray: x}\n", "did you mean 'summary'?"),
        ("service: {slug: Bad Slug, name: A}\n", "use lowercase letters, digits and hyphens"),
        ("service: {slug: a, name: A}\nerrors: [{http_status: 400}]\n", "'code' is missing"),
        (
            "service: {slug: a, name: A}\nerrors: [{code: X, http_status: 700}]\n",
            "700 is out of range: use a number from 100 to 599",
        ),
        (
            "service: {slug: a, name: A}\nerrors: [{code: X, http_status: '400'}]\n",
            "must be an integer or null",
        ),
        (
            "service: {slug: a, name: A}\nerrors: [{code: X, retry: sometimes}]\n",
            "'sometimes' is not allowed: use one of not_stated, never, safe, backoff, retry_after",
        ),
        (
            "service: {slug: a, name: A}\nerrors: [{code: X, lifecycle: gone}]\n",
            "use one of active, deprecated, removed",
        ),
        (
            "service: {slug: a, name: A}\nerrors: [{code: X}, {code: x}]\n",
            "the code 'x' is already used as a code by errors[0]",
        ),
        (
            "service: {slug: a, name: A}\nerrors: [{code: X}, {code: Y, aliases: [x]}]\n",
            "the alias 'x' is already used as a code",
        ),
        (
            "service: {slug: a, name: A}\ncategories: [{slug: auth, name: Auth}]\n"
            "errors: [{code: X, category: auht}]\n",
            "unknown category 'auht'",
        ),
        (
            "service: {slug: a, name: A}\nerrors: [{code: X, replaced_by: NOPE}]\n",
            "'NOPE' is not a code of this service",
        ),
        (
            "service: {slug: a, name: A}\nerrors: [{code: X, replaced_by: X}]\n",
            "a code cannot replace itself",
        ),
        (
            "service: {slug: a, name: A, code_pattern: '^[A-Z]+$'}\nerrors: [{code: lower}]\n",
            "does not match the service's code_pattern",
        ),
        ("service: {slug: a, name: A, code_pattern: '(['}\n", "not a valid regular expression"),
        (
            "service: {slug: a, name: A, envelope: {code_pointer: error.code}}\n",
            "RFC 6901 JSON pointer",
        ),
        (
            "service: {slug: a, name: A}\nerrors: [{code: X, examples: [{body: '{oops'}]}]\n",
            "the JSON example does not parse",
        ),
        (
            "service: {slug: a, name: A}\nerrors: [{code: X, examples: [{title: t}]}]\n",
            "'body' is missing",
        ),
        (
            "service: {slug: a, name: A}\ncategories: [{slug: c, name: C}, {slug: c, name: D}]\n",
            "the slug 'c' is already used by categories[0]",
        ),
    ],
)
def test_bad_file_is_refused_with_a_clear_message(text, expected):
    problems = problems_of(text)
    assert any(expected in problem for problem in problems), problems
    assert row_counts() == (0, 0, 0, 0, 0)


def test_problem_names_file_line_and_entry():
    text = catalog_text(
        """
        service: {slug: a, name: A}
        errors:
          - code: FIRST
          - code: SECOND
            http_status: 999
        """
    )
    assert problems_of(text) == [
        "bad.yaml:5: errors[1] (SECOND) > http_status: 999 is out of range: "
        "use a number from 100 to 599."
    ]


def test_every_mistake_is_reported_at_once():
    text = catalog_text(
        """
        service: {slug: a, name: A}
        errors:
          - {code: A, http_status: 700}
          - {code: a, category: nope}
          - {http_status: 400}
        """
    )
    assert len(problems_of(text)) == 4


def test_example_disagreeing_with_its_entry_is_refused():
    text = MINIMAL.replace(
        '"code": "NOT_FOUND"}, "status": 404', '"code": "RATE_LIMITED"}, "status": 404'
    )
    assert any("the example's code is 'RATE_LIMITED'" in p for p in problems_of(text))


def test_example_status_disagreeing_with_its_entry_is_refused():
    text = MINIMAL.replace('"status": 404}', '"status": 429}')
    assert any("the example's status is 429" in p for p in problems_of(text))


def test_http_example_status_line_must_agree():
    text = catalog_text(
        """
        service: {slug: a, name: A}
        errors:
          - code: "404"
            http_status: 404
            examples:
              - language: http
                body: "HTTP/1.1 500 Internal Server Error\\n\\n{}"
        """
    )
    assert any("answers HTTP 500" in p for p in problems_of(text))


def test_unquoted_numeric_code_and_date_are_read_as_text():
    text = (
        "service: {slug: a, name: A}\n"
        "errors: [{code: 404, http_status: 404, lifecycle_since: 2025-01-31}]\n"
    )
    import_catalog_text(text, "a.yaml")
    entry = ErrorCode.objects.get()
    assert (entry.code, entry.lifecycle_since) == ("404", "2025-01-31")


def test_same_service_in_two_files_is_refused(minimal_catalog):
    twin = parse_catalog(MINIMAL, "twin.yaml")
    with pytest.raises(CatalogInvalid, match=r"also in shop\.yaml"):
        import_catalogs([minimal_catalog, twin])


def test_api_upload_must_match_its_service():
    with pytest.raises(CatalogInvalid, match="not of 'other'"):
        import_catalog_text(MINIMAL, "upload", expected_slug="other")


def test_json_catalog_is_accepted():
    text = '{"service": {"slug": "j", "name": "J"}, "errors": [{"code": "E", "http_status": 500}]}'
    import_catalog_text(text, "j.json")
    assert ErrorCode.objects.get().http_status == 500


@pytest.mark.parametrize(
    ("threshold", "dry_run", "refreshed"), [(1, False, 1), (1, True, 0), (100, False, 0)]
)
def test_a_large_import_refreshes_the_statistics_after_commit(
    monkeypatch, django_capture_on_commit_callbacks, threshold, dry_run, refreshed
):
    from errors.catalog import importer

    calls = []
    monkeypatch.setattr(importer, "ANALYZE_AFTER_CODES", threshold)
    monkeypatch.setattr(importer, "refresh_statistics", lambda: calls.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        import_catalog_text(MINIMAL, "shop.yaml", dry_run=dry_run)
    assert len(calls) == refreshed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's ANALYZE")
def test_refresh_statistics_runs_on_the_database(shop):
    """ANALYZE gives the planner the row count of every catalog table, errors_search too."""
    from errors.catalog.importer import CATALOG_TABLES, refresh_statistics

    for number in range(7):
        make_code(shop, f"CODE_{number}")
    refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(%s)",
            [list(CATALOG_TABLES)],
        )
        estimates = dict(cursor.fetchall())
        counts = {}
        for table in CATALOG_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    assert counts["errors_errorcode"] == 7
    assert estimates == counts


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's VACUUM")
@pytest.mark.django_db(transaction=True)
def test_refresh_statistics_vacuums_outside_a_transaction():
    """Out of any transaction (after an import's commit) the catalog tables are
    vacuumed, so index-only scans need not read the table."""
    from errors.catalog.importer import CATALOG_TABLES, refresh_statistics

    shop = Service.objects.create(slug="shop", name="Shop")
    for number in range(7):
        make_code(shop, f"CODE_{number}")
    refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables "
            "WHERE relname = ANY(%s) AND vacuum_count > 0 AND analyze_count > 0",
            [list(CATALOG_TABLES)],
        )
        assert {name for (name,) in cursor.fetchall()} == set(CATALOG_TABLES)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's PRAGMA optimize")
def test_refresh_statistics_analyzes_the_queried_tables_on_sqlite(shop):
    """PRAGMA optimize analyzes the tables that queries used and that lack statistics."""
    from errors.catalog.importer import refresh_statistics

    for number in range(7):
        make_code(shop, f"CODE_{number}")
    assert ErrorCode.objects.filter(service=shop, code="CODE_1").exists()
    refresh_statistics()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE tbl = 'errors_errorcode'"
        )
        assert cursor.fetchall() == [(7,)]  # each index's entry starts with the row count


def catalog_with_categories(slug: str, count: int) -> str:
    categories = "\n".join(f"  - {{slug: c{n}, name: Category {n}}}" for n in range(count))
    codes = "\n".join(
        f"  - {{code: E{n}, http_status: 400, category: c{n}, title: Error {n}}}"
        for n in range(count)
    )
    return (
        f"service:\n  slug: {slug}\n  name: {slug}\n  envelope: {{code_pointer: /code}}\n"
        f"categories:\n{categories}\nerrors:\n{codes}\n"
    )


def test_a_new_services_categories_are_written_in_one_statement():
    """The queries of importing a new service do not grow with its categories, and each
    code points at its own."""
    counts = []
    for slug, count in (("few", 2), ("many", 12)):
        with CaptureQueriesContext(connection) as queries:
            import_catalog_text(catalog_with_categories(slug, count), f"{slug}.yaml")
        counts.append(len(queries))
        codes = ErrorCode.objects.filter(service__slug=slug).select_related("category")
        assert {(error.code, error.category.slug) for error in codes} == {
            (f"E{n}", f"c{n}") for n in range(count)
        }
    assert counts[0] == counts[1]


def test_a_reimport_adds_renames_and_removes_categories_together():
    import_catalog_text(catalog_with_categories("mixed", 3), "mixed.yaml")
    kept = Category.objects.get(service__slug="mixed", slug="c0").pk
    text = catalog_with_categories("mixed", 3)
    text = text.replace("{slug: c0, name: Category 0}", "{slug: c0, name: Renamed}")
    text = text.replace("{slug: c2, name: Category 2}", "{slug: c9, name: New}")
    text = text.replace("category: c2,", "category: c9,")
    changes = import_catalog_text(text, "mixed.yaml")
    assert changes.categories_changed
    rows = Category.objects.filter(service__slug="mixed").order_by("order")
    assert [(row.slug, row.name, row.order) for row in rows] == [
        ("c0", "Renamed", 0),
        ("c1", "Category 1", 1),
        ("c9", "New", 2),
    ]
    assert rows[0].pk == kept  # changed in place, not made again
    codes = ErrorCode.objects.filter(service__slug="mixed").select_related("category")
    assert {error.code: error.category.slug for error in codes} == {
        "E0": "c0",
        "E1": "c1",
        "E2": "c9",
    }


@pytest.mark.parametrize(
    "text",
    ["Deploy 🚀 then retry.\nSecond line.\n", "Line\u0085break\nand more\n", "Café, 中文\nok\n"],
    ids=["emoji", "next line", "accents"],
)
def test_yaml_is_written_as_pythons_emitter_writes_it_whatever_it_holds(text):
    """libyaml's emitter, used for speed, writes emoji and U+0085 as escapes in quotes:
    such a text comes out as PyYAML's own emitter writes it, Markdown as a block."""
    import yaml

    from errors.catalog.export import _CatalogDumper, dump_catalog
    from errors.openapi.publish import dump_spec

    data = {"service": {"slug": "s", "name": "S"}, "errors": [{"code": "X", "description": text}]}
    options = {"sort_keys": False, "allow_unicode": True, "width": 10_000}
    assert dump_catalog(data) == yaml.dump(
        data, Dumper=_CatalogDumper, default_flow_style=False, indent=2, **options
    )
    assert dump_spec(data) == yaml.safe_dump(data, **options)
    assert "description: |" in dump_catalog(data)
