"""The history of error codes: imports, edits, deletions, revert and restore."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from errors.catalog import history
from errors.catalog.importer import import_catalog_text
from errors.models import ErrorCode, ErrorCodeRevision
from tests.conftest import MINIMAL
from tests.factories import MINIMAL_WITHOUT_OLD_NAME

Action = ErrorCodeRevision.Action


def test_import_records_one_added_revision_per_code(demo):
    assert (
        ErrorCodeRevision.objects.filter(action=Action.ADDED).count() == ErrorCode.objects.count()
    )
    revision = ErrorCodeRevision.objects.filter(code="RATE_LIMITED").first()
    assert revision.source == ErrorCodeRevision.Source.IMPORT
    assert revision.snapshot["title"] == revision.error.title


def test_import_records_changed_fields_and_the_importer(not_found):
    editor = User.objects.create_user("ed")
    import_catalog_text(
        MINIMAL.replace("title: Not found", "title: Gone"), "shop.yaml", acting_user=editor
    )
    revision = ErrorCodeRevision.objects.get(action=Action.CHANGED)
    assert revision.code == "NOT_FOUND"
    assert revision.changes == {"title": ["Not found", "Gone"]}
    assert revision.user == editor


def test_import_records_removed_codes_with_their_last_state(not_found):
    import_catalog_text(MINIMAL_WITHOUT_OLD_NAME, "shop.yaml")
    revision = ErrorCodeRevision.objects.get(action=Action.DELETED)
    assert revision.code == "OLD_NAME"
    assert revision.error is None
    assert revision.snapshot["lifecycle"] == "deprecated"


def test_unchanged_import_records_nothing(not_found):
    before = ErrorCodeRevision.objects.count()
    import_catalog_text(MINIMAL, "shop.yaml")
    assert ErrorCodeRevision.objects.count() == before


def test_record_change_skips_a_save_that_changed_nothing(not_found):
    assert history.record_change(not_found, history.snapshot_of(not_found)) is None


def test_revert_brings_back_the_fields_and_examples(not_found):
    first = ErrorCodeRevision.objects.get(code="NOT_FOUND")
    before = history.snapshot_of(not_found)
    not_found.title = "Changed"
    not_found.save()
    not_found.examples.all().delete()
    history.record_change(not_found, before)
    history.do_revert(first)
    not_found.refresh_from_db()
    assert not_found.title == "Not found"
    assert not_found.examples.count() == 1
    latest = history.history_of(not_found).first()
    assert latest.source == ErrorCodeRevision.Source.REVERT
    assert latest.changes["title"] == ["Changed", "Not found"]


def test_deleted_code_is_listed_and_restored(not_found):
    history.record_deletions([not_found])
    not_found.delete()
    deleted = history.deleted_codes()
    assert [revision.code for revision in deleted] == ["NOT_FOUND"]
    restored = history.do_revert(deleted[0])
    assert restored.title == "Not found"
    assert restored.category.slug == "auth"
    assert restored.examples.count() == 1
    assert history.deleted_codes() == []
    assert history.history_of(restored).first().action == Action.ADDED


def test_restore_is_refused_when_the_code_exists_again(not_found):
    history.record_deletions([not_found])
    revision = ErrorCodeRevision.objects.get(action=Action.DELETED)
    not_found.delete()
    ErrorCode.objects.create(service=revision.service, code="not_found", title="New")
    with pytest.raises(history.RevertRefused, match="already has a code"):
        history.do_revert(revision)


def batches(**filters) -> set:
    return set(ErrorCodeRevision.objects.filter(**filters).values_list("batch", flat=True))


def test_an_import_is_one_batch_and_each_import_its_own(not_found):
    first = batches()
    import_catalog_text(
        MINIMAL_WITHOUT_OLD_NAME.replace("title: Not found", "title: Gone"), "shop.yaml"
    )
    second = batches() - first
    assert len(first) == 1 and len(second) == 1
    assert ErrorCodeRevision.objects.filter(batch__in=second).count() == 2  # changed, removed


def test_deletions_together_are_one_batch(not_found):
    history.record_deletions(ErrorCode.objects.filter(service=not_found.service))
    assert len(batches(action=Action.DELETED)) == 1
    assert ErrorCodeRevision.objects.filter(action=Action.DELETED).count() == 2


def test_single_edits_are_batches_of_their_own(not_found):
    for title in ("One", "Two"):
        before = history.snapshot_of(not_found)
        not_found.title = title
        not_found.save()
        history.record_change(not_found, before)
    assert len(batches(action=Action.CHANGED)) == 2


def test_writes_given_one_batch_share_it(not_found):
    batch = history.new_batch()
    old_name = ErrorCode.objects.get(code="OLD_NAME")
    history.do_update_codes([not_found], batch=batch, title="Gone")
    history.record_deletions([old_name], batch=batch)
    old_name.delete()
    history.do_revert(ErrorCodeRevision.objects.get(code="NOT_FOUND", action=Action.ADDED),
                      batch=batch)  # fmt: skip
    assert ErrorCodeRevision.objects.filter(batch=batch).count() == 3
