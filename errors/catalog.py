"""Catalog files <-> database: reading, validation, import (all or nothing) and export.

A catalog file holds one service's whole catalog and is the truth for it: importing it
adds, changes and removes rows until the database says what the file says. Both sides
are turned into one canonical form (`canonical_*`), so comparing, exporting and the
round trip export -> import -> export all rest on the same dictionaries.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
import yaml
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone

from errors.bulk_writes import insert_rows, reserve_ids
from errors.history import record_import_revisions
from errors.models import (
    Category,
    ErrorCode,
    Example,
    Guide,
    Service,
    reason_phrase,
)

SCHEMA_PATH = Path(__file__).with_name("catalog.schema.json")
DEMO_CATALOG_DIR = Path(__file__).with_name("catalogs")
FORMATS = ("yaml", "json")

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
    "details_shape",
    "lifecycle",
    "lifecycle_since",
)
ERROR_LIST_FIELDS = ("aliases", "messages", "tags")
ERROR_WRITE_FIELDS = (
    "code",
    "code_key",
    "http_status",
    "category",
    *ERROR_TEXT_FIELDS,
    "description_html",
    "resolution_html",
    *ERROR_LIST_FIELDS,
    "published",
    "order",
    "updated_at",
)

Path_ = tuple[str | int, ...]
Progress = Callable[[int], None]


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One mistake in a catalog file: where it is and what to do about it."""

    file: str
    place: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.place}: {self.message}" if self.place else f"{where}: {self.message}"
        )


class CatalogInvalid(Exception):
    """Raised with every problem found; nothing has been written."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


# --------------------------------------------------------------------------- reading


@dataclass
class CatalogFile:
    """A parsed catalog file with the line of every value, for error messages."""

    name: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def problem(self, path: Path_, message: str) -> Problem:
        """A problem at `path`, located by line and named after the entry it is in."""
        return Problem(self.name, describe_path(self.data, path), message, self.line_of(path))


def describe_path(data: Any, path: Path_) -> str:
    """`("errors", 3, "http_status")` -> `errors[3] (API_KEY_REVOKED) > http_status`."""
    text = ""
    node = data
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            label = _entry_label(node)
            if label:
                text += f" ({label})"
        else:
            text += f" > {part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def _entry_label(node: Any) -> str:
    if isinstance(node, dict):
        for key in ("code", "slug", "title"):
            if isinstance(node.get(key), str | int) and not isinstance(node.get(key), bool):
                return str(node[key])
    return ""


def _node_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _node_lines(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _node_lines(item, (*path, index), lines)


# libyaml's C parser when PyYAML was built with it: several times faster on large files.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse once: the node tree (for line numbers) and the data built from it."""
    loader = YAML_LOADER(text)
    try:
        root = loader.get_single_node()
        return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


