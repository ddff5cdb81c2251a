"""The OpenAPI import at size (issue 17): a generated spec of about 2 MB, imported into a
new service, then imported again unchanged.

    python benchmarks/openapi_bench.py      # SQLite: benchmarks/.bench-openapi.sqlite3
    python benchmarks/openapi_bench.py \
        --database-url postgres://postgres@127.0.0.1:5432/portal_bench_openapi

It writes only to its own benchmark database (created afresh), never the development one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = ROOT / "benchmarks" / ".bench-openapi.sqlite3"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=f"sqlite:///{DEFAULT_SQLITE}")
    parser.add_argument("--bytes", type=int, default=2_000_000)
    parser.add_argument("--codes", type=int, default=1000)
    options = parser.parse_args()
    if options.database_url.startswith("sqlite:///"):
        Path(options.database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = options.database_url
    os.environ.setdefault("DJANGO_DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from errors.openapi.document import parse_spec
    from errors.openapi.importer import import_openapi
    from errors.openapi.synthetic import synthetic_spec

    call_command("migrate", verbosity=0)
    if not options.database_url.startswith("sqlite"):
        call_command("flush", interactive=False, verbosity=0)
    text = synthetic_spec(size=options.bytes, codes=options.codes)
    print(f"spec: {len(text.encode()):,} bytes, {options.codes} codes")
    for label in ("first import (new service)", "second import (unchanged)"):
        started, cpu = time.perf_counter(), time.process_time()
        spec = parse_spec(text, "synthetic.yaml")
        parsed = time.perf_counter()
        result = import_openapi(spec, "synthetic")
        done, cpu = time.perf_counter(), time.process_time() - cpu
        changes = result.changes
        assert changes is not None
        print(
            f"{label}: {done - started:.2f} s (parse {parsed - started:.2f} s, read and "
            f"import {done - parsed:.2f} s; this process's CPU {cpu:.2f} s); "
            f"{len(changes.added)} added, "
            f"{len(changes.changed)} changed, {changes.unchanged} unchanged"
        )


if __name__ == "__main__":
    main()
