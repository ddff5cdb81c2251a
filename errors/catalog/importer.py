"""Importing catalog files: validate every file, then make the database say what they say,
all in one transaction (a single problem writes nothing), recording each change in the
history under the user who acted."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from django.db import OperationalError, connection, connections, router, transaction
from django.utils import timezone

from errors import catalog_version, render_cache
from errors.catalog.bulk_writes import import_page_cache, insert_rows, insert_values, reserve_ids
from errors.catalog.canonical import (
    ENVELOPE_POINTERS,
    ERROR_LIST_FIELDS,
    ERROR_TEXT_FIELDS,
    SERVICE_TEXT_FIELDS,
    canonical_error,
    canonical_from_file,
    canonical_service,
    errors_for_catalog,
)
from errors.catalog.files import CatalogFile, parse_catalog, read_catalog_file
from errors.catalog.history import new_batch, record_import_revisions
from errors.catalog.prerender import Prerendering, Source
from errors.catalog.problems import CatalogInvalid, Problem
from errors.catalog.validation import validate_catalog, validate_catalogs, validated
from errors.models import Category, ErrorCode, Example, Guide, Service

DEMO_CATALOG_DIR = Path(__file__).with_name("demo")
ERROR_WRITE_FIELDS = (
    "code",
    "code_key",
    "http_status",
    "category",
    *ERROR_TEXT_FIELDS,
    "description_html",
    "resolution_html",
    *ERROR_LIST_FIELDS,
    "message_forms",
    "published",
    "order",
    "updated_at",
)

# Called once per code written; its answer is ignored (tqdm's `update` answers a bool).
Progress = Callable[[int], object]


@dataclass
class ServiceChanges:
    """What importing one file did (or, in a dry run, would do) to one service."""

    slug: str
    created: bool = False
    service_changed: bool = False
    added: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    categories_changed: bool = False
    guides_changed: bool = False

    @property
    def codes_written(self) -> int:
        """How many codes the import added, changed or removed."""
        return len(self.added) + len(self.changed) + len(self.removed)

    @property
    def has_changes(self) -> bool:
        """True when the file differs from the database in anything."""
        return bool(
            self.created
            or self.service_changed
            or self.added
            or self.changed
            or self.removed
            or self.categories_changed
            or self.guides_changed
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the API answers this)."""
        return {
            "service": self.slug,
            "created": self.created,
            "service_changed": self.service_changed,
            "added": self.added,
            "changed": sorted(self.changed),
            "removed": self.removed,
            "unchanged": self.unchanged,
            "categories_changed": self.categories_changed,
            "guides_changed": self.guides_changed,
        }


def diff_fields(old: dict, new: dict) -> dict[str, tuple[Any, Any]]:
    """The keys whose values differ, with (old, new)."""
    return {key: (old.get(key), new[key]) for key in new if old.get(key) != new[key]}


def import_catalogs(
    catalogs: Sequence[CatalogFile] | Iterable[Source],
    *,
    acting_user: Any = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    parallel: bool = False,
) -> list[ServiceChanges]:
    """Validate then import every file in one transaction; a single problem writes nothing.

    A list of files is validated whole before anything is written. Any other iterable
    (of files, or of callables that read or make each: errors/catalog/prerender.py) is
    taken a file at a time, so that a
    catalog of a million codes in a hundred files never lies in memory at once: each file
    is validated and written in turn, and a problem in a later one rolls back what the
    earlier ones wrote (the files after it are still validated, to report every problem).
    A callable that cannot read its file raises `CatalogInvalid`, told with the rest.

    The history names `acting_user` (None for the command line) as the author, and
    records the import as one batch (one changelog entry per service).

    `parallel` (the import commands) lets a large stream read, check and render its
    later files in a worker process (errors/catalog/prerender.py): the calling script
    must keep its top level behind `if __name__ == "__main__":`, since the worker
    imports it. Web requests and other callers leave it off.
    """
    problems: list[Problem] = []
    batch = new_batch()
    results = []
    with transaction.atomic():
        listed = _listed(catalogs)
        if listed is not None:
            validate_catalogs(listed)
            lock_catalog(listed[0].data["service"]["slug"] if len(listed) == 1 else None)
            files = Prerendering(listed, check=False, parallel=parallel)
            each: Iterable[CatalogFile] = files
        else:
            lock_catalog(None)
            files = Prerendering(catalogs, parallel=parallel)
            each = validated(files, problems, check=files.problems_of)
        with files, import_page_cache(), _rare_full_collections(listed is None):
            for catalog in each:
                data = canonical_from_file(catalog.data)
                with render_cache.use(files.renders_of(catalog)):
                    results.append(_import_one(data, acting_user, progress=progress, batch=batch))
        if problems:
            raise CatalogInvalid(problems)  # rolls back what the earlier files wrote
        if dry_run:
            transaction.set_rollback(True)
        elif sum(changes.codes_written for changes in results) >= ANALYZE_AFTER_CODES:
            transaction.on_commit(refresh_statistics)
    return results