def parse_catalog(text: str, name: str) -> CatalogFile:
    """Parse YAML or JSON text (JSON is read as YAML) into a `CatalogFile`."""
    try:
        root, data = _compose_and_construct(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or str(exc)
        raise CatalogInvalid(
            [Problem(name, "", f"the file is not valid YAML or JSON: {what}.", line)]
        ) from exc
    except yaml.YAMLError as exc:
        raise CatalogInvalid(
            [Problem(name, "", f"the file is not valid YAML or JSON: {exc}.")]
        ) from exc
    lines: dict[Path_, int] = {}
    if root is not None:
        _node_lines(root, (), lines)
    return CatalogFile(name=name, data=_plain(data), lines=lines)


def _plain(value: Any) -> Any:
    """Undo YAML's guesses that a catalog never means: dates stay text."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def read_catalog_file(path: str | Path) -> CatalogFile:
    """Read and parse one catalog file from disk."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise CatalogInvalid([Problem(str(path), "", "no such file.")]) from exc
    except UnicodeDecodeError as exc:
        raise CatalogInvalid(
            [Problem(str(path), "", "the file is not UTF-8 text: save it as UTF-8.")]
        ) from exc
    return parse_catalog(text, str(path))


def read_catalog_files(paths: Iterable[str | Path]) -> list[CatalogFile]:
    """Read every file, collecting the problems of all before giving up."""
    files, problems = [], []
    for path in paths:
        try:
            files.append(read_catalog_file(path))
        except CatalogInvalid as exc:
            problems.extend(exc.problems)
    if problems:
        raise CatalogInvalid(problems)
    return files


# --------------------------------------------------------------------------- validation


@cache
def catalog_schema() -> dict[str, Any]:
    """The JSON Schema of catalog files (errors/catalog.schema.json)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _schema_message(error: jsonschema.ValidationError) -> str:
    """Say what a schema violation means and what to write instead."""
    value = error.instance
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
        hints = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            hints.append(f"{key!r}{hint}")
        return (
            f"unknown key {', '.join(hints)}: remove it or correct its spelling; "
            f"allowed keys are {', '.join(allowed)}."
        )
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"the key {missing!r} is missing: add it."
    if error.validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"must be {_article(wanted)}, not {_json_type(value)} {value!r}."
    if error.validator == "enum":
        choices = ", ".join(str(choice) for choice in error.validator_value)
        return f"{value!r} is not allowed: use one of {choices}."
    if error.validator in {"minimum", "maximum"}:
        low = error.schema.get("minimum")
        high = error.schema.get("maximum")
        return f"{value!r} is out of range: use a number from {low} to {high}."
    if error.validator == "minLength":
        return "must not be empty."
    if error.validator == "maxLength":
        return f"is too long ({len(value)} characters): keep it to {error.validator_value}."
    if error.validator == "pattern":
        description = error.schema.get("description", f"Match {error.validator_value}.")
        return f"{value!r} does not fit: {description[0].lower()}{description[1:]}"
    return error.message


def _article(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "list",
            dict: "mapping"}.get(type(value), type(value).__name__)  # fmt: skip


@cache
def fast_catalog_check() -> Callable[[Any], Any]:
    """The schema compiled to Python by fastjsonschema: ten times faster than jsonschema
    on a valid file, but it stops at the first mistake. The schema uses nothing beyond
    draft 7 (its `$ref`s have no sibling constraints), so draft 7 reads it the same."""
    return fastjsonschema.compile(
        {**catalog_schema(), "$schema": "http://json-schema.org/draft-07/schema#"}
    )


def schema_problems(catalog: CatalogFile) -> list[Problem]:
    """Every place where the file breaks the JSON Schema."""
    try:
        fast_catalog_check()(catalog.data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass  # jsonschema lists every mistake, with its place
    validator = jsonschema.Draft202012Validator(catalog_schema())
    found = sorted(validator.iter_errors(catalog.data), key=lambda e: list(map(str, e.path)))
    return [catalog.problem(tuple(error.absolute_path), _schema_message(error)) for error in found]


def semantic_problems(catalog: CatalogFile) -> list[Problem]:
    """Rules a schema cannot say: uniqueness, references, patterns, example agreement."""
    data = catalog.data
    problems: list[Problem] = []
    problems += _duplicate_slug_problems(catalog, "categories")
    problems += _duplicate_slug_problems(catalog, "guides")
    service = data["service"]
    pattern = service.get("code_pattern") or ""
    if pattern:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.append(
                catalog.problem(
                    ("service", "code_pattern"), f"not a valid regular expression: {exc}."
                )
            )
            pattern = ""
    category_slugs = [category.get("slug") for category in data.get("categories", [])]
    entries = [
        (index, entry)
        for index, entry in enumerate(data.get("errors", []))
        if isinstance(entry, dict) and isinstance(entry.get("code"), str)
    ]
    names: dict[str, tuple[str, int]] = {}
    for index, entry in entries:
        code = entry["code"]
        for kind, name in [("code", code)] + [
            ("alias", alias) for alias in entry.get("aliases", [])
        ]:
            key = name.lower()
            if key in names:
                other_kind, other_index = names[key]
                problems.append(
                    catalog.problem(
                        ("errors", index, "code" if kind == "code" else "aliases"),
                        f"the {kind} {name!r} is already used as a {other_kind} by "
                        f"errors[{other_index}]: codes and aliases must be unique in a "
                        "service, ignoring case.",
                    )
                )
            else:
                names[key] = (kind, index)
        if pattern and not re.fullmatch(pattern, code):
            problems.append(
                catalog.problem(
                    ("errors", index, "code"),
                    f"{code!r} does not match the service's code_pattern {pattern!r}.",
                )
            )
        category = entry.get("category")
        if category and category not in category_slugs:
            close = difflib.get_close_matches(category, category_slugs, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            problems.append(
                catalog.problem(
                    ("errors", index, "category"),
                    f"unknown category {category!r}: add it under categories or use one of "
                    f"{', '.join(category_slugs) or '(none defined)'}.{hint}",
                )
            )
        problems += _example_problems(catalog, index, entry)
    codes = {entry["code"].lower() for _, entry in entries}
    for index, entry in entries:
        replacement = entry.get("replaced_by")
        if not isinstance(replacement, str) or not replacement:
            continue
        if replacement.lower() == str(entry["code"]).lower():
            problems.append(
                catalog.problem(("errors", index, "replaced_by"), "a code cannot replace itself.")
            )
        elif replacement.lower() not in codes:
            problems.append(
                catalog.problem(
                    ("errors", index, "replaced_by"),
                    f"{replacement!r} is not a code of this service: name one of its codes.",
                )
            )
    return problems


def _duplicate_slug_problems(catalog: CatalogFile, key: str) -> list[Problem]:
    seen: dict[str, int] = {}
    problems = []
    for index, item in enumerate(catalog.data.get(key, [])):
        slug = item.get("slug")
        if slug in seen:
            problems.append(
                catalog.problem(
                    (key, index, "slug"),
                    f"the slug {slug!r} is already used by {key}[{seen[slug]}]: slugs must "
                    "be unique.",
                )
            )
        seen.setdefault(slug, index)
    return problems


def _example_problems(catalog: CatalogFile, index: int, entry: dict) -> list[Problem]:
    envelope = catalog.data["service"].get("envelope", {})
    return [
        catalog.problem(("errors", index, "examples", number, "body"), message)
        for number, example in enumerate(entry.get("examples", []))
        for message in example_body_problems(
            entry, envelope, example.get("language", "json"), example["body"]
        )
    ]


def example_body_problems(entry: dict, envelope: dict, language: str, body: str) -> list[str]:
    """What is wrong with one example body of `entry`: JSON that does not parse, or a
    status or code that disagrees with the entry. Used by files, the admin and lint."""
    messages = []
    status, body_text = None, body
    if language == "http":
        status, body_text = split_http_example(body_text)
        if status is not None and entry.get("http_status") not in (None, status):
            messages.append(
                f"the example answers HTTP {status} but the entry's http_status is "
                f"{entry['http_status']}: make them agree."
            )
    elif language != "json":
        return messages
    try:
        document = json.loads(body_text) if body_text.strip() else None
    except ValueError as exc:
        if language == "json":
            messages.append(f"the JSON example does not parse: {exc}.")
        return messages
    return messages + example_disagreements(entry, document, envelope)


def split_http_example(text: str) -> tuple[int | None, str]:
    """Split an `HTTP/1.1 404 Not Found` example into its status and its body."""
    match = re.match(r"\s*HTTP/[\d.]+\s+(\d{3})", text)
    status = int(match.group(1)) if match else None
    parts = re.split(r"\r?\n[ \t]*\r?\n", text.strip(), maxsplit=1)
    return status, parts[1].strip() if len(parts) == 2 else ""


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 pointer, or None where the document has nothing there."""
    if not pointer:
        return None
    node = document
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def example_disagreements(entry: dict, body: Any, envelope: dict) -> list[str]:
    """What an example body says that contradicts its entry (code or status)."""
    messages = []
    code = resolve_pointer(body, envelope.get("code_pointer", ""))
    names = {str(entry["code"]).lower(), *(alias.lower() for alias in entry.get("aliases", []))}
    if isinstance(code, str) and code.lower() not in names:
        messages.append(
            f"the example's code is {code!r} but the entry is {str(entry['code'])!r}: "
            "fix the example or move it to its own entry."
        )
    status = resolve_pointer(body, envelope.get("status_pointer", ""))
    if isinstance(status, int) and entry.get("http_status") not in (None, status):
        messages.append(
            f"the example's status is {status} but the entry's http_status is "
            f"{entry['http_status']}: make them agree."
        )
    return messages


def validate_catalog(catalog: CatalogFile) -> None:
    """Raise `CatalogInvalid` with every problem of one parsed file."""
    if not isinstance(catalog.data, dict):
        raise CatalogInvalid(
            [
                Problem(
                    catalog.name, "", "the file must be a mapping with a 'service' key at the top."
                )
            ]
        )
    _coerce_codes(catalog.data)
    problems = schema_problems(catalog)
    try:
        problems += semantic_problems(catalog)
    except (KeyError, TypeError, AttributeError):
        # Parts of the file have the wrong shape; the schema problems already say where.
        if not problems:
            raise
    if problems:
        raise CatalogInvalid(sorted(problems, key=lambda problem: problem.line or 0))


def _coerce_codes(data: dict) -> None:
    """`code: 404` written without quotes means the code "404"."""
    for entry in data.get("errors", []) if isinstance(data.get("errors"), list) else []:
        if isinstance(entry, dict):
            for key in ("code", "replaced_by"):
                if isinstance(entry.get(key), int) and not isinstance(entry.get(key), bool):
                    entry[key] = str(entry[key])


def validate_catalogs(catalogs: Sequence[CatalogFile]) -> None:
    """Validate every file and the set of them (one file per service)."""
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for catalog in catalogs:
        try:
            validate_catalog(catalog)
        except CatalogInvalid as exc:
            problems.extend(exc.problems)
            continue
        slug = catalog.data["service"]["slug"]
        if slug in seen:
            problems.append(
                catalog.problem(
                    ("service", "slug"),
                    f"the service {slug!r} is also in {seen[slug]}: give each service one file.",
                )
            )
        seen.setdefault(slug, catalog.name)
    if problems:
        raise CatalogInvalid(problems)


# --------------------------------------------------------------------------- canonical form


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
            },
            "stability": service.get("stability", ""),
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
    if code.isdigit() and http_status is not None and int(code) == http_status:
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
        "retry": item.get("retry", ErrorCode.Retry.NEVER.value),
        "details_shape": item.get("details_shape", ""),
        "lifecycle": item.get("lifecycle", ErrorCode.Lifecycle.ACTIVE.value),
        "lifecycle_since": item.get("lifecycle_since", ""),
        "replaced_by": str(item.get("replaced_by") or ""),
        "aliases": list(item.get("aliases", [])),
        "messages": list(item.get("messages", [])),
        "tags": list(item.get("tags", [])),
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


