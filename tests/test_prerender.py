"""A large import reads, checks and renders its later files in a worker process while it
writes the earlier ones (errors/catalog/prerender.py): the rows it writes are the rows an
import rendering everything itself writes, and whatever the worker cannot do is done in
the importing process."""

from __future__ import annotations

import gc
import json
import multiprocessing
import weakref
from functools import partial
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, models

from errors import render_cache
from errors.catalog import importer, prerender
from errors.catalog.bulk_writes import (
    IMPORT_PAGE_CACHE_KIB,
    RowValues,
    _keeps_ints,
    _keeps_strings,
    import_page_cache,
)
from errors.catalog.files import CatalogFile
from errors.catalog.importer import (
    FULL_COLLECTIONS_AFTER,
    _rare_full_collections,
    import_catalog_files,
    import_catalogs,
)
from errors.catalog.problems import CatalogInvalid
from errors.catalog.synthetic import synthetic_catalog, synthetic_file
from errors.markdown import render_markdown
from errors.message_values import stored_forms
from errors.models import ErrorCode, ErrorCodeRevision, Example

pytestmark = pytest.mark.django_db(transaction=True)

ROW_FIELDS = (
    "code", "code_key", "http_status", "title", "summary", "description", "description_html",
    "resolution", "resolution_html", "retry", "aliases", "messages", "tags", "operations",
    "message_forms", "published", "order",
)  # fmt: skip
EXAMPLE_FIELDS = ("title", "language", "body", "body_html", "description_html", "shape", "order")


def rows() -> list[tuple]:
    codes = [
        (error.service.slug, *(getattr(error, name) for name in ROW_FIELDS))
        for error in ErrorCode.objects.select_related("service").order_by("service__slug", "order")
    ]
    examples = [
        (
            example.error.service.slug,
            example.error.code,
            *(getattr(example, name) for name in EXAMPLE_FIELDS),
        )
        for example in Example.objects.select_related("error__service").order_by(
            "error__service__slug", "error__order", "order"
        )
    ]
    return codes + examples


def files(count: int = 3, codes: int = 40) -> list[partial[CatalogFile]]:
    return [partial(synthetic_file, index, codes) for index in range(count)]


def test_a_large_stream_rendered_beside_the_import_writes_the_same_rows(monkeypatch):
    monkeypatch.setattr(prerender, "PARALLEL_AFTER_CODES", 10**9)  # all in this process
    import_catalogs(iter(files()), parallel=True)
    alone = rows()
    ErrorCode.objects.all().delete()

    monkeypatch.setattr(prerender, "PARALLEL_AFTER_CODES", 0)  # every file in the worker
    started = []
    original = prerender.Prerendering._submit

    def submit(self, source):
        future = original(self, source)
        started.append(future is not None)
        return future

    monkeypatch.setattr(prerender.Prerendering, "_submit", submit)
    import_catalogs(iter(files()), parallel=True)
    assert started == [True, True, True]
    assert rows() == alone
    assert ErrorCode.objects.count() == 120


def test_a_small_stream_starts_no_worker():
    stream = prerender.Prerendering(files(2, 5), parallel=True)
    with stream:
        assert [catalog.name for catalog in stream] == ["svc-000", "svc-001"]
        assert stream.pool is None


