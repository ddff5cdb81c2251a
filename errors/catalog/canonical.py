"""One canonical form for both sides of a catalog: a file's content with every default
filled in, and the database's rows read back, as the same dictionaries."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from errors.codes import reason_phrase
from errors.models import ErrorCode, Example, Service

ENVELOPE_POINTERS = (
    "code_pointer",
    "message_pointer",
    "details_pointer",
    "request_id_pointer",
    "status_pointer",
)
SERVICE_TEXT_FIELDS = (
    "name",
    "summary",
    "description",
    "owner_team",
    "contact",
    "base_url",
    "code_pattern",
)
ERROR_TEXT_FIELDS = (
    "title",
    "summary",
    "description",
    "resolution",
    "retry",
    "retry_delay_from",
    "details_shape",
    "lifecycle",
    "lifecycle_since",
)
ERROR_LIST_FIELDS = ("aliases", "messages", "tags", "operations")


def canonical_from_file(data: dict) -> dict:
    """A validated file's content with every default filled in, in a fixed key order."""
    service = data["service"]
    envelope = service.get("envelope", {})
    return {
        "service": {
            "slug": service["slug"],
            **{name: service.get(name, "") for name in SERVICE_TEXT_FIELDS},
            "envelope": {
                "example": envelope.get("example", ""),
                "fields": [_canonical_field(item) for item in envelope.get("fields", [])],
                **{name: envelope.get(name, "") for name in ENVELOPE_POINTERS},
                "alternatives": [
                    _canonical_alternative(item) for item in envelope.get("alternatives", [])
                ],
            },
            "stability": service.get("stability", ""),
            "search_synonyms": _canonical_synonyms(service.get("search_synonyms", [])),
        },
        "categories": [
            {
                "slug": item["slug"],
                "name": item["name"],
                "description": item.get("description", ""),
            }
            for item in data.get("categories", [])
        ],
        "errors": [_canonical_error(item) for item in data.get("errors", [])],
        "guides": [
            {
                "slug": item["slug"],
                "title": item["title"],
                "summary": item.get("summary", ""),
                "body": item["body"],
            }
            for item in data.get("guides", [])
        ],
    }


def _canonical_field(item: dict) -> dict:
    return {
        "name": item["name"],
        "type": item.get("type", ""),
        "description": item.get("description", ""),
    }


def default_title(code: str, http_status: int | None) -> str:
    """A status-only entry is titled by its reason phrase, any other by its code."""
    if code.isascii() and code.isdigit() and http_status is not None and int(code) == http_status:
        return reason_phrase(http_status) or code
    return code


def _canonical_error(item: dict) -> dict:
    code = str(item["code"])
    status = item.get("http_status")
    return {
        "code": code,
        "http_status": status,
        "category": item.get("category", ""),
        "title": item.get("title") or default_title(code, status),
        "summary": item.get("summary", ""),
        "description": item.get("description", ""),
        "resolution": item.get("resolution", ""),
        "retry": item.get("retry", ErrorCode.Retry.NOT_STATED.value),
        "retry_delay_from": item.get("retry_delay_from", ""),
        "details_shape": item.get("details_shape", ""),
        "lifecycle": item.get("lifecycle", ErrorCode.Lifecycle.ACTIVE.value),
        "lifecycle_since": item.get("lifecycle_since", ""),
        "replaced_by": str(item.get("replaced_by") or ""),
        "aliases": list(item.get("aliases", [])),
        "messages": list(item.get("messages", [])),
        "tags": list(item.get("tags", [])),
        "operations": [canonical_operation(op) for op in item.get("operations", [])],
        "published": item.get("published", True),
        "examples": [
            {
                "title": example.get("title", ""),
                "language": example.get("language", Example.Language.JSON.value),
                "body": example["body"],
                "description": example.get("description", ""),
            }
            for example in item.get("examples", [])
        ],
    }


def canonical_operation(item: dict) -> dict:
    """An operation as `{"method": "POST", "path": "/v1/orders"}`: the method upper case."""
    return {"method": str(item["method"]).upper(), "path": str(item["path"])}


def canonical_service(service: Service) -> dict:
    """The `service` part of a catalog, from the database."""
    return {
        "slug": service.slug,
        **{name: getattr(service, name) for name in SERVICE_TEXT_FIELDS},
        "envelope": {
            "example": service.envelope_example,
            "fields": [_canonical_field(item) for item in service.envelope_fields],
            **{name: getattr(service, name) for name in ENVELOPE_POINTERS},
            "alternatives": [
                _canonical_alternative(item) for item in service.envelope_alternatives or []
            ],
        },
        "stability": service.stability,
        "search_synonyms": _canonical_synonyms(service.search_synonyms or []),
    }


def _canonical_alternative(item: dict) -> dict:
    """One more envelope of a service: its pointers, every one present."""
    return {name: str(item.get(name, "")) for name in ENVELOPE_POINTERS}


def _canonical_synonyms(groups: list) -> list[list[str]]:
    """Synonym groups as words in lower case, each once."""
    return [list(dict.fromkeys(str(word).lower() for word in group)) for group in groups]


def canonical_error(error: ErrorCode) -> dict:
    """One error code in catalog form; expects category, replaced_by and examples loaded."""
    return {
        "code": error.code,
        "http_status": error.http_status,
        "category": error.category.slug if error.category is not None else "",
        "title": error.title,
        "summary": error.summary,
        "description": error.description,
        "resolution": error.resolution,
        "retry": error.retry,
        "retry_delay_from": error.retry_delay_from,
        "details_shape": error.details_shape,
        "lifecycle": error.lifecycle,
        "lifecycle_since": error.lifecycle_since,
        "replaced_by": error.replaced_by.code if error.replaced_by is not None else "",
        "aliases": list(error.aliases),
        "messages": list(error.messages),
        "tags": list(error.tags),
        "operations": [canonical_operation(op) for op in error.operations],
        "published": error.published,
        "examples": [
            {
                "title": example.title,
                "language": example.language,
                "body": example.body,
                "description": example.description,
            }
            for example in error.examples.all()
        ],
    }


def errors_for_catalog(service: Service) -> QuerySet[ErrorCode]:
    """The service's codes with everything `canonical_error` reads, in catalog order."""
    return (
        service.errors.select_related("category", "replaced_by")
        .prefetch_related(Prefetch("examples", queryset=Example.objects.order_by("order", "pk")))
        .order_by("order", "pk")
    )


def canonical_from_db(service: Service, *, drafts: bool = True) -> dict:
    """A service's whole catalog, from the database, in canonical form; without its drafts
    (and without pointers to them) when `drafts` is False."""
    errors = [canonical_error(error) for error in errors_for_catalog(service)]
    if not drafts:
        errors = [error for error in errors if error["published"]]
        public = {error["code"] for error in errors}
        for error in errors:
            if error["replaced_by"] and error["replaced_by"] not in public:
                error["replaced_by"] = ""
    return {
        "service": canonical_service(service),
        "categories": [
            {"slug": item.slug, "name": item.name, "description": item.description}
            for item in service.categories.order_by("order", "pk")
        ],
        "errors": errors,
        "guides": [
            {"slug": item.slug, "title": item.title, "summary": item.summary, "body": item.body}
            for item in service.guides.order_by("order", "pk")
        ],
    }