def _listed(catalogs: Sequence[CatalogFile] | Iterable[Source]) -> Sequence[CatalogFile] | None:
    """The files, if they were given as a list of parsed files (validated whole before
    anything is written), else None (a stream)."""
    if isinstance(catalogs, Sequence) and all(isinstance(item, CatalogFile) for item in catalogs):
        return cast(Sequence[CatalogFile], catalogs)
    return None


@contextmanager
def _rare_full_collections(streamed: bool) -> Iterator[None]:
    """While a stream of files is imported (the command line's imports), Python's cyclic
    garbage collector still collects its young generations as allocations pile up, but
    not the oldest: those full collections walked every object the import holds (files
    of 10,000 codes: 16 % of an import). Thresholds are given back after, failure or
    not. An import of a list of files (a publish, inside a web worker) is left alone."""
    if not streamed:
        yield
        return
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], FULL_COLLECTIONS_AFTER)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


# Young-generation collections between two full ones while a stream is imported.
FULL_COLLECTIONS_AFTER = 1_000_000


class ImportBusy(CatalogInvalid):
    """Another write to the catalog held it for longer than `IMPORT_LOCK_WAIT`; nothing
    was written (the admin and the command report it as a problem, the API answers 409)."""

    def __init__(self, slug: str | None) -> None:
        what = f"This publish of {slug!r}" if slug else "This import"
        self.detail = (
            f"{what} waited {IMPORT_LOCK_WAIT} s for another publish or edit of the catalog "
            "to finish: send it again when that one has finished."
        )
        super().__init__([Problem(slug or "", "", self.detail)])


# How long an import waits for another write to the catalog to finish (seconds).
IMPORT_LOCK_WAIT = 20


def lock_catalog(slug: str | None) -> None:
    """Hold the catalog until the transaction ends, so that imports run one at a time.

    Every write to the catalog bumps the one row of its version (errors/catalog_version.py),
    which PostgreSQL keeps locked until commit, so imports never ran together past their
    first write anyway. Taken first, that lock also keeps them apart before it (two imports
    of one service at once left a catalog holding both files' new codes, and racing
    creations answered a 500); and, being the one lock an import waits for, it cannot be
    held by two imports that each want what the other has, as locks taken service by
    service while files are streamed could. SQLite's IMMEDIATE transactions serialise
    every write already. `slug` names the service in the refusal, when there is one.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{IMPORT_LOCK_WAIT}s'")
        try:
            with transaction.atomic():
                cursor.execute(catalog_version.LOCK)
        except OperationalError as exc:  # lock_not_available
            raise ImportBusy(slug) from exc
        cursor.execute("SET LOCAL lock_timeout = 0")


# An import of this many codes changes the tables' sizes and word frequencies enough that
# the planner's statistics, and with them search's common words (pg_stats), should not
# wait for autovacuum (which may lag, or be off).
ANALYZE_AFTER_CODES = 1000
CATALOG_TABLES = (
    "errors_service", "errors_category", "errors_errorcode", "errors_example", "errors_search",
    "errors_search_aliases",
)  # fmt: skip


def refresh_statistics() -> None:
    """Bring the database's statistics of the catalog tables up to date, and on
    PostgreSQL their visibility maps, when not inside a transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # VACUUM marks the pages all-visible: until then, or until autovacuum (which
            # may lag, or be off), every index-only scan of search and browse reads the
            # table as well (search p95 164 ms before, 48 ms after, at 100,000 codes).
            # It cannot run in a transaction: an import inside an outer one analyzes.
            cursor.execute("VACUUM (ANALYZE) " + ", ".join(CATALOG_TABLES))
        elif connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(CATALOG_TABLES))
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")  # SQLite analyzes where it would help


def import_catalog_files(
    paths: Iterable[str | Path],
    *,
    acting_user: Any = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    parallel: bool = False,
) -> list[ServiceChanges]:
    """Read, validate and import files from disk, one file at a time (with `parallel`,
    a large import's later files are read beside it, in a worker: `import_catalogs`)."""
    return import_catalogs(
        (partial(read_catalog_file, path) for path in paths),
        acting_user=acting_user,
        dry_run=dry_run,
        progress=progress,
        parallel=parallel,
    )


