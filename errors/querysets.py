"""The catalog's queries: who may see what, and the QuerySets of services and codes
(errors.models attaches them as managers)."""

from __future__ import annotations

import difflib
from typing import Any

from django.db import models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce


def can_see_drafts(user: Any) -> bool:
    """Staff see drafts and edit links; everyone else sees what is published."""
    return bool(user is not None and user.is_active and user.is_staff)


class ServiceQuerySet(models.QuerySet[Any]):
    """Queries over services (errors.models.Service)."""

    def with_code_counts(self, user: Any) -> ServiceQuerySet:
        """Each service annotated with `code_count`, the codes `user` may see: all its
        codes (counted in the index of a service's codes, without reading them), less its
        drafts (in the drafts' own index) for those who may not see them. Counting the
        published codes of a join read every code: 90-170 ms at 100,000 codes on SQLite,
        after every catalog write, for the home page."""
        codes = self.model._meta.get_field("errors").related_model.objects
        count = models.Count("pk")
        total = codes.filter(service=OuterRef("pk")).order_by().values("service")
        every = Coalesce(Subquery(total.annotate(n=count).values("n")), 0)
        if can_see_drafts(user):
            counted: ServiceQuerySet = self.annotate(code_count=every)
            return counted
        drafts = total.filter(published=False).annotate(n=count).values("n")
        counted = self.annotate(code_count=every - Coalesce(Subquery(drafts), 0))
        return counted

    def nearest(self, slug: str, limit: int) -> list[Any]:
        """Up to `limit` services whose slug or name looks like `slug`, nearest first:
        what a page, the API or search suggests for a slug that names none."""
        services = list(self)
        names = {service.slug: service for service in services}
        names.update({service.name.lower(): service for service in services})
        found: list[Any] = []
        for name in difflib.get_close_matches(slug.lower(), names, n=limit, cutoff=0.5):
            if names[name] not in found:
                found.append(names[name])
        return found


# What an API entry shows of a code (errors.api.serializers.ErrorEntrySerializer) and
# what ranks it: the long texts are left in the database, where reading and building
# them was half of an identify call.
ENTRY_FIELDS = (
    "service__slug", "code", "http_status", "title", "summary", "category__slug",
    "category__name", "retry", "retry_delay_from", "lifecycle", "lifecycle_since",
    "replaced_by__code", "aliases", "tags", "order", "published",
    "resolution",  # issue 15: search and lookup answers carry it
)  # fmt: skip


class ErrorCodeQuerySet(models.QuerySet[Any]):
    """Queries over error codes (errors.models.ErrorCode)."""

    def published(self) -> ErrorCodeQuerySet:
        """Codes anyone may see."""
        return self.filter(published=True)

    def visible_to(self, user: Any) -> ErrorCodeQuerySet:
        """Every code for staff, published codes for everyone else."""
        return self.visible(drafts=can_see_drafts(user))

    def visible(self, *, drafts: bool) -> ErrorCodeQuerySet:
        """Every code when drafts are shown, else the published codes."""
        return self if drafts else self.published()

    def for_entries(self) -> ErrorCodeQuerySet:
        """Read with what an API entry shows, in no order: the callers rank them, and the
        model's ordering would join and sort by service name."""
        return (
            self.select_related("service", "category", "replaced_by").only(*ENTRY_FIELDS).order_by()
        )

    def whole(self) -> ErrorCodeQuerySet:
        """Read with everything a code's page shows: service, category, replacement and
        examples."""
        return self.select_related("service", "category", "replaced_by__service").prefetch_related(
            "examples"
        )

    def with_code(self, code: str) -> ErrorCodeQuerySet:
        """Codes spelt `code`, ignoring case."""
        return self.filter(code__iexact=code)