def canonical_service(service: Service) -> dict:
    """The `service` part of a catalog, from the database."""
    return {
        "slug": service.slug,
        **{name: getattr(service, name) for name in SERVICE_TEXT_FIELDS},
        "envelope": {
            "example": service.envelope_example,
            "fields": [_canonical_field(item) for item in service.envelope_fields],
            **{name: getattr(service, name) for name in ENVELOPE_POINTERS},
        },
        "stability": service.stability,
    }


def canonical_error(error: ErrorCode) -> dict:
    """One error code in catalog form; expects category, replaced_by and examples loaded."""
    return {
        "code": error.code,
        "http_status": error.http_status,
        "category": error.category.slug if error.category_id else "",
        "title": error.title,
        "summary": error.summary,
        "description": error.description,
        "resolution": error.resolution,
        "retry": error.retry,
        "details_shape": error.details_shape,
        "lifecycle": error.lifecycle,
        "lifecycle_since": error.lifecycle_since,
        "replaced_by": error.replaced_by.code if error.replaced_by_id else "",
        "aliases": list(error.aliases),
        "messages": list(error.messages),
        "tags": list(error.tags),
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


def errors_for_catalog(service: Service):
    """The service's codes with everything `canonical_error` reads, in catalog order."""
    return (
        service.errors.select_related("category", "replaced_by")
        .prefetch_related(Prefetch("examples", queryset=Example.objects.order_by("order", "pk")))
        .order_by("order", "pk")
    )


def canonical_from_db(service: Service) -> dict:
    """A service's whole catalog, from the database, in canonical form."""
    return {
        "service": canonical_service(service),
        "categories": [
            {"slug": item.slug, "name": item.name, "description": item.description}
            for item in service.categories.order_by("order", "pk")
        ],
        "errors": [canonical_error(error) for error in errors_for_catalog(service)],
        "guides": [
            {"slug": item.slug, "title": item.title, "summary": item.summary, "body": item.body}
            for item in service.guides.order_by("order", "pk")
        ],
    }


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


# --------------------------------------------------------------------------- export


class _CatalogDumper(yaml.SafeDumper):
    """Block style for multi-line text, so Markdown reads as it was written."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CatalogDumper.add_representer(str, _represent_str)


def dump_catalog(data: dict, fmt: str = "yaml") -> str:
    """Serialise a canonical catalog as YAML or JSON text."""
    data = compact(data)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    return yaml.dump(
        data,
        Dumper=_CatalogDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
        indent=2,
    )


def export_catalog(service: Service, fmt: str = "yaml") -> str:
    """A service's catalog file, as text."""
    return dump_catalog(canonical_from_db(service), fmt)


# --------------------------------------------------------------------------- import


@dataclass
class ServiceChanges:
    """What importing one file did (or, in a dry run, would do) to one service."""

    slug: str
    created: bool = False
    service_changed: bool = False
    added: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    categories_changed: bool = False
    guides_changed: bool = False

    @property
    def codes_written(self) -> int:
        """How many codes the import added, changed or removed."""
        return len(self.added) + len(self.changed) + len(self.removed)

    @property
    def has_changes(self) -> bool:
        """True when the file differs from the database in anything."""
        return bool(
            self.created
            or self.service_changed
            or self.added
            or self.changed
            or self.removed
            or self.categories_changed
            or self.guides_changed
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the API answers this)."""
        return {
            "service": self.slug,
            "created": self.created,
            "service_changed": self.service_changed,
            "added": self.added,
            "changed": sorted(self.changed),
            "removed": self.removed,
            "unchanged": self.unchanged,
            "categories_changed": self.categories_changed,
            "guides_changed": self.guides_changed,
        }


def diff_fields(old: dict, new: dict) -> dict[str, tuple[Any, Any]]:
    """The keys whose values differ, with (old, new)."""
    return {key: (old.get(key), new[key]) for key in new if old.get(key) != new[key]}


def import_catalogs(
    catalogs: Sequence[CatalogFile], *, dry_run: bool = False, progress: Progress | None = None
) -> list[ServiceChanges]:
    """Validate then import every file in one transaction; a single problem writes nothing."""
    validate_catalogs(catalogs)
    with transaction.atomic():
        results = [
            _import_one(canonical_from_file(catalog.data), dry_run=dry_run, progress=progress)
            for catalog in catalogs
        ]
        if dry_run:
            transaction.set_rollback(True)
        elif sum(changes.codes_written for changes in results) >= ANALYZE_AFTER_CODES:
            transaction.on_commit(refresh_statistics)
    return results


# An import of this many codes changes the tables' sizes and word frequencies enough that
# the planner's statistics, and with them search's common words (pg_stats), should not
# wait for autovacuum (which may lag, or be off).
ANALYZE_AFTER_CODES = 1000
CATALOG_TABLES = (
    "errors_service", "errors_category", "errors_errorcode", "errors_example", "errors_search",
)  # fmt: skip


def refresh_statistics() -> None:
    """Bring the database's statistics of the catalog tables up to date."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(CATALOG_TABLES))
        elif connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")  # SQLite analyzes where it would help


def import_catalog_files(
    paths: Iterable[str | Path], *, dry_run: bool = False, progress: Progress | None = None
) -> list[ServiceChanges]:
    """Read, validate and import files from disk."""
    return import_catalogs(read_catalog_files(paths), dry_run=dry_run, progress=progress)


def import_catalog_text(
    text: str, name: str, *, dry_run: bool = False, expected_slug: str | None = None
) -> ServiceChanges:
    """Import one catalog given as text (an upload or an API request body)."""
    catalog = parse_catalog(text, name)
    validate_catalog(catalog)
    slug = catalog.data["service"]["slug"]
    if expected_slug is not None and slug != expected_slug:
        raise CatalogInvalid(
            [
                catalog.problem(
                    ("service", "slug"),
                    f"this file is the catalog of {slug!r}, not of {expected_slug!r}: "
                    "send it to that service's address.",
                )
            ]
        )
    return import_catalogs([catalog], dry_run=dry_run)[0]


def load_demo_catalogs(
    progress: Progress | None = None, *, reset: bool = False
) -> list[ServiceChanges]:
    """Import the demo catalogs shipped in errors/catalogs/ that are not loaded yet.

    A catalog file is the whole truth of its service, so importing a demo file again
    would undo every edit made to that service since: `reset` asks for exactly that.
    """
    paths = sorted(DEMO_CATALOG_DIR.glob("*.yaml"))
    if not reset:
        loaded = set(Service.objects.values_list("slug", flat=True))
        paths = [path for path in paths if path.stem not in loaded]
    return import_catalog_files(paths, progress=progress)


def _import_one(data: dict, *, dry_run: bool, progress: Progress | None) -> ServiceChanges:
    wanted = data["service"]
    service = Service.objects.filter(slug=wanted["slug"]).first()
    changes = ServiceChanges(slug=wanted["slug"], created=service is None)
    if service is None:
        service = Service(slug=wanted["slug"])
    elif canonical_service(service) != wanted:
        changes.service_changed = True
    if changes.created or changes.service_changed:
        _apply_service_fields(service, wanted)
        service.save()
    categories = _sync_categories(service, data["categories"], changes)
    _sync_errors(service, categories, data["errors"], changes, progress)
    _sync_guides(service, data["guides"], changes)
    return changes


def _apply_service_fields(service: Service, wanted: dict) -> None:
    for name in SERVICE_TEXT_FIELDS:
        setattr(service, name, wanted[name])
    envelope = wanted["envelope"]
    service.envelope_example = envelope["example"]
    service.envelope_fields = envelope["fields"]
    for name in ENVELOPE_POINTERS:
        setattr(service, name, envelope[name])
    service.stability = wanted["stability"]


def _sync_categories(
    service: Service, wanted: list[dict], changes: ServiceChanges
) -> dict[str, Category]:
    existing = {category.slug: category for category in service.categories.all()}
    result = {}
    for order, item in enumerate(wanted):
        category = existing.pop(item["slug"], None)
        current = (category.name, category.description, category.order) if category else None
        if current != (item["name"], item["description"], order):
            category = category or Category(service=service, slug=item["slug"])
            category.name, category.description, category.order = (
                item["name"],
                item["description"],
                order,
            )
            category.save()
            changes.categories_changed = True
        result[item["slug"]] = category
    if existing:
        Category.objects.filter(pk__in=[category.pk for category in existing.values()]).delete()
        changes.categories_changed = True
    return result


def _sync_guides(service: Service, wanted: list[dict], changes: ServiceChanges) -> None:
    existing = {guide.slug: guide for guide in service.guides.all()}
    for order, item in enumerate(wanted):
        guide = existing.pop(item["slug"], None)
        current = (
            (guide.title, guide.summary, guide.body, guide.order) if guide is not None else None
        )
        if current != (item["title"], item["summary"], item["body"], order):
            guide = guide or Guide(service=service, slug=item["slug"])
            guide.title, guide.summary, guide.body, guide.order = (
                item["title"],
                item["summary"],
                item["body"],
                order,
            )
            guide.save()
            changes.guides_changed = True
    if existing:
        Guide.objects.filter(pk__in=[guide.pk for guide in existing.values()]).delete()
        changes.guides_changed = True


def _sync_errors(
    service: Service,
    categories: dict[str, Category],
    wanted: list[dict],
    changes: ServiceChanges,
    progress: Progress | None,
) -> None:
    existing = {error.code.lower(): error for error in errors_for_catalog(service)}
    to_create: list[ErrorCode] = []
    to_update: list[ErrorCode] = []
    history_added: list[tuple[ErrorCode, dict]] = []
    history_changed: list[tuple[ErrorCode, dict, dict]] = []
    new_examples: dict[str, list[dict]] = {}
    replacements: dict[str, str] = {}
    now = timezone.now()
    for position, item in enumerate(wanted):
        key = item["code"].lower()
        replacements[key] = item["replaced_by"]
        error = existing.pop(key, None)
        if error is None:
            error = ErrorCode(service=service)
            to_create.append(error)
            changes.added.append(item["code"])
            new_examples[key] = item["examples"]
            history_added.append((error, item))
        else:
            differences = diff_fields(canonical_error(error), item)
            if differences:
                changes.changed[item["code"]] = differences
                history_changed.append((error, differences, item))
                if "examples" in differences:
                    new_examples[key] = item["examples"]
            else:
                changes.unchanged += 1
            if not differences and error.order == position:
                if progress:
                    progress(1)
                continue
            to_update.append(error)
        _apply_error_fields(error, item, categories, position, now)
        if progress:
            progress(1)
    history_removed = [(error, canonical_error(error)) for error in existing.values()]
    if existing:
        changes.removed = sorted(error.code for error in existing.values())
        ErrorCode.objects.filter(pk__in=[error.pk for error in existing.values()]).delete()
    _write_codes_and_examples(to_create, to_update, new_examples)
    _link_replacements(service, replacements)
    # History hook: bulk writes bypass signals, so the import records its own revisions.
    record_import_revisions(service, history_added, history_changed, history_removed, now)


def _apply_error_fields(
    error: ErrorCode, item: dict, categories: dict[str, Category], order: int, now: datetime
) -> None:
    # A changed code keeps the HTML of the texts that did not change: Markdown is the
    # dearest part of an import.
    stale = [
        name
        for name in ErrorCode.MARKDOWN_FIELDS
        if error._state.adding or getattr(error, name) != item[name]
    ]
    error.code = item["code"]
    error.http_status = item["http_status"]
    error.category = categories.get(item["category"]) if item["category"] else None
    for name in (*ERROR_TEXT_FIELDS, *ERROR_LIST_FIELDS, "published"):
        setattr(error, name, item[name])
    error.order = order
    error.updated_at = now
    error.render_html(stale)


def _link_replacements(service: Service, replacements: dict[str, str]) -> None:
    """Point `replaced_by` at codes that may have been created in the same import."""
    rows = list(ErrorCode.objects.filter(service=service).only("pk", "code", "replaced_by_id"))
    pk_of = {error.code.lower(): error.pk for error in rows}
    changed = []
    for error in rows:
        target = pk_of.get(replacements.get(error.code.lower(), "").lower())
        if error.replaced_by_id != target:
            error.replaced_by_id = target
            changed.append(error)
    ErrorCode.objects.bulk_update(changed, ["replaced_by"], batch_size=500)


def _write_codes_and_examples(
    to_create: list[ErrorCode], to_update: list[ErrorCode], new_examples: dict[str, list[dict]]
) -> None:
    ids = reserve_ids(ErrorCode, len(to_create))
    if ids is None:
        # The new codes' ids come from their insert, and their examples need them.
        insert_rows(ErrorCode, to_create)
        _replace_examples(to_create, to_update, new_examples)
    else:
        # Examples first (their foreign key is checked at commit): the search trigger of
        # the codes' insert then indexes each new code once, with its examples, instead
        # of indexing it bare and again when its examples arrive.
        for error, pk in zip(to_create, ids, strict=True):
            error.pk = pk
        _replace_examples(to_create, to_update, new_examples)
        insert_rows(ErrorCode, to_create)
    ErrorCode.objects.bulk_update(to_update, ERROR_WRITE_FIELDS, batch_size=500)


def _replace_examples(
    created: list[ErrorCode], updated: list[ErrorCode], new_examples: dict[str, list[dict]]
) -> None:
    """Write the examples of new codes and replace those of changed codes that need it."""
    replaced = [error for error in updated if error.code.lower() in new_examples]
    if replaced:
        Example.objects.filter(error__in=replaced).delete()
    rows = []
    for error in created + replaced:
        for order, item in enumerate(new_examples[error.code.lower()]):
            example = Example(error=error, order=order, **item)
            example.render_html()
            rows.append(example)
    insert_rows(Example, rows)
