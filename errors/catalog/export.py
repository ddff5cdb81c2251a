"""Catalogs as text: the canonical form written as YAML (block style for Markdown) or
JSON, with empty values and defaults left out."""

from __future__ import annotations

import json
from typing import Any

import yaml

from errors.catalog.canonical import canonical_from_db
from errors.catalog.files import YAML_DUMPER, dump_yaml
from errors.models import Service

FORMATS = ("yaml", "json")


def compact(value: Any) -> Any:
    """Drop empty values and defaults, for files people read."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            item = compact(item)
            if item in ("", None, [], {}) and key not in {"code", "body"}:
                continue
            if key == "published" and item is True:
                continue
            kept[key] = item
        return kept
    if isinstance(value, list):
        return [compact(item) for item in value]
    return value


class _CatalogDumper(yaml.SafeDumper):
    """Block style for multi-line text, so Markdown reads as it was written."""


class _FastCatalogDumper(YAML_DUMPER):  # type: ignore[misc,valid-type]  # libyaml's, if built
    """_CatalogDumper's representers on libyaml's emitter (errors.catalog.files)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CatalogDumper.add_representer(str, _represent_str)
_FastCatalogDumper.add_representer(str, _represent_str)


def dump_catalog(data: dict, fmt: str = "yaml") -> str:
    """Serialise a canonical catalog as YAML or JSON text."""
    data = compact(data)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return dump_yaml(
        data,
        _FastCatalogDumper,
        _CatalogDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
        indent=2,
    )


def export_catalog(service: Service, fmt: str = "yaml", *, drafts: bool = True) -> str:
    """A service's catalog file, as text; `drafts=False` for those who may not see them."""
    return dump_catalog(canonical_from_db(service, drafts=drafts), fmt)
