"""A spec's catalog merged onto the service's current catalog (both canonical), so that a
second import of a newer spec updates by code and leaves editors' additions alone unless
the spec now says otherwise."""

from __future__ import annotations

import copy
import json
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
    # The service's texts are the editors' once written (the spec's `info` describes the
    # API, the portal's its errors): the spec only fills in what is empty.
    for name in SERVICE_FIELDS:
        if wanted[name] and not service[name]:
            service[name] = wanted[name]
    envelope, new = service["envelope"], wanted["envelope"]
    # The pointers are one unit, the spec's: a spec that finds a code pointer states them.
    if new["code_pointer"] or not envelope["code_pointer"]:
        for name in ENVELOPE_POINTERS:
            envelope[name] = new[name] or envelope[name]
    for name in ("fields", "example"):
        if new[name] and not envelope[name]:
            envelope[name] = new[name]


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
    entry["examples"] = merge_examples(entry["examples"], wanted["examples"])


def merge_examples(current: list[dict[str, Any]], spec: list[dict[str, Any]]) -> list[dict]:
    """The entry's examples, in their order and words, with the spec's added: one with
    the same JSON body is already there; one with the same title is that example
    updated; any other is new."""
    merged = [dict(example) for example in current]
    for example in spec:
        body = _parsed(example["body"])
        if any(_parsed(e["body"]) == body for e in merged if body is not None):
            continue
        same_title = next(
            (e for e in merged if e["title"] and e["title"] == example["title"]), None
        )
        if same_title is not None and same_title["language"] == example["language"]:
            same_title["body"] = example["body"]
        else:
            merged.append(example)
    return merged


def _parsed(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
