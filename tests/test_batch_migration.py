"""Migration 0012: existing revisions get the batches the changelog grouped them in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.migrations.executor import MigrationExecutor
from django.db.models import Case, F, When
from django.db.models.functions import TruncSecond

from tests.test_migrations import fresh_database, migrate  # noqa: F401  (fixture)

BEFORE = [("errors", "0011_error_operations")]
AFTER = [("errors", "0012_revision_batch")]
START = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def partition(groups: dict[int, object]) -> set[frozenset[int]]:
    """The ids grouped by their value."""
    found: dict[object, set[int]] = {}
    for pk, value in groups.items():
        found.setdefault(value, set()).add(pk)
    return {frozenset(ids) for ids in found.values()}


def test_old_revisions_keep_their_changelog_groups(fresh_database):  # noqa: F811
    db = fresh_database
    migrate(db, BEFORE)
    apps = MigrationExecutor(db).loader.project_state(BEFORE[0]).apps
    Service = apps.get_model("errors", "Service")
    Revision = apps.get_model("errors", "ErrorCodeRevision")
    User = apps.get_model("auth", "User")
    shop = Service.objects.using(db.alias).create(slug="shop", name="Shop")
    bank = Service.objects.using(db.alias).create(slug="bank", name="Bank")
    alice = User.objects.using(db.alias).create(username="alice")
    bob = User.objects.using(db.alias).create(username="bob")

    def revision(service, when, source="admin", user=None, action="changed"):
        return (
            Revision.objects.using(db.alias)
            .create(
                service=service, code="X", action=action, source=source, user=user, created_at=when
            )
            .pk
        )

    revision(shop, at(0.25), "import", action="added")  # one import: one exact time
    revision(shop, at(0.25), "import", action="added")
    revision(shop, at(0.5), "import", action="added")  # another import, the same second
    revision(shop, at(1.1), user=alice)  # a bulk action within one second
    revision(shop, at(1.9), user=alice)
    revision(shop, at(2.0), user=alice)  # the next second, on the boundary
    revision(shop, at(2.7), user=alice)
    revision(shop, at(1.5), user=bob)  # someone else, the same second
    revision(shop, at(1.5))  # nobody (the command line)
    revision(shop, at(1.6))
    revision(shop, at(1.5), "revert", user=alice)  # another source
    revision(bank, at(1.5), user=alice)  # another service
    revision(bank, at(1.5), "import", action="deleted")
    old = Revision.objects.using(db.alias).annotate(
        moment=Case(When(source="import", then=F("created_at")), default=TruncSecond("created_at"))
    )
    before = {
        row["pk"]: (row["service_id"], row["source"], row["user_id"], row["moment"])
        for row in old.values("pk", "service_id", "source", "user_id", "moment")
    }
    assert len(partition(before)) == 9

    migrate(db, AFTER)

    Revision = (
        MigrationExecutor(db)
        .loader.project_state(AFTER[0])
        .apps.get_model("errors", "ErrorCodeRevision")
    )
    after = dict(Revision.objects.using(db.alias).values_list("pk", "batch"))
    assert None not in after.values()
    assert partition(after) == partition(before)
    # A revision written now starts a batch of its own.
    new = Revision.objects.using(db.alias).create(service_id=shop.pk, code="Y", action="added")
    assert new.batch not in after.values()