def import_catalog_text(
    text: str,
    name: str,
    *,
    acting_user: Any = None,
    dry_run: bool = False,
    expected_slug: str | None = None,
) -> ServiceChanges:
    """Import one catalog given as text (an upload or an API request body)."""
    catalog = parse_catalog(text, name)
    validate_catalog(catalog)
    slug = catalog.data["service"]["slug"]
    if expected_slug is not None and slug != expected_slug:
        raise CatalogInvalid(
            [
                catalog.problem(
                    ("service", "slug"),
                    f"this file is the catalog of {slug!r}, not of {expected_slug!r}: "
                    "send it to that service's address.",
                )
            ]
        )
    return import_catalogs([catalog], acting_user=acting_user, dry_run=dry_run)[0]


def load_demo_catalogs(
    progress: Progress | None = None, *, reset: bool = False
) -> list[ServiceChanges]:
    """Import the demo catalogs shipped in errors/catalog/demo/ that are not loaded yet.

    A catalog file is the whole truth of its service, so importing a demo file again
    would undo every edit made to that service since: `reset` asks for exactly that.
    """
    paths = sorted(DEMO_CATALOG_DIR.glob("*.yaml"))
    if not reset:
        loaded = set(Service.objects.values_list("slug", flat=True))
        paths = [path for path in paths if path.stem not in loaded]
    return import_catalog_files(paths, progress=progress)


def _import_one(
    data: dict, acting_user: Any, *, progress: Progress | None, batch: UUID
) -> ServiceChanges:
    wanted = data["service"]
    service = Service.objects.filter(slug=wanted["slug"]).first()
    changes = ServiceChanges(slug=wanted["slug"], created=service is None)
    if service is None:
        service = Service(slug=wanted["slug"])
    elif canonical_service(service) != wanted:
        changes.service_changed = True
    if changes.created or changes.service_changed:
        _apply_service_fields(service, wanted)
        service.save()
    categories = _sync_categories(service, data["categories"], changes)
    _sync_errors(service, categories, data["errors"], changes, progress, acting_user, batch)
    _sync_guides(service, data["guides"], changes)
    return changes


def _apply_service_fields(service: Service, wanted: dict) -> None:
    for name in SERVICE_TEXT_FIELDS:
        setattr(service, name, wanted[name])
    envelope = wanted["envelope"]
    service.envelope_example = envelope["example"]
    service.envelope_fields = envelope["fields"]
    for name in ENVELOPE_POINTERS:
        setattr(service, name, envelope[name])
    service.envelope_alternatives = envelope["alternatives"]
    service.stability = wanted["stability"]
    service.search_synonyms = wanted["search_synonyms"]


def _sync_categories(
    service: Service, wanted: list[dict], changes: ServiceChanges
) -> dict[str, Category]:
    existing = {category.slug: category for category in service.categories.all()}
    result: dict[str, Category] = {}
    created: list[Category] = []
    for order, item in enumerate(wanted):
        category = existing.pop(item["slug"], None)
        current = (category.name, category.description, category.order) if category else None
        if category is None or current != (item["name"], item["description"], order):
            new = category is None
            category = category or Category(service=service, slug=item["slug"])
            category.name, category.description, category.order = (
                item["name"],
                item["description"],
                order,
            )
            if new:
                created.append(category)
            else:
                category.save()
            changes.categories_changed = True
        result[item["slug"]] = category
    _create_categories(created)
    if existing:
        Category.objects.filter(pk__in=[category.pk for category in existing.values()]).delete()
        changes.categories_changed = True
    return result


def _create_categories(created: list[Category]) -> None:
    """New categories in one statement (a save each was a round trip and a catalog-version
    trigger each: 50 categories a service, 5,000 statements in an import of 100 services),
    with their ids, which the codes point at."""
    for category in created:
        category.render_html()
    if connections[router.db_for_write(Category)].features.can_return_rows_from_bulk_insert:
        Category.objects.bulk_create(created)
    else:
        for category in created:
            category.save()


def _sync_guides(service: Service, wanted: list[dict], changes: ServiceChanges) -> None:
    existing = {guide.slug: guide for guide in service.guides.all()}
    for order, item in enumerate(wanted):
        guide = existing.pop(item["slug"], None)
        current = (
            (guide.title, guide.summary, guide.body, guide.order) if guide is not None else None
        )
        if current != (item["title"], item["summary"], item["body"], order):
            guide = guide or Guide(service=service, slug=item["slug"])
            guide.title, guide.summary, guide.body, guide.order = (
                item["title"],
                item["summary"],
                item["body"],
                order,
            )
            guide.save()
            changes.guides_changed = True
    if existing:
        Guide.objects.filter(pk__in=[guide.pk for guide in existing.values()]).delete()
        changes.guides_changed = True


