"""The history of error codes: imports, edits, deletions, revert and restore."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from errors.catalog import history
from errors.catalog.importer import import_catalog_text
from errors.models import ErrorCode, ErrorCodeRevision
from tests.conftest import MINIMAL

Action = ErrorCodeRevision.Action


@pytest.fixture
def shop(db):
    import_catalog_text(MINIMAL, "shop.yaml")
    return ErrorCode.objects.get(code="NOT_FOUND")


def test_import_records_one_added_revision_per_code(demo):
    assert (
        ErrorCodeRevision.objects.filter(action=Action.ADDED).count() == ErrorCode.objects.count()
    )
    revision = ErrorCodeRevision.objects.filter(code="RATE_LIMITED").first()
    assert revision.source == ErrorCodeRevision.Source.IMPORT
    assert revision.snapshot["title"] == revision.error.title


def test_import_records_changed_fields_and_the_importer(shop):
    editor = User.objects.create_user("ed")
    import_catalog_text(
        MINIMAL.replace("title: Not found", "title: Gone"), "shop.yaml", acting_user=editor
    )
    revision = ErrorCodeRevision.objects.get(action=Action.CHANGED)
    assert revision.code == "NOT_FOUND"
    assert revision.changes == {"title": ["Not found", "Gone"]}
    assert revision.user == editor


def test_import_records_removed_codes_with_their_last_state(shop):
    without_old = MINIMAL.split("  - code: OLD_NAME")[0] + "guides: []\n"
    import_catalog_text(without_old, "shop.yaml")
    revision = ErrorCodeRevision.objects.get(action=Action.DELETED)
    assert revision.code == "OLD_NAME"
    assert revision.error is None
    assert revision.snapshot["lifecycle"] == "deprecated"


def test_unchanged_import_records_nothing(shop):
    before = ErrorCodeRevision.objects.count()
    import_catalog_text(MINIMAL, "shop.yaml")
    assert ErrorCodeRevision.objects.count() == before


def test_record_change_skips_a_save_that_changed_nothing(shop):
    assert history.record_change(shop, history.snapshot_of(shop)) is None


def test_revert_brings_back_the_fields_and_examples(shop):
    first = ErrorCodeRevision.objects.get(code="NOT_FOUND")
    before = history.snapshot_of(shop)
    shop.title = "Changed"
    shop.save()
    shop.examples.all().delete()
    history.record_change(shop, before)
    history.do_revert(first)
    shop.refresh_from_db()
    assert shop.title == "Not found"
    assert shop.examples.count() == 1
    latest = history.history_of(shop).first()
    assert latest.source == ErrorCodeRevision.Source.REVERT
    assert latest.changes["title"] == ["Changed", "Not found"]


def test_deleted_code_is_listed_and_restored(shop):
    history.record_deletions([shop])
    shop.delete()
    deleted = history.deleted_codes()
    assert [revision.code for revision in deleted] == ["NOT_FOUND"]
    restored = history.do_revert(deleted[0])
    assert restored.title == "Not found"
    assert restored.category.slug == "auth"
    assert restored.examples.count() == 1
    assert history.deleted_codes() == []
    assert history.history_of(restored).first().action == Action.ADDED


def test_restore_is_refused_when_the_code_exists_again(shop):
    history.record_deletions([shop])
    revision = ErrorCodeRevision.objects.get(action=Action.DELETED)
    shop.delete()
    ErrorCode.objects.create(service=revision.service, code="not_found", title="New")
    with pytest.raises(history.RevertRefused, match="already has a code"):
        history.do_revert(revision)
