"""A service's public changelog and its Atom feed, built from the history."""

from __future__ import annotations

import random
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from errors.catalog import history
from errors.catalog.importer import import_catalog_text
from errors.changelog import change_batches, recent_batches
from errors.models import ErrorCode, ErrorCodeRevision, Service
from tests.conftest import MINIMAL
from tests.factories import MINIMAL_WITHOUT_OLD_NAME


@pytest.fixture
def not_found(not_found):
    """conftest's imported NOT_FOUND, with a history: deprecated by an edit, then OLD_NAME
    removed and NOT_FOUND deprecated in the file by a re-import."""
    history.do_update_codes([not_found], lifecycle="deprecated")
    import_catalog_text(
        MINIMAL_WITHOUT_OLD_NAME.replace("http_status: 404\n    category", "http_status: 404\n"
                                         "    lifecycle: deprecated\n    category"), "shop.yaml"
    )  # fmt: skip
    return not_found


def changes(response):
    """Every change the page lists, batch by batch."""
    return [(e.code, e.kind) for batch in response.context["entries"] for e in batch.entries]


def test_changelog_lists_added_deprecated_and_removed_newest_first(client, not_found):
    response = client.get(reverse("errors:changelog", args=["shop"]))
    kinds = changes(response)
    assert kinds == [("OLD_NAME", "removed"), ("NOT_FOUND", "deprecated"),
                     ("OLD_NAME", "added"), ("NOT_FOUND", "added")]  # fmt: skip


def test_changelog_query_count(client, not_found, django_assert_num_queries):
    with django_assert_num_queries(4):  # service, batch count, batches, small batches' changes
        client.get(reverse("errors:changelog", args=["shop"]))


def test_feed_query_count(client, not_found, django_assert_num_queries):
    with django_assert_num_queries(3):  # service, batches, small batches' changes
        client.get(reverse("errors:changelog-feed", args=["shop"]))


def test_drafts_stay_out_of_the_public_changelog(client, not_found):
    history.do_update_codes([not_found], published=False)
    assert ErrorCodeRevision.objects.latest("pk").public is False  # as the history writes it
    response = client.get(reverse("errors:changelog", args=["shop"]))
    assert ("NOT_FOUND", "changed") not in changes(response)


def test_changed_entry_names_the_fields(client, not_found):
    history.do_update_codes([not_found], title="Missing", summary="Gone")
    batches = client.get(reverse("errors:changelog", args=["shop"])).context["entries"]
    assert ("changed", "title, summary") in [
        (e.kind, e.summary) for b in batches for e in b.entries
    ]


def test_feed_is_atom(client, not_found):
    response = client.get(reverse("errors:changelog-feed", args=["shop"]))
    assert response["Content-Type"].startswith("application/atom+xml")
    assert b"<title>OLD_NAME removed" in response.content


def test_unknown_service_is_404(client, db):
    assert client.get(reverse("errors:changelog", args=["nope"])).status_code == 404
    assert client.get(reverse("errors:changelog-feed", args=["nope"])).status_code == 404


def test_a_control_character_in_a_title_does_not_break_the_feed(client, db):
    from xml.etree import ElementTree

    from tests.conftest import MINIMAL

    text = MINIMAL.replace("title: Not found", 'title: "Not\\x01found\\x0b"')
    import_catalog_text(text, "shop.yaml")
    response = client.get(reverse("errors:changelog-feed", args=["shop"]))
    assert response.status_code == 200
    ElementTree.fromstring(response.content)  # well-formed
    assert b"Notfound" in response.content


def test_an_import_is_one_entry(client, not_found):
    (first_import,) = [
        b
        for b in client.get(reverse("errors:changelog", args=["shop"])).context["entries"]
        if b.added == 2
    ]
    assert first_import.headline == "2 codes imported"
    assert first_import.detail == "2 added"


def slowly(codes, pause):
    """The codes, one every `pause` seconds: a bulk action as slow as a busy server's."""
    for code in codes:
        yield code
        time.sleep(pause)


