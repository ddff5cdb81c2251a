"""A service's public changelog, built from the history: an HTML page and an Atom feed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.models import Count, Max, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from errors.catalog.history import service_changelog
from errors.models import ErrorCode, ErrorCodeRevision, Service

PER_PAGE = 50
FEED_ITEMS = 50
# A batch this small lists its changes; a bigger one is a count ("30 codes imported").
BATCH_DETAIL_LIMIT = 10
# Fields whose changes readers of a changelog care about, in the order they are named.
NOTABLE_FIELDS = (
    "code", "http_status", "title", "summary", "description", "resolution", "retry",
    "retry_delay_from", "category", "lifecycle", "replaced_by", "aliases", "messages",
    "details_shape", "examples", "tags", "lifecycle_since", "published", "operations",
)  # fmt: skip


@dataclass(frozen=True)
class ChangelogEntry:
    """One line of a changelog: what happened to which code, when."""

    revision: ErrorCodeRevision
    kind: str  # added, changed, deprecated, removed, restored
    summary: str

    @property
    def code(self) -> str:
        return self.revision.code

    @property
    def when(self) -> datetime:
        return self.revision.created_at

    @property
    def url(self) -> str:
        """The code's page while it exists, else the changelog anchor."""
        if self.kind == "removed" or self.revision.error_id is None:
            return ""
        return reverse("errors:error", args=[self.revision.service.slug, self.code])

    @property
    def line(self) -> str:
        """ "NOT_FOUND deprecated: use GONE instead", for the feed."""
        suffix = f": {self.summary}" if self.summary else ""
        return f"{self.code} {self.kind}{suffix}"


def describe(revision: ErrorCodeRevision) -> ChangelogEntry:
    """Turn a revision into the words a changelog reader wants."""
    snapshot = revision.snapshot
    if revision.action == ErrorCodeRevision.Action.ADDED:
        return ChangelogEntry(revision, "added", snapshot.get("title", ""))
    if revision.action == ErrorCodeRevision.Action.DELETED:
        return ChangelogEntry(revision, "removed", snapshot.get("title", ""))
    changes = revision.changes
    lifecycle = changes.get("lifecycle", [None, None])[1]
    if lifecycle in (ErrorCode.Lifecycle.DEPRECATED, ErrorCode.Lifecycle.REMOVED):
        replacement = snapshot.get("replaced_by")
        text = f"use {replacement} instead" if replacement else ""
        return ChangelogEntry(revision, str(lifecycle), text)
    fields = [name.replace("_", " ") for name in NOTABLE_FIELDS if name in changes]
    return ChangelogEntry(revision, "changed", ", ".join(fields))


def public_revisions(service: Service) -> QuerySet[ErrorCodeRevision]:
    """Revisions readers may see: drafts (unpublished codes) stay private."""
    return service_changelog(service).filter(public=True).select_related("service")


@dataclass(frozen=True)
class ChangeBatch:
    """Changes made together (an import, a bulk action in the admin) as one entry:
    "30 codes imported" rather than thirty lines."""

    service: Service
    batch: uuid.UUID
    when: datetime
    source: str
    added: int
    changed: int
    removed: int
    last_pk: int
    entries: tuple[ChangelogEntry, ...] = ()  # each change, for a small batch
    author: str = ""  # the editor's user name, where the query asked for it (the feed)

    @property
    def entry(self) -> ChangelogEntry | None:
        """The one change of a batch of one."""
        return self.entries[0] if self.total == 1 and self.entries else None

    @property
    def total(self) -> int:
        return self.added + self.changed + self.removed

    @property
    def headline(self) -> str:
        """ "30 codes imported", "4 codes changed" ..."""
        noun = f"{self.total} code{'s' if self.total != 1 else ''}"
        if self.source == ErrorCodeRevision.Source.IMPORT:
            return f"{noun} imported"
        if self.source == ErrorCodeRevision.Source.REVERT:
            return f"{noun} reverted"
        verb = (
            "added"
            if self.added == self.total
            else "removed"
            if self.removed == self.total
            else "changed"
        )
        return f"{noun} {verb}"

    @property
    def detail(self) -> str:
        """How many were added, changed and removed."""
        parts = [(self.added, "added"), (self.changed, "changed"), (self.removed, "removed")]
        return ", ".join(f"{count} {word}" for count, word in parts if count)


# What makes a changelog entry: the revisions one write made together (their `batch`), of
# one service. A batch has one source and one author; they are kept for the entry.
BATCH_KEY = ("service_id", "batch", "source", "user_id")


