"""On PostgreSQL an import has the search documents of each service's codes made on a
helper thread while it works out the next service's rows (errors/search/deferred.py):
the index it leaves is the index the triggers make at once, nothing stays deferred after
it, and a refresh that fails fails the import."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import DatabaseError, connection, transaction

from errors.catalog import importer
from errors.catalog.files import CatalogFile
from errors.catalog.importer import import_catalogs
from errors.catalog.problems import CatalogInvalid
from errors.catalog.synthetic import synthetic_catalog, synthetic_file
from errors.models import ErrorCode, Example
from errors.search import deferred
from errors.search.deferred import DeferredRefresh

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="PostgreSQL's search triggers defer"
    ),
]


def stream(count: int = 3, codes: int = 30, seed: int = 1) -> list[partial[CatalogFile]]:
    return [partial(synthetic_file, index, codes, seed) for index in range(count)]


def stale_search_rows() -> int:
    """How many rows of the search index and its alias keys differ from what refreshing
    every code at once makes (rolled back after)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE kept AS SELECT * FROM errors_search")
        cursor.execute("CREATE TEMP TABLE kept_aliases AS SELECT * FROM errors_search_aliases")
        cursor.execute("SELECT errors_search_refresh(ARRAY(SELECT id FROM errors_errorcode))")
        cursor.execute(
            "SELECT count(*) FROM errors_search s FULL JOIN kept k USING (error_id) "
            "WHERE s.keys IS DISTINCT FROM k.keys OR s.strong IS DISTINCT FROM k.strong "
            "OR s.document IS DISTINCT FROM k.document"
        )
        (stale,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM ((SELECT * FROM errors_search_aliases EXCEPT "
            "SELECT * FROM kept_aliases) UNION ALL (SELECT * FROM kept_aliases EXCEPT "
            "SELECT * FROM errors_search_aliases)) x"
        )
        stale += cursor.fetchone()[0]
        cursor.execute(  # rows of codes that are gone, which a refresh of those left keeps
            "SELECT (SELECT count(*) FROM errors_search s WHERE NOT EXISTS ("
            "SELECT 1 FROM errors_errorcode e WHERE e.id = s.error_id)) + (SELECT count(*) "
            "FROM errors_search_aliases a WHERE NOT EXISTS ("
            "SELECT 1 FROM errors_errorcode e WHERE e.id = a.error_id))"
        )
        stale += cursor.fetchone()[0]
        transaction.set_rollback(True)
    return stale


def setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [deferred.SETTING])
        return cursor.fetchone()[0] or ""


def spy_on_threads(monkeypatch) -> list[bool]:
    """Each `start()` of a refresh: whether it started a thread."""
    started: list[bool] = []
    original = DeferredRefresh.start

    def start(self):
        before = self.thread
        original(self)
        started.append(self.thread is not None and self.thread is not before)

    monkeypatch.setattr(DeferredRefresh, "start", start)
    return started


def test_a_stream_indexes_every_code_as_the_triggers_do_at_once(monkeypatch):
    started = spy_on_threads(monkeypatch)
    import_catalogs(iter(stream()))
    # each service's documents were made beside the next one's work, the last at the end
    assert started == [False, True, True]
    assert ErrorCode.objects.filter(service__slug__startswith="svc-").count() == 90
    assert stale_search_rows() == 0
    assert setting() == ""


def test_a_reimport_that_changes_adds_and_removes_codes_leaves_the_index_right():
    import_catalogs(iter(stream()))
    changed = []
    for index in range(3):
        data = synthetic_catalog(index, 30)
        data["errors"] = data["errors"][5:]  # five codes removed
        for item in data["errors"][:4]:
            item["title"] = f"Zebra crossing {item['code']}"
            item["aliases"] = [*item.get("aliases", []), f"{item['code']}_ZEBRA"]
            item["examples"] = [
                {"title": "Zebra", "language": "json", "body": '{"zebra": 1}', "description": ""}
            ]
        added = synthetic_catalog(index, 40)["errors"][35]
        data["errors"].append({**added, "category": data["errors"][0]["category"]})
        changed.append(CatalogFile(name=f"svc-{index:03d}", data=data))
    import_catalogs(iter(changed))
    assert ErrorCode.objects.filter(service__slug__startswith="svc-").count() == 78
    assert Example.objects.filter(title="Zebra").count() == 12
    assert stale_search_rows() == 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM errors_search "
            "WHERE strong @@ to_tsquery('errors_search', 'zebra')"
        )
        assert cursor.fetchone()[0] == 12


def test_after_an_import_the_triggers_refresh_at_once_again_in_the_same_transaction():
    with transaction.atomic():
        import_catalogs(iter(stream(2, 5)))
        error = ErrorCode.objects.filter(service__slug="svc-001").first()
        error.title = "Quokka"
        error.save()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT error_id FROM errors_search "
                "WHERE strong @@ to_tsquery('errors_search', 'quokka')"
            )
            assert cursor.fetchall() == [(error.pk,)]
        assert setting() == ""
        assert stale_search_rows() == 0


