"""A spec's catalog merged onto the service's current catalog (both canonical), so that a
second import of a newer spec updates by code and leaves editors' additions alone unless
the spec now says otherwise."""

from __future__ import annotations

import copy
from typing import Any

from errors.catalog.canonical import ENVELOPE_POINTERS, default_title

# What a spec can say of an entry; everything else (resolution, category, aliases, tags,
# lifecycle, replaced_by, published, guides) is the editors' and kept as it is.
SPEC_TEXT_FIELDS = ("summary", "description", "details_shape")
SERVICE_FIELDS = ("name", "summary", "description", "contact", "base_url")


def merge_catalogs(
    current: dict[str, Any] | None,
    spec: dict[str, Any],
    stated: dict[str, set[str]] | None = None,
) -> dict[str, Any]:
    """`spec` (what the spec says) over `current` (the service's catalog, or None for a
    new service): the spec wins where it says something, the editors' text stays where
    it says nothing, and entries the spec no longer mentions are kept. `stated` names
    the codes (lower case) whose `title` and `retry` the spec states, not the importer."""
    stated = stated or {}
    if current is None:
        return spec
    merged = copy.deepcopy(current)
    _merge_service(merged["service"], spec["service"])
    by_code = {entry["code"].lower(): entry for entry in merged["errors"]}
    for wanted in spec["errors"]:
        entry = by_code.get(wanted["code"].lower())
        if entry is None:
            merged["errors"].append(copy.deepcopy(wanted))
        else:
            key = wanted["code"].lower()
            merge_entry(
                entry,
                wanted,
                title_stated=key in stated.get("title", set()),
                retry_stated=key in stated.get("retry", set()),
            )
    return merged


def _merge_service(service: dict[str, Any], wanted: dict[str, Any]) -> None:
    for name in SERVICE_FIELDS:
        if wanted[name] and name not in ("name",):
            service[name] = wanted[name]
    envelope, new = service["envelope"], wanted["envelope"]
    # The envelope is one unit: a spec that finds a code pointer states the shape.
    if new["code_pointer"] or not envelope["code_pointer"]:
        for name in ENVELOPE_POINTERS:
            envelope[name] = new[name] or envelope[name]
    if new["fields"]:
        envelope["fields"] = new["fields"]
    if new["example"]:
        envelope["example"] = new["example"]


def merge_entry(
    entry: dict[str, Any], wanted: dict[str, Any], *, title_stated: bool, retry_stated: bool
) -> None:
    """Update one entry with what the spec says of it."""
    if wanted["http_status"] is not None:
        entry["http_status"] = wanted["http_status"]
    editor_title = entry["title"] not in (default_title(entry["code"], entry["http_status"]), "")
    # A title the spec states (an x- extension, a problem's title) wins; one the importer
    # only made up from the code does not replace an editor's.
    if title_stated or not editor_title:
        entry["title"] = wanted["title"]
    for name in SPEC_TEXT_FIELDS:
        if wanted[name]:
            entry[name] = wanted[name]
    if retry_stated:
        entry["retry"] = wanted["retry"]
    entry["messages"] = list(dict.fromkeys([*wanted["messages"], *entry["messages"]]))
    if wanted["operations"]:
        entry["operations"] = wanted["operations"]
    titles = {example["title"] for example in wanted["examples"]}
    bodies = {example["body"] for example in wanted["examples"]}
    kept = [
        example
        for example in entry["examples"]
        if example["title"] not in titles and example["body"] not in bodies
    ]
    entry["examples"] = [*wanted["examples"], *kept]
