"""Terminal output shared by the catalog commands."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.management.base import BaseCommand, CommandError
from django.db.models import QuerySet

from errors.catalog.importer import ServiceChanges
from errors.models import Service


def chosen_services(slug: str | None) -> QuerySet[Service]:
    """Every service by slug, or the one `--service SLUG` names; an unknown slug is an
    error that lists the known ones."""
    services = Service.objects.order_by("slug")
    if not slug:
        return services
    chosen = services.filter(slug=slug)
    if not chosen:
        known = ", ".join(services.values_list("slug", flat=True))
        raise CommandError(f"No service {slug!r}. Known services: {known or 'none'}.")
    return chosen


def describe_changes(changes: ServiceChanges) -> str:
    """One line: `sigsentry: 3 added, 1 changed, 0 removed, 26 unchanged`."""
    state = (
        "new service"
        if changes.created
        else ("service details changed" if changes.service_changed else "")
    )
    parts = [
        f"{len(changes.added)} added",
        f"{len(changes.changed)} changed",
        f"{len(changes.removed)} removed",
        f"{changes.unchanged} unchanged",
    ]
    if changes.categories_changed:
        parts.append("categories changed")
    if changes.guides_changed:
        parts.append("guides changed")
    suffix = f" ({state})" if state else ""
    return f"{changes.slug}: {', '.join(parts)}{suffix}"


LISTED = 50  # codes listed per kind of change; a larger import is summed up


def change_lines(changes: ServiceChanges) -> list[str]:
    """One line per code added, changed (with the fields) or removed."""
    rows = [f"+ {code}" for code in changes.added]
    rows += [f"~ {code}: {', '.join(fields)}" for code, fields in sorted(changes.changed.items())]
    rows += [f"- {code}" for code in changes.removed]
    if len(rows) > LISTED:
        rows = [*rows[:LISTED], f"... and {len(rows) - LISTED} more"]
    return rows


def write_changes(command: BaseCommand, results: Sequence[ServiceChanges], dry_run: bool) -> None:
    """Print a line per service, the codes removed, and a closing verdict."""
    for changes in results:
        command.stdout.write(describe_changes(changes))
        for line in change_lines(changes):
            command.stdout.write(f"  {line}")
    if dry_run:
        command.stdout.write(command.style.WARNING("Dry run: nothing was written."))
    elif not any(changes.has_changes for changes in results):
        command.stdout.write(command.style.SUCCESS("Everything was already up to date."))
    else:
        command.stdout.write(command.style.SUCCESS(f"Imported {len(results)} catalog(s)."))
