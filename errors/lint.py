"""Checks over the catalog in the database: the rules catalog files must follow (errors)
plus the gaps a reader would trip on (warnings).

`lint_catalog` feeds the management command; `error_findings` feeds the admin, which
shows each entry's problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import regex
from django.core.exceptions import ValidationError

from errors.catalog.canonical import errors_for_catalog
from errors.catalog.validation import example_body_problems
from errors.code_patterns import PatternTooSlow, code_matches
from errors.models import ErrorCode, Service, validate_code

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem of one entry."""

    level: str
    service: str
    code: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: {self.service} {self.code} > {self.field}: {self.message}"


def envelope_of(service: Service) -> dict[str, str]:
    """The service's envelope pointers, in the shape errors.catalog reads."""
    return {"code_pointer": service.code_pointer, "status_pointer": service.status_pointer}


def entry_of(error: ErrorCode) -> dict:
    """The parts of an entry that examples are checked against."""
    return {"code": error.code, "aliases": list(error.aliases), "http_status": error.http_status}


def error_findings(error: ErrorCode) -> list[Finding]:
    """Every finding of one code; expects `service`, `replaced_by` and `examples` loaded."""
    service = error.service
    findings: list[Finding] = []

    def add(level: str, field: str, message: str) -> None:
        findings.append(Finding(level, service.slug, error.code, field, message))

    try:
        validate_code(error.code)
    except ValidationError as exc:
        add(ERROR, "code", exc.messages[0])
    pattern = service.code_pattern
    if pattern and not _matches(pattern, error.code):
        add(ERROR, "code", f"{error.code!r} does not match the service's code pattern {pattern!r}.")
    if error.http_status is not None and not 100 <= error.http_status <= 599:
        add(ERROR, "http_status", f"{error.http_status} is not an HTTP status: use 100-599.")
    examples = list(error.examples.all())
    for number, example in enumerate(examples, start=1):
        for message in example_body_problems(
            entry_of(error), envelope_of(service), example.language, example.body
        ):
            add(ERROR, f"example {number}", message)
    if not error.resolution.strip():
        add(WARNING, "resolution", "no resolution: say what the caller should do.")
    if not examples:
        add(WARNING, "examples", "no example: add the body the API answers with.")
    if error.lifecycle == ErrorCode.Lifecycle.DEPRECATED and not error.replaced_by_id:
        add(WARNING, "replaced_by", "deprecated without a replacement: name the code to use.")
    return findings


def _matches(pattern: str, code: str) -> bool:
    try:
        return code_matches(pattern, code)
    except (re.error, regex.error):
        return True  # the pattern itself is reported by the Service form
    except PatternTooSlow:
        return False


def lint_service(service: Service) -> list[Finding]:
    """Every finding of one service's codes, in catalog order."""
    errors = list(errors_for_catalog(service))
    findings: list[Finding] = []
    for error in errors:
        error.service = service
        findings += error_findings(error)
    return findings + name_collisions(service, errors)


def name_collisions(service: Service, errors: list[ErrorCode]) -> list[Finding]:
    """Aliases that repeat a code or another alias of the service, ignoring case; a
    client could not tell those entries apart (catalog files refuse them too)."""
    owner = {error.code.lower(): error.code for error in errors}
    findings = []
    for error in errors:
        for alias in error.aliases:
            key = str(alias).lower()
            if key in owner and owner[key] != error.code:
                findings.append(
                    Finding(
                        ERROR,
                        service.slug,
                        error.code,
                        "aliases",
                        f"the alias {alias!r} is already used by {owner[key]}: codes and "
                        "aliases must be unique in a service, ignoring case.",
                    )
                )
            owner.setdefault(key, error.code)
    return findings


def lint_catalog(services: Iterable[Service] | None = None) -> list[Finding]:
    """Every finding of the given services (all by default)."""
    services = Service.objects.order_by("slug") if services is None else services
    return [finding for service in services for finding in lint_service(service)]
