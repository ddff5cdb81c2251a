"""Do a spec and a service's catalog agree? The codes the spec documents that the
catalog lacks, the entries the spec never mentions, and the codes whose status differs:
a CI job runs `manage.py check_openapi` to keep the two in step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from errors.models import Service
from errors.openapi.document import Spec
from errors.openapi.to_catalog import spec_to_catalog


@dataclass
class Agreement:
    """Where a spec and a catalog disagree; empty lists mean they agree."""

    service: str
    missing_in_catalog: list[str] = field(default_factory=list)
    missing_in_spec: list[str] = field(default_factory=list)
    status_differs: list[tuple[str, int | None, int | None]] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        """True when nothing differs."""
        return not (self.missing_in_catalog or self.missing_in_spec or self.status_differs)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "service": self.service,
            "agrees": self.agrees,
            "missing_in_catalog": self.missing_in_catalog,
            "missing_in_spec": self.missing_in_spec,
            "status_differs": [
                {"code": code, "spec": spec, "catalog": catalog}
                for code, spec, catalog in self.status_differs
            ],
        }

    def lines(self) -> list[str]:
        """The report, one finding a line."""
        out = [f"in the spec, not in the catalog: {code}" for code in self.missing_in_catalog]
        out += [f"in the catalog, not in the spec: {code}" for code in self.missing_in_spec]
        out += [
            f"status differs: {code}: spec {spec or 'none'}, catalog {catalog or 'none'}"
            for code, spec, catalog in self.status_differs
        ]
        return out


def check_agreement(spec: Spec, service: Service) -> Agreement:
    """Compare what `spec` documents with `service`'s catalog (drafts included)."""
    found = spec_to_catalog(spec, service.slug)
    in_spec = {entry["code"].lower(): entry for entry in found.data["errors"]}
    in_catalog = {
        code.lower(): (code, status)
        for code, status in service.errors.values_list("code", "http_status")
    }
    agreement = Agreement(service=service.slug)
    for key, entry in in_spec.items():
        if key not in in_catalog:
            agreement.missing_in_catalog.append(entry["code"])
            continue
        code, status = in_catalog[key]
        if entry["http_status"] is not None and entry["http_status"] != status:
            agreement.status_differs.append((code, entry["http_status"], status))
    agreement.missing_in_spec = sorted(
        code for key, (code, _) in in_catalog.items() if key not in in_spec
    )
    return agreement