def test_files_that_cannot_be_read_are_told_and_nothing_is_written(monkeypatch, tmp_path):
    monkeypatch.setattr(prerender, "PARALLEL_AFTER_CODES", 0)
    good = tmp_path / "good.json"
    good.write_text(_as_json(synthetic_catalog(0, 5)), encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("service: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogInvalid) as caught:
        import_catalog_files([good, tmp_path / "missing.yaml", broken], parallel=True)
    told = "\n".join(str(problem) for problem in caught.value.problems)
    assert "no such file" in told and "not valid YAML" in told
    assert not ErrorCode.objects.exists()


def failing_in_a_worker(index: int) -> CatalogFile:
    """Makes a file in the importing process; fails in a worker process."""
    if multiprocessing.parent_process() is not None:
        raise RuntimeError("this worker cannot make files")
    return synthetic_file(index, 10)


def test_what_the_worker_fails_at_is_done_in_the_importing_process(monkeypatch, caplog):
    monkeypatch.setattr(prerender, "PARALLEL_AFTER_CODES", 0)
    import_catalogs(
        iter([partial(failing_in_a_worker, 0), partial(failing_in_a_worker, 1)]), parallel=True
    )
    assert ErrorCode.objects.count() == 20
    assert "beside the import failed" in caplog.text


def test_a_render_table_answers_what_it_holds_and_nothing_else():
    table = dict(
        [
            render_cache.entry(render_markdown, "**held**"),
            render_cache.entry(stored_forms, ["Quota of 5 exceeded"]),
        ]
    )
    table[("render_markdown", ("planted",))] = "from the table"
    with render_cache.use(table):
        assert render_markdown("planted") == "from the table"
        assert render_markdown("**held**") == "<p><strong>held</strong></p>"
        assert render_markdown("*not held*") == "<p><em>not held</em></p>"
        assert stored_forms(["Quota of 5 exceeded"])["of"] == ["Quota of 5 exceeded"]
        assert stored_forms([{"not": "hashable"}])["of"] == [{"not": "hashable"}]
    assert render_markdown("planted") == "<p>planted</p>"  # the table is gone


def test_row_values_are_what_djangos_fields_prepare(demo):
    for model in (ErrorCode, Example, ErrorCodeRevision):
        fields = list(model._meta.local_concrete_fields)
        objs = list(model.objects.all()[:50])
        assert objs
        values = RowValues(fields, connection)
        by_name = RowValues(fields, connection, mappings=True)
        for obj in objs:
            expected = [
                field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields
            ]
            mapping = {field.attname: getattr(obj, field.attname) for field in fields}
            for got in (values(obj), by_name(mapping)):
                for field, want, have in zip(fields, expected, got, strict=True):
                    if getattr(field, "auto_now", 0) or getattr(field, "auto_now_add", 0):
                        continue
                    if isinstance(field, models.JSONField):
                        # JSON text (orjson's): the same value as Django's text holds
                        have = json.loads(have) if isinstance(have, str) else plain(have)
                        want = json.loads(want) if isinstance(want, str) else plain(want)
                    assert plain(have) == plain(want), (model.__name__, field.name)


def plain(value: object) -> object:
    """A prepared value as compared: psycopg's JSON wrapper (PostgreSQL) by its content."""
    return getattr(value, "obj", value)


def test_a_text_field_that_prepares_its_own_way_is_prepared_by_django():
    class Upper(models.CharField):
        def get_prep_value(self, value):
            return str(value).upper()

    assert _keeps_strings(models.CharField(max_length=5))
    assert _keeps_strings(models.SlugField())
    assert not _keeps_strings(Upper(max_length=5))
    assert not _keeps_strings(models.IntegerField())


def test_the_page_cache_is_given_back():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        with import_page_cache():
            cursor.execute("PRAGMA cache_size")
            # At least the import's cache; more if the connection had more already
            # (DATABASE_SQLITE_CACHE_MB).
            assert cursor.fetchone()[0] == min(-IMPORT_PAGE_CACHE_KIB, before)
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == before
        cursor.execute("PRAGMA cache_size = 100000")  # pages: 400 MB, more than an import's
        with import_page_cache():
            cursor.execute("PRAGMA cache_size")
            assert cursor.fetchone()[0] == -400000
        cursor.execute(f"PRAGMA cache_size = {before}")


def _as_json(data: dict) -> str:
    return json.dumps(data)


def test_paths_are_read_in_the_worker(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(prerender, "PARALLEL_AFTER_CODES", 0)
    paths = []
    for index in range(2):
        path = tmp_path / f"svc-{index}.json"
        path.write_text(_as_json(synthetic_catalog(index, 5)), encoding="utf-8")
        paths.append(path)
    changes = import_catalog_files(paths, parallel=True)
    assert [change.slug for change in changes] == ["svc-000", "svc-001"]
    assert ErrorCode.objects.count() == 10


def test_a_streamed_import_puts_off_full_collections_and_gives_the_thresholds_back():
    before = gc.get_threshold()
    with _rare_full_collections(True):
        assert gc.isenabled()
        assert gc.get_threshold() == (*before[:2], FULL_COLLECTIONS_AFTER)
        cycle: list[object] = []
        cycle.append(cycle)
        watcher = weakref.ref(Cyclic(cycle))
        gc.collect(1)  # young garbage is still collected
        assert watcher() is None
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), _rare_full_collections(True):
        raise RuntimeError("an import that fails")
    assert gc.get_threshold() == before


def test_an_import_of_listed_files_leaves_the_collector_alone():
    before = gc.get_threshold()
    with _rare_full_collections(False):
        assert gc.get_threshold() == before


def test_only_a_caller_that_asks_gets_a_worker(monkeypatch):
    """A web request or a script of someone's own imports in its own process."""
    monkeypatch.setattr(prerender, "PARALLEL_AFTER_CODES", 0)
    stream = prerender.Prerendering(files(2, 5), parallel=False)
    with stream:
        assert len(list(stream)) == 2
        assert stream.pool is None


def test_a_worker_that_cannot_start_leaves_the_import_to_this_process(monkeypatch, caplog):
    monkeypatch.setattr(prerender, "PARALLEL_AFTER_CODES", 0)

    def no_processes(*args, **kwargs):
        raise OSError("no more processes")

    monkeypatch.setattr(prerender, "ProcessPoolExecutor", no_processes)
    import_catalogs(iter(files(2, 5)), parallel=True)
    assert ErrorCode.objects.count() == 10
    assert "working in this process" in caplog.text


def test_a_failing_import_says_what_failed_and_gives_the_page_cache_back(monkeypatch, shop):
    """The import's own error comes out (not Django's complaint about the broken
    transaction), and the connection's page cache is its own again."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's page cache")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]

    def clash(*args, **kwargs):
        ErrorCode.objects.create(service=shop, code="TWICE", title="Twice")
        ErrorCode.objects.create(service=shop, code="twice", title="Again")

    monkeypatch.setattr(importer, "_link_replacements", clash)
    with pytest.raises(IntegrityError):
        import_catalogs(iter(files(1, 5)))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == before


class Cyclic:
    def __init__(self, payload: object) -> None:
        self.me = self
        self.payload = payload


def test_only_integer_fields_that_prepare_as_django_does_keep_their_ints():
    class Doubled(models.IntegerField):
        def get_prep_value(self, value):
            return int(value) * 2

    assert _keeps_ints(models.IntegerField())
    assert _keeps_ints(models.PositiveIntegerField())
    assert _keeps_ints(models.BigAutoField(primary_key=True))
    assert _keeps_ints(ErrorCode._meta.get_field("service"))  # a foreign key to an id
    assert not _keeps_ints(Doubled())
    assert not _keeps_ints(models.CharField(max_length=5))
    assert not _keeps_ints(models.FloatField())
