"""Synthetic catalogs for benchmarks: many services and codes, realistic in field lengths
and text, the same for the same seed."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator

from errors.catalog.files import CatalogFile

RESOURCES = [
    "invoice", "customer", "subscription", "payment", "refund", "order", "shipment", "product",
    "price", "coupon", "account", "project", "workspace", "member", "role", "token", "webhook",
    "event", "report", "export", "upload", "file", "folder", "dataset", "model", "job", "run",
    "pipeline", "artifact", "deployment", "cluster", "node", "volume", "snapshot", "backup",
    "alert", "incident", "ticket", "comment", "message", "channel", "thread", "session",
    "device", "certificate", "domain", "record", "policy", "quota", "plan", "license",
]  # fmt: skip
PROBLEMS = [
    ("NOT_FOUND", 404, "does not exist", "Check the {r} id; it may have been deleted.",
     "{r} {id} not found", "never"),
    ("ALREADY_EXISTS", 409, "already exists with the same unique field",
     "Use a different name or fetch the existing {r}.", "{r} with name '{name}' already exists",
     "never"),
    ("INVALID", 400, "failed validation", "Fix the fields listed in details and resend.",
     "{field} must be between {n} and {m}", "never"),
    ("LOCKED", 423, "is locked by another operation", "Wait for the operation to finish.",
     "{r} {id} is locked until {n}s from now", "backoff"),
    ("LIMIT_EXCEEDED", 429, "limit was reached for this period",
     "Wait for the Retry-After delay, then retry.", "limit of {n} {r}s per minute exceeded",
     "retry_after"),
    ("FORBIDDEN", 403, "may not be accessed with this key", "Use a key with the {r}:write scope.",
     "key lacks scope {r}:write", "never"),
    ("TOO_LARGE", 413, "is larger than the maximum size", "Send a {r} under {m} MB.",
     "{r} size ({n} MB) exceeds {m} MB limit", "never"),
    ("UNAVAILABLE", 503, "service is temporarily unavailable", "Retry with exponential backoff.",
     "{r} service unavailable, retry in {n}s", "backoff"),
    ("TIMEOUT", 504, "operation timed out upstream", "Retry with a smaller {r} or later.",
     "{r} operation timed out after {n} seconds", "backoff"),
    ("CONFLICT", 409, "changed since it was read", "Re-fetch the {r} and apply the change again.",
     "{r} {id} was modified (version {n} != {m})", "never"),
    ("EXPIRED", 410, "has expired", "Create a new {r}.", "{r} expired {n} days ago", "never"),
    ("STATE_INVALID", 409, "cannot transition from its current state",
     "Check the {r} status first.", "cannot transition {r} from {state} to {state2}", "never"),
]  # fmt: skip
FIELDS = ["name", "amount", "currency", "email", "limit", "page_size", "weight", "priority"]
STATES = ["PENDING", "ACTIVE", "SUSPENDED", "CLOSED", "ARCHIVED"]
SENTENCES = [
    "This error is returned by every endpoint that reads or writes a {r}.",
    "Clients should branch on the code, never on the message, whose wording may change.",
    "The `details` object names the offending field when there is one.",
    "If the error persists, contact support with the request id from the response.",
    "The {r} API is eventually consistent: a {r} created a moment ago may not be visible yet.",
    "Automated clients should log the full body before retrying.",
]


def _words(rng: random.Random, r: str) -> dict[str, object]:
    return {
        "r": r,
        "id": f"{r[:3]}_{rng.getrandbits(40):010x}",
        "name": rng.choice(["alpha", "billing", "north-eu", "team-7"]),
        "field": rng.choice(FIELDS),
        "n": rng.randint(1, 500),
        "m": rng.randint(501, 1000),
        "state": rng.choice(STATES),
        "state2": rng.choice(STATES),
    }


def synthetic_error(rng: random.Random, index: int, service: str) -> dict:
    """One realistic error entry in catalog form."""
    resource = RESOURCES[index % len(RESOURCES)]
    suffix, status, meaning, fix, message, retry = PROBLEMS[
        (index // len(RESOURCES)) % len(PROBLEMS)
    ]
    generation = index // (len(RESOURCES) * len(PROBLEMS))
    code = f"{resource.upper()}_{suffix}" + (f"_{generation}" if generation else "")
    words = _words(rng, resource)
    body = {"error": {"code": code, "message": message.format(**words), "request_id": "req_1"}}
    description = " ".join(rng.choice(SENTENCES).format(r=resource) for _ in range(4))
    return {
        "code": code,
        "http_status": status,
        "category": resource,
        "title": f"{resource.capitalize()} {meaning.split()[0]} {suffix.lower().replace('_', ' ')}",
        "summary": f"The {resource} {meaning}.",
        "description": description,
        "resolution": fix.format(**words),
        "retry": retry,
        "aliases": [f"{resource.upper()}_{suffix}_LEGACY_{generation}"] if index % 7 == 0 else [],
        "messages": [message.format(**_words(rng, resource)) for _ in range(rng.randint(1, 2))],
        "examples": [
            {
                "title": f"{status} response",
                "language": "json",
                "body": json.dumps(body, indent=2),
                "description": f"A {resource} request that fails.",
            }
        ],
    }


def synthetic_catalog(service_index: int, codes: int, seed: int = 1) -> dict:
    """A whole catalog file's content for one synthetic service."""
    rng = random.Random(seed * 1_000_003 + service_index)
    slug = f"svc-{service_index:03d}"
    errors = [synthetic_error(rng, index, slug) for index in range(codes)]
    used = dict.fromkeys(error["category"] for error in errors)
    return {
        "service": {
            "slug": slug,
            "name": f"Service {service_index:03d}",
            "summary": f"Synthetic API number {service_index} for benchmarks.",
            "description": "A generated catalog. " + " ".join(SENTENCES[:3]).format(r="resource"),
            "envelope": {
                "example": '{"error": {"code": "...", "message": "...", "request_id": "..."}}',
                "code_pointer": "/error/code",
                "message_pointer": "/error/message",
                "request_id_pointer": "/error/request_id",
            },
        },
        "categories": [{"slug": slug_, "name": f"{slug_.capitalize()} errors"} for slug_ in used],
        "errors": errors,
    }


def synthetic_catalogs(services: int, codes_per_service: int, seed: int = 1) -> Iterator[dict]:
    """`services` synthetic catalogs of `codes_per_service` codes each."""
    for index in range(services):
        yield synthetic_catalog(index, codes_per_service, seed)


def synthetic_file(service_index: int, codes: int, seed: int = 1) -> CatalogFile:
    """`synthetic_catalog` as a parsed file, named after its service (for an import)."""
    data = synthetic_catalog(service_index, codes, seed)
    return CatalogFile(name=data["service"]["slug"], data=data)
