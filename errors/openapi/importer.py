"""Importing a spec: read it, turn its errors into a catalog, merge that onto the
service's current catalog, and hand the result to the catalog importer (all or nothing,
a diff on dry run, history recorded). No second importer: the catalog's is the one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.utils.text import slugify

from errors.catalog.canonical import canonical_from_db
from errors.catalog.export import compact, dump_catalog
from errors.catalog.files import YAML_LOADER, CatalogFile
from errors.catalog.importer import ServiceChanges, import_catalogs
from errors.catalog.validation import validate_catalog
from errors.models import Service
from errors.openapi.document import Spec, check_spec, parse_spec, spec_problem
from errors.openapi.merge import merge_catalogs
from errors.openapi.to_catalog import SpecCatalog, spec_to_catalog
from errors.validators import SLUG_VALIDATOR


@dataclass
class OpenApiImport:
    """What importing a spec did (or, on a dry run, would do)."""

    changes: ServiceChanges | None
    catalog: dict[str, Any]
    spec_catalog: SpecCatalog

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the API answers this)."""
        envelope = self.spec_catalog.envelope
        return {
            **(self.changes.as_dict() if self.changes else {}),
            "codes_in_spec": len(self.spec_catalog.codes),
            "status_only": self.spec_catalog.status_only,
            "envelope": {
                "code_pointer": envelope.code_pointer,
                "message_pointer": envelope.message_pointer,
                "details_pointer": envelope.details_pointer,
                "request_id_pointer": envelope.request_id_pointer,
                "status_pointer": envelope.status_pointer,
            },
            "warnings": self.spec_catalog.warnings,
        }


def read_spec(path: str | Path) -> Spec:
    """Read and parse a spec file from disk."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise spec_problem(str(path), "", "no such file.") from exc
    except UnicodeDecodeError as exc:
        raise spec_problem(str(path), "", "the file is not UTF-8 text: save it as UTF-8.") from exc
    return parse_spec(text, str(path))


def catalog_from_spec(spec: Spec, slug: str) -> tuple[dict[str, Any], SpecCatalog]:
    """The catalog the service `slug` would have after importing `spec`: the spec's
    errors merged onto its current catalog, in the catalog file format."""
    try:
        SLUG_VALIDATOR(slug)
    except Exception as exc:
        raise spec_problem(
            spec.name,
            "--service",
            f"{slug!r} is not a slug: use lowercase letters, digits, hyphens.",
        ) from exc
    spec_catalog = spec_to_catalog(spec, slug)
    service = Service.objects.filter(slug=slug).first()
    current = canonical_from_db(service) if service is not None else None
    merged = merge_catalogs(current, spec_catalog.data, spec_catalog.stated)
    return compact(merged), spec_catalog


def import_openapi(
    spec: Spec,
    slug: str,
    *,
    acting_user: Any = None,
    dry_run: bool = False,
) -> OpenApiImport:
    """Import `spec`'s errors into the service `slug` (created, named from `info.title`,
    when it does not exist yet) through the catalog importer."""
    data, spec_catalog = catalog_from_spec(spec, slug)
    catalog = CatalogFile(name=spec.name, data=data)
    changes = import_catalogs([catalog], acting_user=acting_user, dry_run=dry_run)[0]
    return OpenApiImport(changes=changes, catalog=data, spec_catalog=spec_catalog)


def catalog_text_for_upload(text: str, name: str, slug: str = "") -> tuple[str, str] | None:
    """For the admin's catalog upload: an OpenAPI spec as the catalog text (and its file
    name) that importing it would apply, or None when `text` is not a spec. The service
    is `slug`, or the slug of the spec's `info.title`."""
    try:
        data = yaml.load(text, Loader=YAML_LOADER)
    except (yaml.YAMLError, RecursionError):
        return None  # the catalog reader says what is wrong with it
    if not (isinstance(data, dict) and ("openapi" in data or "swagger" in data)):
        return None
    spec = check_spec(data, name)
    slug = slug or slugify(str(spec.data["info"].get("title") or ""))[:60] or "service"
    catalog, _ = catalog_from_spec(spec, slug)
    return dump_catalog(catalog), f"{slug}.yaml"


def write_catalog(spec: Spec, slug: str) -> OpenApiImport:
    """The catalog without importing it (`-o catalog.yaml`), checked as an import would."""
    data, spec_catalog = catalog_from_spec(spec, slug)
    validate_catalog(CatalogFile(name=spec.name, data=data))
    return OpenApiImport(changes=None, catalog=data, spec_catalog=spec_catalog)
