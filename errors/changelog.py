"""A service's public changelog, built from the history: an HTML page and an Atom feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from errors.catalog.history import service_changelog
from errors.models import ErrorCode, ErrorCodeRevision, Service

PER_PAGE = 50
FEED_ITEMS = 50
# Fields whose changes readers of a changelog care about, in the order they are named.
NOTABLE_FIELDS = (
    "code", "http_status", "title", "summary", "description", "resolution", "retry",
    "category", "lifecycle", "replaced_by", "aliases", "messages", "details_shape",
    "examples", "tags", "lifecycle_since", "published", "operations",
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
    return service_changelog(service).exclude(snapshot__published=False).select_related("service")


def changelog_page(request: HttpRequest, slug: str) -> HttpResponse:
    """`/services/<slug>/changes/`: the service's changelog, newest first."""
    service = get_object_or_404(Service, slug=slug)
    page = Paginator(public_revisions(service), PER_PAGE).get_page(request.GET.get("page"))
    entries = [describe(revision) for revision in page]
    return render(
        request,
        "errors/changelog.html",
        {"service": service, "page": page, "entries": entries},
    )


class ServiceChangesFeed(Feed):
    """`/services/<slug>/changes/feed/`: the changelog as Atom."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str) -> Service:
        return get_object_or_404(Service, slug=slug)

    def title(self, service: Service) -> str:
        return f"{service.name}: error code changes"

    def subtitle(self, service: Service) -> str:
        return f"Error codes of {service.name} added, changed, deprecated and removed."

    def link(self, service: Service) -> str:
        return reverse("errors:changelog", args=[service.slug])

    def items(self, service: Service) -> list[ChangelogEntry]:
        return [describe(revision) for revision in public_revisions(service)[:FEED_ITEMS]]

    def item_title(self, entry: ChangelogEntry) -> str:
        suffix = f": {entry.summary}" if entry.summary else ""
        return f"{entry.code} {entry.kind}{suffix}"

    def item_description(self, entry: ChangelogEntry) -> str:
        snapshot = entry.revision.snapshot
        description: str = snapshot.get("summary") or snapshot.get("title", "")
        return description

    def item_link(self, entry: ChangelogEntry) -> str:
        service_url = reverse("errors:changelog", args=[entry.revision.service.slug])
        return entry.url or f"{service_url}#change-{entry.revision.pk}"

    def item_guid(self, entry: ChangelogEntry) -> str:
        return f"error-portal-revision-{entry.revision.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, entry: ChangelogEntry) -> datetime:
        return entry.when

    def item_updateddate(self, entry: ChangelogEntry) -> datetime:
        return entry.when
