"""The history of error codes: record every change (admin, import, revert), revert to any
revision, restore deleted codes, and read it back as a service's changelog.

A revision stores the entry in catalog form (`errors.catalog.canonical.canonical_error`) after the
change plus the field diff, so reverting or restoring never needs the old row.

Revisions one write makes together (an import, a bulk action) share a `batch`, which the
changelog shows as one entry: a writer of several codes passes one `new_batch()` to each
call, or lets the function that writes them all make one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from errors.catalog.bulk_writes import insert_values
from errors.catalog.canonical import (
    ERROR_LIST_FIELDS,
    ERROR_TEXT_FIELDS,
    canonical_error,
    errors_for_catalog,
)
from errors.models import Category, ErrorCode, ErrorCodeRevision, Example, Service

Revision = ErrorCodeRevision
Snapshot = dict[str, Any]


class RevertRefused(Exception):
    """A revision cannot be applied; the message says why and what to do."""


def new_batch() -> uuid.UUID:
    """An id for the revisions of one write of several codes."""
    return uuid.uuid4()


def author(acting_user: Any) -> Any:
    """The user a revision names: the acting user when signed in, else nobody."""
    return acting_user if acting_user is not None and acting_user.is_authenticated else None


def snapshot_of(error: ErrorCode) -> Snapshot:
    """The entry in catalog form, read fresh from the database with its examples."""
    return canonical_error(errors_for_catalog(error.service).get(pk=error.pk))


def diff_snapshots(before: Snapshot, after: Snapshot) -> dict[str, list[Any]]:
    """`{field: [old, new]}` for every field that differs."""
    return {
        key: [before.get(key), value] for key, value in after.items() if before.get(key) != value
    }


def is_public(snapshot: Snapshot) -> bool:
    """Whether readers see a revision of this snapshot: not one of a draft."""
    return snapshot.get("published") is not False


def _revision(
    error: ErrorCode | None,
    service_id: int,
    code: str,
    action: str,
    snapshot: Snapshot,
    changes: dict | None = None,
    *,
    acting_user: Any = None,
    source: str = Revision.Source.ADMIN,
    when: datetime | None = None,
    batch: uuid.UUID | None = None,
) -> Revision:
    user = author(acting_user)
    values = _revision_values(
        error.pk if error is not None else None, service_id, code, action, snapshot, changes,
        user=user, source=source, when=when or timezone.now(), batch=batch or new_batch(),
    )  # fmt: skip
    revision = Revision(**values)
    revision.error, revision.user = error, user  # the objects at hand, not read again
    return revision


def _revision_values(
    error_id: int | None,
    service_id: int,
    code: str,
    action: str,
    snapshot: Snapshot,
    changes: dict | None,
    *,
    user: Any,
    source: str,
    when: datetime,
    batch: uuid.UUID,
) -> dict[str, Any]:
    """A revision's row, by field attname (what `insert_values` takes)."""
    return {
        "service_id": service_id,
        "error_id": error_id,
        "code": code,
        "action": action,
        "source": source,
        "changes": changes or {},
        "snapshot": snapshot,
        "public": is_public(snapshot),
        "user_id": user.pk if user is not None else None,
        "created_at": when,
        "batch": batch,
    }


def record_change(
    error: ErrorCode,
    before: Snapshot | None,
    *,
    acting_user: Any = None,
    source: str = Revision.Source.ADMIN,
    batch: uuid.UUID | None = None,
) -> Revision | None:
    """Record that `error` was added (`before` is None) or changed; nothing if it did not.

    `batch` joins the revision to the others of one write; a single edit has its own."""
    after = snapshot_of(error)
    if before is None:
        action, changes = Revision.Action.ADDED, {}
    else:
        action, changes = Revision.Action.CHANGED, diff_snapshots(before, after)
        if not changes:
            return None
    # Stamped with the row's updated_at: the change form's version token is that time.
    revision = _revision(
        error,
        error.service_id,
        error.code,
        action,
        after,
        changes,
        acting_user=acting_user,
        source=source,
        when=error.updated_at,
        batch=batch,
    )
    revision.save()
    return revision


def record_deletions(
    errors: Iterable[ErrorCode], *, acting_user: Any = None, batch: uuid.UUID | None = None
) -> None:
    """Record the deletion of codes about to be deleted (call it before deleting), as one
    batch."""
    batch = batch or new_batch()
    rows = [
        _revision(
            None, error.service_id, error.code, Revision.Action.DELETED, snapshot_of(error),
            acting_user=acting_user, batch=batch,
        )
        for error in errors
    ]  # fmt: skip
    Revision.objects.bulk_create(rows)


def record_import_revisions(
    service: Service,
    added: Sequence[tuple[ErrorCode, Snapshot]],
    changed: Sequence[tuple[ErrorCode, dict, Snapshot]],
    removed: Sequence[tuple[ErrorCode, Snapshot]],
    now: datetime | None = None,
    *,
    acting_user: Any = None,
    batch: uuid.UUID | None = None,
) -> None:
    """Bulk-record what a catalog import did, as one batch (`batch`, the import's, or a
    new one); the importer's bulk writes send no signals.

    `now` is the `updated_at` the import wrote, so revisions and rows share one time.
    """
    now = now or timezone.now()
    batch = batch or new_batch()
    common = {"user": author(acting_user), "source": Revision.Source.IMPORT.value,
              "when": now, "batch": batch}  # fmt: skip
    added_action, changed_action = Revision.Action.ADDED.value, Revision.Action.CHANGED.value
    rows = [
        _revision_values(error.pk, service.pk, item["code"], added_action, item, None, **common)
        for error, item in added
    ]
    rows += [
        _revision_values(
            error.pk,
            service.pk,
            item["code"],
            changed_action,
            item,
            {key: [old, new] for key, (old, new) in differences.items()},
            **common,
        )
        for error, differences, item in changed
    ]
    rows += [
        _revision_values(None, service.pk, item["code"], Revision.Action.DELETED.value, item, None,
                         **common)
        for _, item in removed
    ]  # fmt: skip
    insert_values(Revision, rows)