def _sync_errors(
    service: Service,
    categories: dict[str, Category],
    wanted: list[dict],
    changes: ServiceChanges,
    progress: Progress | None,
    acting_user: Any = None,
    batch: UUID | None = None,
) -> None:
    existing = {error.code.lower(): error for error in errors_for_catalog(service)}
    to_create: list[ErrorCode] = []
    to_update: list[ErrorCode] = []
    history_added: list[tuple[ErrorCode, dict]] = []
    history_changed: list[tuple[ErrorCode, dict, dict]] = []
    new_examples: dict[str, list[dict]] = {}
    replacements: dict[str, str] = {}
    now = timezone.now()
    for position, item in enumerate(wanted):
        key = item["code"].lower()
        replacements[key] = item["replaced_by"]
        error = existing.pop(key, None)
        if error is None:
            error = ErrorCode(service=service)
            to_create.append(error)
            changes.added.append(item["code"])
            new_examples[key] = item["examples"]
            history_added.append((error, item))
        else:
            differences = diff_fields(canonical_error(error), item)
            if differences:
                changes.changed[item["code"]] = differences
                history_changed.append((error, differences, item))
                if "examples" in differences:
                    new_examples[key] = item["examples"]
            else:
                changes.unchanged += 1
            if not differences and error.order == position:
                if progress:
                    progress(1)
                continue
            to_update.append(error)
        _apply_error_fields(error, item, categories, position, now)
        if progress:
            progress(1)
    history_removed = [(error, canonical_error(error)) for error in existing.values()]
    if existing:
        changes.removed = sorted(error.code for error in existing.values())
        ErrorCode.objects.filter(pk__in=[error.pk for error in existing.values()]).delete()
    _write_codes_and_examples(to_create, to_update, new_examples)
    _link_replacements(service, replacements)
    # History hook: bulk writes bypass signals, so the import records its own revisions.
    record_import_revisions(
        service,
        history_added,
        history_changed,
        history_removed,
        now,
        acting_user=acting_user,
        batch=batch,
    )


def _apply_error_fields(
    error: ErrorCode, item: dict, categories: dict[str, Category], order: int, now: datetime
) -> None:
    # A changed code keeps the HTML of the texts that did not change: Markdown is the
    # dearest part of an import.
    stale = [
        name
        for name in ErrorCode.MARKDOWN_FIELDS
        if error._state.adding or getattr(error, name) != item[name]
    ]
    error.code = item["code"]
    error.http_status = item["http_status"]
    error.category = categories.get(item["category"]) if item["category"] else None
    for name in (*ERROR_TEXT_FIELDS, *ERROR_LIST_FIELDS, "published"):
        setattr(error, name, item[name])
    error.order = order
    error.updated_at = now
    error.render_html(stale)


def _link_replacements(service: Service, replacements: dict[str, str]) -> None:
    """Point `replaced_by` at codes that may have been created in the same import."""
    if not any(replacements.values()) and not (
        ErrorCode.objects.filter(service=service, replaced_by__isnull=False).exists()
    ):
        return  # nothing to point, nothing to clear: a new service's usual case
    rows = list(ErrorCode.objects.filter(service=service).only("pk", "code", "replaced_by_id"))
    pk_of = {error.code.lower(): error.pk for error in rows}
    changed = []
    for error in rows:
        target = pk_of.get(replacements.get(error.code.lower(), "").lower())
        if error.replaced_by_id != target:
            error.replaced_by_id = target
            changed.append(error)
    ErrorCode.objects.bulk_update(changed, ["replaced_by"], batch_size=500)


def _write_codes_and_examples(
    to_create: list[ErrorCode], to_update: list[ErrorCode], new_examples: dict[str, list[dict]]
) -> None:
    ids = reserve_ids(ErrorCode, len(to_create))
    if ids is None:
        # The new codes' ids come from their insert, and their examples need them.
        insert_rows(ErrorCode, to_create)
        _replace_examples(to_create, to_update, new_examples)
    else:
        # Examples first (their foreign key is checked at commit): the search trigger of
        # the codes' insert then indexes each new code once, with its examples, instead
        # of indexing it bare and again as each of its examples arrives.
        for error, pk in zip(to_create, ids, strict=True):
            error.pk = pk
        _replace_examples(to_create, to_update, new_examples)
        insert_rows(ErrorCode, to_create)
    ErrorCode.objects.bulk_update(to_update, ERROR_WRITE_FIELDS, batch_size=500)


def _replace_examples(
    created: list[ErrorCode], updated: list[ErrorCode], new_examples: dict[str, list[dict]]
) -> None:
    """Write the examples of new codes and replace those of changed codes that need it."""
    replaced = [error for error in updated if error.code.lower() in new_examples]
    if replaced:
        Example.objects.filter(error__in=replaced).delete()
    rows = [
        {
            "error_id": error.pk,
            "order": order,
            **item,
            **Example.rendered(item["description"], item["language"], item["body"]),
        }
        for error in created + replaced
        for order, item in enumerate(new_examples[error.code.lower()])
    ]
    insert_values(Example, rows)
