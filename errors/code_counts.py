"""How many codes each service has, counted once per service version.

The home page, llms.txt, the API's list of services and the MCP server's list show every
service with its code count. Counting them all again after every write read the index of
every code: 120-280 ms at a million codes on PostgreSQL, for an edit to one code. A
service's count changes only when its version does (errors.service_version: triggers move
it with every write to the service or its codes), so each count is kept in the shared
cache under the database's epoch, the service, its version and whether drafts are
counted; after a write, only the services it touched are counted again.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import OuterRef, QuerySet, Subquery

from errors.models import CatalogState, Service, ServiceState
from errors.querysets import can_see_drafts


def counted_services(user: Any, services: QuerySet[Service] | None = None) -> list[Service]:
    """`services` (every service, in the catalog's order, by default), each with
    `code_count`: the codes `user` may see."""
    # Each service's version, and the epoch, read with the services themselves.
    version = ServiceState.objects.filter(service_id=OuterRef("pk")).values("version")
    epoch = CatalogState.objects.filter(pk=1).values("epoch")
    listed = list(
        (Service.objects.all() if services is None else services).annotate(
            state_version=Subquery(version), catalog_epoch=Subquery(epoch)
        )
    )
    drafts = can_see_drafts(user)
    keys = {
        service.pk: f"code-count:{service.catalog_epoch}:{service.pk}:{service.state_version}:"
        f"{int(drafts)}"
        for service in listed
        # No state row (or no catalog state yet): counted every time.
        if service.state_version is not None and service.catalog_epoch
    }
    held = cache.get_many(list(keys.values()))
    counts = {pk: held[key] for pk, key in keys.items() if key in held}
    missing = [service.pk for service in listed if service.pk not in counts]
    if missing:
        # Read after the versions: a count is never older than the version it is kept
        # under (a write in between makes it newer, and moves the version past it).
        counted = dict(
            Service.objects.filter(pk__in=missing)
            .with_code_counts(user)
            .order_by()
            .values_list("pk", "code_count")
        )
        counts.update(counted)
        # For the cache's own time, as the pages and answers keyed by the catalog version
        # are: a database restored from a backup has its epoch but older versions.
        cache.set_many({keys[pk]: count for pk, count in counted.items() if pk in keys})
    result: list[Service] = []
    for service in listed:
        service.code_count = counts.get(service.pk, 0)  # 0: deleted since it was read
        result.append(service)
    return result