def test_a_failed_stream_leaves_nothing_deferred():
    import_catalogs(iter(stream(1, 5)))
    broken = synthetic_catalog(2, 5)
    broken["errors"][0]["http_status"] = "not a status"
    files = [partial(synthetic_file, 1, 5), CatalogFile(name="svc-002", data=broken)]
    with transaction.atomic():
        with pytest.raises(CatalogInvalid):
            import_catalogs(iter(files))
        assert setting() == ""
        assert not ErrorCode.objects.filter(service__slug__in=["svc-001", "svc-002"]).exists()
        error = ErrorCode.objects.filter(service__slug="svc-000").first()
        error.title = "Wombat"
        error.save()
        assert stale_search_rows() == 0


def test_a_refresh_that_fails_on_the_helper_thread_fails_the_import(monkeypatch):
    monkeypatch.setattr(deferred, "REFRESH_PENDING", "SELECT errors_no_such_function()")
    started = spy_on_threads(monkeypatch)
    with pytest.raises(DatabaseError, match="errors_no_such_function"):
        import_catalogs(iter(stream(2, 5)))
    assert started == [False, True]
    assert not ErrorCode.objects.filter(service__slug__startswith="svc-").exists()
    assert setting() == ""


def test_one_file_starts_no_thread_and_is_indexed_when_the_block_closes(monkeypatch):
    started = spy_on_threads(monkeypatch)
    import_catalogs(iter(stream(1, 5)))
    assert started == [False]
    assert stale_search_rows() == 0


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_nothing_is_deferred():
    refresh = DeferredRefresh()
    with refresh:
        assert not refresh.active
        assert setting() == ""


def indexed(word: str) -> list[tuple[int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT error_id FROM errors_search WHERE strong @@ to_tsquery('errors_search', %s)",
            [word],
        )
        return cursor.fetchall()


def pending() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_temp.errors_search_pending")
        return cursor.fetchone()[0]


def test_the_helper_thread_refreshes_what_was_noted_before_it_started():
    import_catalogs(iter(stream(1, 5)))
    error = ErrorCode.objects.filter(service__slug="svc-000").first()
    with DeferredRefresh() as refresh:
        error.title = "Platypus"
        error.save()
        assert pending() == 1  # noted, not refreshed
        assert indexed("platypus") == []
        refresh.start()  # nothing said written: no thread
        assert refresh.thread is None
        refresh.wrote()
        refresh.start()
        assert refresh.thread is not None
        refresh.wait()
        assert pending() == 0
        assert indexed("platypus") == [(error.pk,)]


def test_a_failure_while_writing_rolls_back_the_notes_and_the_setting(monkeypatch):
    import_catalogs(iter(stream(1, 5)))
    original = importer._sync_guides

    def sync_guides(service, wanted, changes):
        if service.slug == "svc-002":
            raise RuntimeError("disk on fire")
        original(service, wanted, changes)

    monkeypatch.setattr(importer, "_sync_guides", sync_guides)
    with transaction.atomic():
        with pytest.raises(RuntimeError, match="disk on fire"):
            import_catalogs(iter(stream(3, 5)[1:]))
        assert setting() == ""
        assert not ErrorCode.objects.filter(service__slug__in=["svc-001", "svc-002"]).exists()
        error = ErrorCode.objects.filter(service__slug="svc-000").first()
        error.title = "Numbat"
        error.save()
        assert indexed("numbat") == [(error.pk,)]
        assert stale_search_rows() == 0


def test_a_dry_run_and_two_imports_in_one_transaction_leave_the_index_right():
    with transaction.atomic():
        import_catalogs(iter(stream(2, 5)), dry_run=True)
        assert not ErrorCode.objects.filter(service__slug__startswith="svc-").exists()
        import_catalogs(iter(stream(2, 5)))
        import_catalogs(iter(stream(3, 5)[1:]))
        assert ErrorCode.objects.filter(service__slug__startswith="svc-").count() == 15
        assert setting() == ""
        assert stale_search_rows() == 0


def test_a_block_inside_another_gives_the_outer_one_its_deferral_back():
    with DeferredRefresh():
        with DeferredRefresh():
            assert setting() == "deferred"
        assert setting() == "deferred"
    assert setting() == ""


def test_what_is_noted_is_refreshed_a_batch_a_statement(monkeypatch):
    monkeypatch.setattr(deferred, "REFRESH_BATCH", 7)
    statements = []
    original = deferred.refresh_pending

    def counted(cursor):
        execute = cursor.execute

        def spy(sql, *args):
            statements.append(sql)
            return execute(sql, *args)

        cursor.execute = spy
        original(cursor)

    monkeypatch.setattr(deferred, "refresh_pending", counted)
    import_catalogs(iter(stream(1, 20)))  # 20 codes and 20 examples noted
    refreshes = [sql for sql in statements if "errors_search_refresh" in sql]
    assert len(refreshes) == 6  # 7 + 7 + 7 + 7 + 7 + 5
    assert stale_search_rows() == 0


def test_a_block_left_by_an_exception_undoes_what_it_noted_and_its_setting():
    import_catalogs(iter(stream(1, 5)))
    first, second = ErrorCode.objects.filter(service__slug="svc-000")[:2]
    with transaction.atomic():
        with pytest.raises(RuntimeError), DeferredRefresh():
            first.title = "Echidna"
            first.save()
            raise RuntimeError("caught by the caller, who goes on")
        assert setting() == ""
        first.refresh_from_db()
        assert first.title != "Echidna"  # the block's writes went with its notes
        second.title = "Bilby"
        second.save()
        assert indexed("bilby") == [(second.pk,)]
        assert stale_search_rows() == 0
