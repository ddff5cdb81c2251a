"""`manage.py check_openapi SPEC --service SLUG`: exits non-zero when spec and catalog
disagree."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from errors.catalog.problems import CatalogInvalid
from errors.management.output import chosen_services
from errors.openapi.check import check_agreement
from errors.openapi.importer import read_spec


class Command(BaseCommand):
    help = (
        "Compare an OpenAPI spec with a service's catalog: codes the catalog lacks, entries "
        "the spec never mentions, codes whose status differs. Exits 1 when they disagree."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("spec", metavar="SPEC")
        parser.add_argument("--service", metavar="SLUG", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        service = chosen_services(options["service"]).get()
        try:
            agreement = check_agreement(read_spec(options["spec"]), service)
        except CatalogInvalid as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError("The spec cannot be read: fix it and run again.") from exc
        for line in agreement.lines():
            self.stdout.write(line)
        if not agreement.agrees:
            raise CommandError(
                f"{options['spec']} and the catalog of {service.slug} disagree "
                f"({len(agreement.lines())} differences)."
            )
        self.stdout.write(f"{options['spec']} and the catalog of {service.slug} agree.")