def change_batches(revisions: QuerySet[ErrorCodeRevision]) -> QuerySet:
    """The revisions grouped into batches (`BATCH_KEY`), newest first."""
    action = ErrorCodeRevision.Action
    return (
        revisions.values("service_id", "batch", "source", "user_id")  # BATCH_KEY
        .annotate(
            when=Max("created_at"),
            added=Count("pk", filter=Q(action=action.ADDED)),
            changed=Count("pk", filter=Q(action=action.CHANGED)),
            removed=Count("pk", filter=Q(action=action.DELETED)),
            last_pk=Max("pk"),
        )
        .order_by("-when", "-last_pk")
    )


def batches_of(rows: list[dict], services: dict[int, Service]) -> list[ChangeBatch]:
    """ChangeBatch objects for aggregated rows, the changes of small batches read in one
    query."""
    small = [
        row for row in rows if row["added"] + row["changed"] + row["removed"] <= BATCH_DETAIL_LIMIT
    ]
    found: dict[tuple, list[ChangelogEntry]] = {}
    if small:
        # By service too: an import of several catalogs is one batch across their services.
        which = Q()
        for row in small:
            which |= Q(service_id=row["service_id"], batch=row["batch"])
        revisions = (
            ErrorCodeRevision.objects.filter(which)
            .filter(public=True)
            .select_related("service")
            .order_by("-pk")
        )
        for revision in revisions:
            key = tuple(getattr(revision, name) for name in BATCH_KEY)
            found.setdefault(key, []).append(describe(revision))
    return [
        ChangeBatch(
            service=services[row["service_id"]],
            batch=row["batch"],
            when=row["when"],
            source=row["source"],
            added=row["added"],
            changed=row["changed"],
            removed=row["removed"],
            last_pk=row["last_pk"],
            entries=tuple(found.get(tuple(row[name] for name in BATCH_KEY), [])),
            author=row.get("author") or "",
        )
        for row in rows
    ]


def recent_batches(limit: int) -> list[ChangeBatch]:
    """The latest public batches across services, for the home page.

    Grouping every revision to keep the newest few read the whole history after each
    catalog write (290-360 ms at 100,000 codes on SQLite, and more with each write): the
    newest batches are found by walking the newest revisions, then only those are
    counted. Both read as many revisions as those batches hold, not the history."""
    revisions = ErrorCodeRevision.objects.filter(public=True)
    keys = newest_batch_keys(revisions, limit)
    if not keys:
        return []
    # Read by their batches and services, and picked out once grouped: a condition a key
    # made SQLite's expression tree too deep past a thousand keys (ties).
    candidates = revisions.filter(
        batch__in={key[1] for key in keys}, service_id__in={key[0] for key in keys}
    )
    grouped = change_batches(candidates)
    rows = [row for row in grouped if tuple(row[name] for name in BATCH_KEY) in keys][:limit]
    services = Service.objects.in_bulk({row["service_id"] for row in rows})
    return batches_of(rows, services)


def newest_batch_keys(revisions: QuerySet[ErrorCodeRevision], limit: int) -> set[tuple]:
    """The keys (`BATCH_KEY`: service id, batch UUID, source, user id) of the `limit`
    batches of `revisions` with the newest last revision, and of any as new as the last
    of them (change_batches orders those by their newest revision id): the revisions
    walked newest first, until one is older than that.

    The rows are read a chunk at a time, the batch and time as text: a large import's
    batches hold thousands of revisions each, and making a UUID and a datetime of each
    row (Django's conversions on SQLite, psycopg's on PostgreSQL) cost more than the walk.
    Being in order, a revision is older than the last kept when its time is another."""
    newest_first = (
        revisions.order_by("-created_at", "-pk")
        .annotate(
            batch_text=Cast("batch", TextField()), created_text=Cast("created_at", TextField())
        )
        .values_list("service_id", "batch_text", "source", "user_id", "created_text")
    )
    sql, params = newest_first.query.sql_with_params()
    seen: set[tuple] = set()
    last_kept: object = None
    with _fetching_cursor(revisions.db) as cursor:
        cursor.execute(sql, params)
        for *key, created_at in _fetched(cursor):
            if last_kept is not None and created_at != last_kept:
                break  # every batch not seen has its last revision before
            seen.add(tuple(key))
            if last_kept is None and len(seen) == limit:
                last_kept = created_at
    return {(service, uuid.UUID(batch), source, user) for service, batch, source, user in seen}