def history_of(error: ErrorCode) -> QuerySet[Revision]:
    """Every revision of a code, newest first, including those from before a deletion."""
    return (
        Revision.objects.filter(service_id=error.service_id, code__iexact=error.code)
        .select_related("user")
        .order_by("-created_at", "-pk")
    )


def deleted_codes(service: Service | None = None) -> list[Revision]:
    """The latest deletion revision of every code that does not exist now."""
    rows = Revision.objects.filter(action=Revision.Action.DELETED).select_related("service", "user")
    if service is not None:
        rows = rows.filter(service=service)
    existing = {
        (service_id, code.lower())
        for service_id, code in ErrorCode.objects.values_list("service_id", "code")
    }
    latest: dict[tuple[int, str], Revision] = {}
    for revision in rows.order_by("created_at", "pk"):
        latest[(revision.service_id, revision.code.lower())] = revision
    return [
        revision
        for key, revision in sorted(latest.items(), key=lambda item: item[1].created_at)
        if key not in existing
    ][::-1]


def changes_since(error: ErrorCode, since: datetime) -> list[Revision]:
    """Revisions of `error` recorded after `since` (what another editor did meanwhile)."""
    return list(history_of(error).filter(created_at__gt=since).order_by("created_at", "pk"))


@transaction.atomic
def do_revert(
    revision: Revision, *, acting_user: Any = None, batch: uuid.UUID | None = None
) -> ErrorCode:
    """Bring a code back to the state a revision recorded, recreating it if it was deleted.

    Reverting to a deletion revision restores the code as it was when it was deleted. A
    caller reverting several codes at once passes them one `batch`.
    """
    service = revision.service
    state = revision.snapshot
    if revision.action == Revision.Action.DELETED:
        if service.errors.with_code(state["code"]).exists():
            raise RevertRefused(
                f"{service.slug} already has a code {state['code']!r}: rename or delete it "
                "before restoring this one."
            )
        error, before = ErrorCode(service=service), None
    else:
        found = revision.error or service.errors.with_code(revision.code).first()
        if found is None:
            raise RevertRefused(
                f"{revision.code!r} no longer exists: restore it from the deleted codes first."
            )
        error = found
        if (
            state["code"].lower() != error.code.lower()
            and service.errors.with_code(state["code"]).exclude(pk=error.pk).exists()
        ):
            raise RevertRefused(
                f"another code of {service.slug} is now called {state['code']!r}: rename it first."
            )
        before = snapshot_of(error)
    apply_snapshot(error, state)
    revision_row = record_change(
        error, before, acting_user=acting_user, source=Revision.Source.REVERT, batch=batch
    )
    if revision_row is not None and revision.action == Revision.Action.DELETED:
        # A restored code reads as "added" in the changelog, not as an edit.
        revision_row.action = Revision.Action.ADDED
        revision_row.save(update_fields=["action"])
    return error


def apply_snapshot(error: ErrorCode, state: Snapshot) -> None:
    """Write a catalog-form entry onto `error` (saved) and replace its examples."""
    service = error.service
    error.code = state["code"]
    error.http_status = state["http_status"]
    error.category = (
        Category.objects.filter(service=service, slug=state["category"]).first()
        if state["category"]
        else None
    )
    error.replaced_by = (
        service.errors.with_code(state["replaced_by"]).exclude(pk=error.pk).first()
        if state["replaced_by"]
        else None
    )
    for name in (*ERROR_TEXT_FIELDS, *ERROR_LIST_FIELDS, "published"):
        # Revisions recorded before a list field existed (operations) restore it empty.
        setattr(error, name, state.get(name, []) if name in ERROR_LIST_FIELDS else state[name])
    error.save()
    error.examples.all().delete()
    for order, item in enumerate(state["examples"]):
        Example(error=error, order=order, **item).save()


def service_changelog(service: Service) -> QuerySet[Revision]:
    """A service's revisions, newest first, for its public changelog."""
    return Revision.objects.filter(service=service).order_by("-created_at", "-pk")


@transaction.atomic
def do_update_codes(
    errors: Iterable[ErrorCode],
    *,
    acting_user: Any = None,
    batch: uuid.UUID | None = None,
    **values: Any,
) -> int:
    """Set fields on several codes (the admin's bulk actions), recording each change; the
    changes are one batch however long the writes take."""
    for name in values:
        ErrorCode._meta.get_field(name)  # FieldDoesNotExist for a misspelt field
    batch = batch or new_batch()
    count = 0
    for error in errors:
        before = snapshot_of(error)
        for name, value in values.items():
            setattr(error, name, value)
        error.save()
        if record_change(error, before, acting_user=acting_user, batch=batch) is not None:
            count += 1
    return count
