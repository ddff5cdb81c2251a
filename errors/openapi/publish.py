"""A team's own spec with the portal's error documentation merged into its error
responses (`?merge=1`): a named example per code, the `x-error-codes` listing and the
codes in each response's description, so one spec carries everything."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from typing import Any

import yaml

from errors.catalog.files import YAML_DUMPER, dump_yaml
from errors.models import ErrorCode, Service
from errors.openapi.document import Spec
from errors.openapi.export import (
    EXTENSION,
    built_body,
    code_listing,
    published_codes,
    status_key,
)
from errors.openapi.operations import JSON_MEDIA, is_error_key, status_of_key

MARK = "Error codes (from the error portal):"


def dump_spec(document: dict[str, Any], fmt: str = "yaml") -> str:
    """A spec as YAML (block style, keys in order) or JSON text."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return dump_yaml(
        document, YAML_DUMPER, yaml.SafeDumper, sort_keys=False, allow_unicode=True, width=10_000
    )


def merge_into_spec(spec: Spec, service: Service, *, site_url: str = "") -> dict[str, Any]:
    """`spec` with `service`'s codes documented in every error response they belong to:
    by status, and by operation where the catalog lists the code's operations."""
    document = copy.deepcopy(spec.data)
    errors = published_codes(service)
    for error in errors:
        error.service = service
    by_status: dict[int | None, list[ErrorCode]] = defaultdict(list)
    for error in errors:
        by_status[error.http_status].append(error)
    # A response shared through a $ref is documented once, with the codes of every
    # status and operation it answers for.
    targets: dict[int, tuple[dict[str, Any], list[ErrorCode]]] = {}
    merged_spec = Spec(name=spec.name, data=document)
    for method, path, operation, place in merged_spec.operations():
        responses = operation.get("responses")
        if not isinstance(responses, dict):
            continue
        documented = {status_of_key(str(key)) for key in responses if str(key) != "default"}
        for key, node in responses.items():
            key = str(key)
            if not (is_error_key(key) or key == "default"):
                continue
            response = merged_spec.deref(node, f"{place}.responses.{key}")
            if not isinstance(response, dict):
                continue
            codes = _codes_for(key, errors, by_status, documented)
            if not (isinstance(node, dict) and "$ref" in node):
                mine = {"method": method, "path": path}
                codes = [e for e in codes if not e.operations or mine in e.operations]
            chosen = targets.setdefault(id(response), (response, []))[1]
            chosen += [e for e in codes if e not in chosen]
    for response, codes in targets.values():
        if codes:
            _document(response, codes, service, site_url)
    document[EXTENSION] = {
        status_key(status): [code_listing(e, site_url) for e in group]
        for status, group in sorted(by_status.items(), key=lambda s: (s[0] is None, s[0] or 0))
    }
    return document


def _codes_for(
    key: str,
    errors: list[ErrorCode],
    by_status: dict[int | None, list[ErrorCode]],
    documented: set[int | None],
) -> list[ErrorCode]:
    """The codes a response of status `key` answers with: its status's, a range's codes
    that no other response of the operation documents, or for `default` the rest."""
    status = status_of_key(key)
    if key == "default":
        return [e for s, group in by_status.items() if s not in documented for e in group]
    if key[1:].upper() == "XX" and status is not None:
        return [
            e
            for e in errors
            if e.http_status is not None
            and e.http_status // 100 == status // 100
            and e.http_status not in documented
        ]
    return list(by_status.get(status, []))


def _document(
    response: dict[str, Any], codes: list[ErrorCode], service: Service, site_url: str
) -> None:
    listing = "\n".join(f"* `{e.code}`: {e.title}" for e in codes)
    description = str(response.get("description") or "").split(f"\n\n{MARK}")[0]
    response["description"] = f"{description}\n\n{MARK}\n\n{listing}".strip()
    response[EXTENSION] = [code_listing(e, site_url) for e in codes]
    content = response.setdefault("content", {})
    medias = [m for t, m in content.items() if JSON_MEDIA.search(str(t)) and isinstance(m, dict)]
    if not medias:
        content["application/json"] = {}
        medias = [content["application/json"]]
    for media in medias:
        examples = media.setdefault("examples", {})
        if "example" in media:  # `example` and `examples` exclude each other
            examples.setdefault("example", {"value": media.pop("example")})
        for error in codes:
            body = next(
                (
                    json.loads(e.body)
                    for e in error.examples.all()
                    if e.language == "json" and _parses(e.body)
                ),
                None,
            )
            examples.setdefault(
                error.code,
                {
                    "summary": error.title,
                    "value": body if body is not None else built_body(service, error),
                },
            )


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
