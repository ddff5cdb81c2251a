"""Validating catalog files: the JSON Schema (schema.json beside this module), then the
rules a schema cannot state (uniqueness, references, code patterns, example agreement).
Every problem says where it is and what to write instead."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema

from errors.bodies import resolve_pointer, split_http_example
from errors.catalog.files import CatalogFile
from errors.catalog.problems import CatalogInvalid, Problem
from errors.code_patterns import PatternTooSlow, code_matches, pattern_error

SCHEMA_PATH = Path(__file__).with_name("schema.json")


# The retry rules whose delay can come from a header or a body field.
DELAYED_RETRIES = ("retry_after", "backoff")


@cache
def catalog_schema() -> dict[str, Any]:
    """The JSON Schema of catalog files (schema.json beside this module)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def _schema_message(error: jsonschema.ValidationError) -> str:
    """Say what a schema violation means and what to write instead."""
    value = error.instance
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    wanted: Any = error.validator_value
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
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
        wanted = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
        return f"must be {_article(wanted)}, not {_json_type(value)} {value!r}."
    if error.validator == "enum":
        choices = ", ".join(str(choice) for choice in wanted)
        return f"{value!r} is not allowed: use one of {choices}."
    if error.validator in {"minimum", "maximum"}:
        low = schema.get("minimum")
        high = schema.get("maximum")
        return f"{value!r} is out of range: use a number from {low} to {high}."
    if error.validator == "minLength":
        return "must not be empty."
    if error.validator == "maxLength":
        return f"is too long ({len(str(value))} characters): keep it to {wanted}."
    if error.validator == "pattern":
        description = schema.get("description", f"Match {wanted}.")
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


def _code_matches(pattern: str, code: str) -> bool:
    try:
        return code_matches(pattern, code)
    except PatternTooSlow:
        return False  # reported as a mismatch naming the code; the pattern passed its probes


def semantic_problems(catalog: CatalogFile) -> list[Problem]:
    """Rules a schema cannot say: uniqueness, references, patterns, example agreement."""
    data = catalog.data
    problems: list[Problem] = []
    problems += _duplicate_slug_problems(catalog, "categories")
    problems += _duplicate_slug_problems(catalog, "guides")
    service = data["service"]
    pattern = service.get("code_pattern") or ""
    if pattern:
        error = pattern_error(pattern)
        if error:
            problems.append(catalog.problem(("service", "code_pattern"), error))
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
        if pattern and not _code_matches(pattern, code):
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
        if entry.get("retry_delay_from") and entry.get("retry") not in DELAYED_RETRIES:
            problems.append(
                catalog.problem(
                    ("errors", index, "retry_delay_from"),
                    f"a delay source goes with retry: retry_after or backoff, not "
                    f"{entry.get('retry', 'not_stated')!r}: set the rule or drop the source.",
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
    problems = catalog_problems(catalog)
    if problems:
        raise CatalogInvalid(problems)


def catalog_problems(catalog: CatalogFile) -> list[Problem]:
    """Every problem of one parsed file, by line (none: it can be imported). A code
    written as a bare number is made a string first."""
    if not isinstance(catalog.data, dict):
        return [
            Problem(catalog.name, "", "the file must be a mapping with a 'service' key at the top.")
        ]
    _coerce_codes(catalog.data)
    problems = schema_problems(catalog)
    try:
        problems += semantic_problems(catalog)
    except (KeyError, TypeError, AttributeError):
        # Parts of the file have the wrong shape; the schema problems already say where.
        if not problems:
            raise
    return sorted(problems, key=lambda problem: problem.line or 0)


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
    for _ in validated(catalogs, problems):
        pass
    if problems:
        raise CatalogInvalid(problems)


def validated(
    catalogs: Iterable[CatalogFile],
    problems: list[Problem],
    check: Callable[[CatalogFile], list[Problem]] = catalog_problems,
) -> Iterator[CatalogFile]:
    """Each file that is valid (and the only one of its service), as long as `problems`
    is empty: after the first problem every later file is still checked, so that all of
    them are reported at once, but none is given to import. `check` finds a file's own
    problems (a large import's are found beside it: errors/catalog/prerender.py)."""
    seen: dict[str, str] = {}
    for catalog in catalogs:
        found = check(catalog)
        if found:
            problems.extend(found)
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
        if not problems:
            yield catalog