def test_a_bulk_action_across_a_second_boundary_is_one_entry(client, demo):
    codes = list(ErrorCode.objects.filter(service__slug="sigsentry", http_status=401))
    assert len(codes) == 4
    history.do_update_codes(slowly(codes, 0.35), title="Renamed")  # 1.05 s between writes
    times = ErrorCodeRevision.objects.filter(title_changes()).values_list("created_at", flat=True)
    assert max(times) - min(times) >= timedelta(seconds=1)  # two seconds at least
    (batch, *_) = client.get(reverse("errors:changelog", args=["sigsentry"])).context["entries"]
    assert (batch.total, batch.headline) == (4, "4 codes changed")
    assert {entry.code for entry in batch.entries} == {code.code for code in codes}
    # The home page and the feed say the same.
    (recent, *_) = client.get("/").context["page"].recent
    assert (recent.service.slug, recent.headline) == ("sigsentry", "4 codes changed")
    feed = client.get(reverse("errors:changelog-feed", args=["sigsentry"])).content.decode()
    assert feed.count("<title>4 codes changed</title>") == 1
    assert feed.count("Renamed") == 0  # the feed names the fields, not their new values


def title_changes():
    return Q(changes__has_key="title")


def test_one_batch_written_in_several_calls_is_one_entry(client, not_found):
    batch = history.new_batch()
    history.do_update_codes([not_found], batch=batch, title="Missing")
    time.sleep(1)  # the next write is in another second, whatever this one's was
    history.record_deletions([not_found], batch=batch)
    not_found.delete()
    times = ErrorCodeRevision.objects.filter(batch=batch).values_list("created_at", flat=True)
    assert len({moment.replace(microsecond=0) for moment in times}) == 2
    (entry, *_) = client.get(reverse("errors:changelog", args=["shop"])).context["entries"]
    assert (entry.headline, entry.detail) == ("2 codes changed", "1 changed, 1 removed")
    assert [(e.code, e.kind) for e in entry.entries] == [("NOT_FOUND", "removed"),
                                                         ("NOT_FOUND", "changed")]  # fmt: skip


def test_feed_lists_a_batch_as_one_item(client, not_found):
    import_catalog_text(
        MINIMAL.replace("title: Not found", "title: Missing"), "shop.yaml"
    )  # OLD_NAME back, NOT_FOUND renamed
    content = client.get(reverse("errors:changelog-feed", args=["shop"])).content.decode()
    assert "<title>2 codes imported</title>" in content
    assert "1 added, 1 changed: " in content and "OLD_NAME added" in content
    assert "NOT_FOUND changed: title" in content
    assert content.count("<entry>") == 4  # two imports before, the edit, this import


def test_an_import_of_several_catalogs_is_one_entry_per_service(client, db):
    from errors.catalog.files import parse_catalog
    from errors.catalog.importer import import_catalogs

    bank = MINIMAL.replace("slug: shop", "slug: bank").replace("name: Shop", "name: Bank")
    import_catalogs([parse_catalog(MINIMAL, "shop.yaml"), parse_catalog(bank, "bank.yaml")])
    assert len(set(ErrorCodeRevision.objects.values_list("batch", flat=True))) == 1
    for slug in ("shop", "bank"):
        (entry,) = client.get(reverse("errors:changelog", args=[slug])).context["entries"]
        assert entry.headline == "2 codes imported"
        assert {change.revision.service.slug for change in entry.entries} == {slug}
    recent = client.get("/").context["page"].recent
    assert sorted(batch.service.slug for batch in recent) == ["bank", "shop"]


def test_feed_has_an_author_and_iri_ids(client, not_found):
    content = client.get(reverse("errors:changelog-feed", args=["shop"])).content.decode()
    assert "<author><name>Error portal</name></author>" in content
    assert "<id>tag:error-portal.internal,2024:revision-" in content


def test_changelog_title_names_the_portal_once(client, not_found):
    html = client.get(reverse("errors:changelog", args=["shop"])).content.decode()
    assert html.count("· Error portal</title>") == 1 and "Error portal · Error portal" not in html


def full_grouping(limit):
    """The newest public batches as the home page found them before it walked the newest
    revisions: the whole history grouped."""
    public = ErrorCodeRevision.objects.exclude(snapshot__published=False)
    return list(change_batches(public)[:limit])


