"""Checks over the catalog in the database: the rules catalog files must follow (errors)
plus the gaps a reader would trip on (warnings).

`lint_catalog` feeds the management command; `error_findings` feeds the admin, which
shows each entry's problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

import regex
from django.core.exceptions import ValidationError
from django.utils.html import strip_tags

from errors.catalog.canonical import errors_for_catalog
from errors.catalog.validation import example_body_problems
from errors.code_patterns import PatternTooSlow, code_matches
from errors.identify import identify
from errors.models import ErrorCode, Service
from errors.retry_rules import rule_problem
from errors.validators import validate_code

ERROR = "error"
WARNING = "warning"
# Identifies examples among drafts too: an editor checks a draft before publishing it.
CATALOG_READER = SimpleNamespace(is_active=True, is_staff=True)
# Example languages whose body is what arrives on the wire.
WIRE_LANGUAGES = ("json", "http")


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


def error_findings(error: ErrorCode, *, identify_examples: bool = True) -> list[Finding]:
    """Every finding of one code; expects `service`, `replaced_by` and `examples` loaded.

    `identify_examples=False` leaves out the one check that reads the database (identify
    reads the entries it finds), for lists that show many codes."""
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
        problems = example_body_problems(
            entry_of(error), envelope_of(service), example.language, example.body
        )
        # An example that disagrees with its entry already says why it would mislead.
        if identify_examples and not problems:
            problems = [identifies_elsewhere(error, example.language, example.body)]
        for message in filter(None, problems):
            add(ERROR, f"example {number}", message)
    if not error.resolution.strip():
        add(WARNING, "resolution", "no resolution: say what the caller should do.")
    elif _plain(error.resolution) in {_plain(error.summary), _plain(error.description)}:
        add(
            WARNING,
            "resolution",
            "the resolution repeats the meaning word for word: say what the caller should "
            "do, or leave it empty if the documentation does not say.",
        )
    problem = rule_problem(error.retry, f"{error.resolution}\n{error.description}")
    if problem is not None:
        add(problem[0], "retry", problem[1])
    if not examples:
        add(WARNING, "examples", "no example: add the body the API answers with.")
    if error.lifecycle == ErrorCode.Lifecycle.DEPRECATED and not error.replaced_by_id:
        add(WARNING, "replaced_by", "deprecated without a replacement: name the code to use.")
    return findings


def _plain(text: str) -> str:
    """Text as a reader compares it: no Markdown marks, case, spacing or end punctuation."""
    words = re.sub(r"[`*_#>\[\]()]", "", strip_tags(text)).casefold().split()
    return " ".join(words).rstrip(".!;: ")


def identifies_elsewhere(error: ErrorCode, language: str, body: str) -> str:
    """Why an example body would not be identified as its own entry, or ''.

    A reader pastes what arrived on the wire into identify; the catalog's own example must
    lead back to the entry that shows it."""
    if language not in WIRE_LANGUAGES or not body.strip():
        return ""
    found = identify(
        body, status=error.http_status, service=error.service.slug, user=CATALOG_READER, limit=3
    )
    if not found:
        return (
            "identify does not recognise this example as any entry: give the entry the "
            "example's message under messages, or put the code where the envelope says."
        )
    best = found[0]
    if best.error.pk == error.pk or any(
        item.error.pk == error.pk and item.confidence >= best.confidence for item in found
    ):
        return ""
    return (
        f"identify takes this example for {best.error.code} ({best.reason}), not for this "
        "entry: fix the example's code or message, or move it to its own entry."
    )


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
