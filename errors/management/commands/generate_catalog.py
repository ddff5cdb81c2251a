"""`manage.py generate_catalog`: synthetic catalogs for benchmarks."""

from __future__ import annotations

import time
from functools import partial
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from errors.catalog.export import dump_catalog
from errors.catalog.importer import import_catalogs
from errors.catalog.synthetic import synthetic_catalogs, synthetic_file


class Command(BaseCommand):
    help = (
        "Generate synthetic catalogs (realistic field lengths and text) and import them, "
        "or write them as files with -o DIRECTORY."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--services", type=int, default=10)
        parser.add_argument("--codes-per-service", type=int, default=100)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")
        parser.add_argument("-o", "--output", metavar="DIRECTORY",
                            help="Write files here instead of importing.")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        total = options["services"] * options["codes_per_service"]
        if options["output"]:
            folder = Path(options["output"])
            folder.mkdir(parents=True, exist_ok=True)
            catalogs = synthetic_catalogs(
                options["services"], options["codes_per_service"], options["seed"]
            )
            for data in catalogs:
                path = folder / f"{data['service']['slug']}.{options['format']}"
                path.write_text(dump_catalog(data, options["format"]), encoding="utf-8")
            self.stdout.write(f"Wrote {options['services']} files ({total} codes) to {folder}")
            return
        # Each catalog is made as the import reaches it, so a million codes never lie in
        # memory at once (the time below includes making them); a large import's later
        # catalogs are made beside it, in the worker that renders them.
        files = (
            partial(synthetic_file, index, options["codes_per_service"], options["seed"])
            for index in range(options["services"])
        )
        started = time.perf_counter()
        with tqdm(total=total, unit="code", file=self.stderr, disable=total < 1000) as bar:
            import_catalogs(files, progress=bar.update, parallel=True)
        seconds = time.perf_counter() - started
        self.stdout.write(f"Imported {total} codes in {options['services']} services "
                          f"in {seconds:.1f} s")  # fmt: skip