@pytest.mark.parametrize("seed", range(6))
def test_the_newest_batches_are_those_of_the_whole_history(db, seed):
    """Batches of one revision and of many, several written at one time (an import's
    services), some spanning seconds (a bulk action), some of drafts alone or in part,
    revisions written out of order: the walk finds the batches, counts and order that
    grouping every revision gave, for each number asked."""
    rng = random.Random(seed)
    services = [Service.objects.create(slug=f"s{n}", name=f"S{n}") for n in range(3)]
    start = timezone.now() - timedelta(days=1)
    revisions = []
    for step in range(rng.randint(15, 40)):
        batch, source = uuid.uuid4(), rng.choice(["admin", "import", "revert"])
        when = start + timedelta(seconds=rng.choice([step, step, step - 3, 7]))
        drafts = rng.choice([0.0, 0.0, 0.5, 1.0])
        for service in rng.sample(services, rng.randint(1, 3)):
            for _ in range(rng.choice([1, 1, 2, 5, 30])):
                published = rng.random() >= drafts  # `public` as the history writes it
                revisions.append(
                    ErrorCodeRevision(
                        service=service, code="X", batch=batch, source=source,
                        action=rng.choice(["added", "changed", "deleted"]),
                        snapshot={"published": published}, public=published,
                        created_at=when + timedelta(seconds=rng.choice([0, 0, 0, 1, 2])),
                    )
                )  # fmt: skip
    rng.shuffle(revisions)  # ids in another order than times
    ErrorCodeRevision.objects.bulk_create(revisions)
    for limit in (1, 2, 3, 5, 10, 50):
        expected = full_grouping(limit)
        found = recent_batches(limit)
        assert [(b.service.pk, b.batch, b.added, b.changed, b.removed) for b in found] == [
            (row["service_id"], row["batch"], row["added"], row["changed"], row["removed"])
            for row in expected
        ], limit


def test_the_home_page_reads_the_newest_batches_not_the_history(
    client, db, django_assert_num_queries
):
    import_catalog_text(MINIMAL, "shop.yaml")
    for _ in range(3):
        history.do_update_codes(list(ErrorCode.objects.all()), lifecycle="deprecated")
        history.do_update_codes(list(ErrorCode.objects.all()), lifecycle="active")
    # version, services with their versions, their counts, the newest revisions, their
    # batches counted, their services, the changes of the small ones
    with django_assert_num_queries(7):
        client.get("/")


def test_batches_written_at_one_time_past_a_thousand_are_read_all_the_same(db):
    """1,200 batches as new as each other are all kept by the walk (ties): reading them
    back by a condition a key overflowed SQLite's expression tree."""
    service = Service.objects.create(slug="s", name="S")
    when = timezone.now()
    ErrorCodeRevision.objects.bulk_create(
        ErrorCodeRevision(service=service, code="X", batch=uuid.uuid4(), action="added",
                          snapshot={"published": True}, public=True, created_at=when)
        for _ in range(1200)
    )  # fmt: skip
    found = recent_batches(6)
    expected = full_grouping(6)
    assert [(b.service.pk, b.batch) for b in found] == [
        (row["service_id"], row["batch"]) for row in expected
    ]


def test_the_walk_keeps_to_plain_cursors_when_server_side_ones_are_off(db, monkeypatch):
    """A transaction pooler (pgbouncer) wants DISABLE_SERVER_SIDE_CURSORS: the walk
    reads through an ordinary cursor then, with the same answer."""
    import_catalog_text(MINIMAL, "shop.yaml")
    history.do_update_codes(list(ErrorCode.objects.all()), lifecycle="deprecated")
    expected = [(b.service.pk, b.batch, b.changed) for b in recent_batches(6)]
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    assert [(b.service.pk, b.batch, b.changed) for b in recent_batches(6)] == expected
    assert len(expected) == 2


@pytest.mark.django_db(transaction=True)
def test_the_walk_outside_a_transaction_opens_and_closes_its_own():
    """As a request reads it (autocommit): on PostgreSQL the walk's server-side cursor
    lives in a transaction of its own, closed when the walk stops."""
    import_catalog_text(MINIMAL, "shop.yaml")
    history.do_update_codes(list(ErrorCode.objects.all()), lifecycle="deprecated")
    assert not connection.in_atomic_block
    found = [(b.service.pk, b.batch, b.added, b.changed) for b in recent_batches(6)]
    expected = [(r["service_id"], r["batch"], r["added"], r["changed"]) for r in full_grouping(6)]
    assert found == expected and len(found) == 2
    assert not connection.in_atomic_block and connection.get_autocommit()