@contextmanager
def _fetching_cursor(alias: str) -> Iterator[Any]:
    """A cursor that fetches as it goes: PostgreSQL's server-side one, in a transaction
    so that it is not held past it (a held cursor is read whole when the transaction
    ends), unless the database's settings turn them off (a transaction pooler);
    SQLite's steps through its statement as it is fetched."""
    database = connections[alias]
    if database.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        with database.cursor() as cursor:
            yield cursor
        return
    held = database.vendor == "postgresql" and not database.in_atomic_block
    with (
        transaction.atomic(using=alias) if held else nullcontext(),
        database.chunked_cursor() as cursor,
    ):
        yield cursor


def _fetched(cursor: Any) -> Iterator[tuple]:
    """The rows of `cursor`'s statement, KEYS_WALKED_AT_ONCE fetched at a time."""
    while rows := cursor.fetchmany(KEYS_WALKED_AT_ONCE):
        yield from rows


# Revisions fetched at a time by newest_batch_keys: a batch of a large import holds
# thousands, all as new as each other.
KEYS_WALKED_AT_ONCE = 2000


def changelog_page(request: HttpRequest, slug: str) -> HttpResponse:
    """`/services/<slug>/changes/`: the service's changelog, newest first, an import or
    a bulk action as one entry."""
    service = get_object_or_404(Service, slug=slug)
    batches = change_batches(public_revisions(service))
    page = Paginator(batches, PER_PAGE).get_page(request.GET.get("page"))
    entries = batches_of(list(page), {service.pk: service})
    return render(
        request,
        "errors/changelog.html",
        {"service": service, "page": page, "entries": entries},
    )


# Characters XML 1.0 cannot carry at all: one in a title made Django's feed writer fail,
# and old revisions keep their text, so the feed stayed broken for good (issue 13).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML cannot carry."""
    return _NOT_XML.sub("", text)


class ServiceChangesFeed(Feed):
    """`/services/<slug>/changes/feed/`: the changelog as Atom, one item per entry of the
    page (a batch): a change alone reads as before, "OLD_NAME removed: ...", a batch as
    its headline ("2 codes imported") with its changes in the description."""

    feed_type = Atom1Feed
    author_name = "Error portal"

    def get_object(self, request: HttpRequest, slug: str) -> Service:
        return get_object_or_404(Service, slug=slug)

    def title(self, service: Service) -> str:
        return xml_text(f"{service.name}: error code changes")

    def subtitle(self, service: Service) -> str:
        return xml_text(f"Error codes of {service.name} added, changed, deprecated and removed.")

    def link(self, service: Service) -> str:
        return reverse("errors:changelog", args=[service.slug])

    def items(self, service: Service) -> list[ChangeBatch]:
        """The latest batches, an import or a bulk action as one item, as on the page."""
        rows = change_batches(public_revisions(service)).annotate(author=Max("user__username"))
        return batches_of(list(rows[:FEED_ITEMS]), {service.pk: service})

    def item_title(self, batch: ChangeBatch) -> str:
        entry = batch.entry
        return xml_text(entry.line if entry is not None else batch.headline)

    def item_description(self, batch: ChangeBatch) -> str:
        entry = batch.entry
        if entry is not None:
            snapshot = entry.revision.snapshot
            description: str = snapshot.get("summary") or snapshot.get("title", "")
            return xml_text(description)
        lines = "; ".join(change.line for change in batch.entries)
        return xml_text(f"{batch.detail}: {lines}" if lines else batch.detail)

    def item_link(self, batch: ChangeBatch) -> str:
        service_url = reverse("errors:changelog", args=[batch.service.slug])
        entry = batch.entry
        return (entry.url if entry is not None else "") or f"{service_url}#change-{batch.last_pk}"

    def item_guid(self, batch: ChangeBatch) -> str:
        # Atom ids must be IRIs: a tag URI (RFC 4151) that never changes. A change alone
        # keeps the id it had when the feed listed every change on its own; an import of
        # several services is one batch, one entry in each service's feed.
        if batch.total == 1:
            return f"tag:error-portal.internal,2024:revision-{batch.last_pk}"
        return f"tag:error-portal.internal,2024:service-{batch.service.pk}-batch-{batch.batch}"

    def item_author_name(self, batch: ChangeBatch) -> str:
        return batch.author or "Error portal"

    item_guid_is_permalink = False

    def item_pubdate(self, batch: ChangeBatch) -> datetime:
        return batch.when

    def item_updateddate(self, batch: ChangeBatch) -> datetime:
        return batch.when
