"""The codes of a spec, from every place specs put them: `enum`s of the code property (a
status from the response, or from a code-to-status table in a description), named and
single examples, constant or default values of per-status schemas, `x-` extensions that
list codes, problem `type` URIs, and codes written in backticks in a response's
description."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from errors.bodies import resolve_pointer
from errors.openapi.document import Spec, decode_pointer
from errors.openapi.envelope import Envelope, flatten
from errors.openapi.operations import ErrorResponse, MediaBody, SpecExample

MAX_CODE = 100
BACKTICKED = re.compile(r"`([^`\s]{2,100})`")
# A code written in prose: a separator (not_found, invalid-token) or upper case (RATE_LIMITED).
CODE_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[_\-:][A-Za-z0-9]+)+$|^[A-Z][A-Z0-9]{3,}$")
# A shared code enum whose statuses a table states gives each code the operations whose
# responses of its status use the enum, unless the enum is everywhere (more responses).
MAX_INFERRED_USES = 50
STATUS_NUMBER = re.compile(r"(?<![\d.])([1-5]\d\d)(?![\d.])")


@dataclass
class Occurrence:
    """One place a code is documented."""

    code: str
    status: int | None = None
    operation: dict[str, str] | None = None
    example: SpecExample | None = None
    explanation: str = ""
    title: str = ""
    retry: str = ""
    sure_status: bool = False  # the status is stated for this code, not for its response


@dataclass
class Found:
    """Everything read about one code."""

    code: str
    occurrences: list[Occurrence] = field(default_factory=list)


def code_text(value: Any) -> str | None:
    """A code value as text, or None when it cannot be a code."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str) and str(value).strip() and len(str(value)) <= MAX_CODE:
        return str(value).strip()
    return None


def sub_schema(spec: Spec, schema_node: Any, pointer: str, place: str) -> dict[str, Any]:
    """The schema of the value at `pointer` inside bodies of `schema_node`."""
    schema = flatten(spec, schema_node, place)
    for token in decode_pointer(pointer):
        if token.isdigit() and "items" in schema:
            schema = flatten(spec, schema["items"], place)
            continue
        prop = (schema.get("properties") or {}).get(token)
        if prop is None:
            return {}
        schema = flatten(spec, prop, place)
    return schema


def status_table(text: str, known: set[str]) -> dict[str, tuple[int, str]]:
    """Lines like "* `not_found` - 404: the resource..." and table rows like
    "| not_found | 404 | ... |" -> {code: (status, explanation)}."""
    found: dict[str, tuple[int, str]] = {}
    for line in text.splitlines():
        cells = [c.strip(" `*") for c in line.strip().strip("|").split("|")] if "|" in line else []
        item = re.match(r"\s*(?:[-*+]|\d+\.)\s+\**([\w.\-]+)", line)  # "- not_found (404): ..."
        words = [m.group(1) for m in BACKTICKED.finditer(line)] + cells[:1]
        words += [item.group(1)] if item else []
        code = next((w for w in words if w in known), None)
        if code is None:
            continue
        rest = line.split(code, 1)[1]
        number = STATUS_NUMBER.search(rest)
        if number is None:
            continue
        explanation = (
            rest[number.end() :].lstrip(" /0123456789").lstrip(":-\u2013\u2014|) ").strip(" |")
        )
        found.setdefault(code, (int(number.group(1)), " ".join(explanation.split())))
    return found


def sentence_with(text: str, token: str) -> str:
    """The sentence (or list item) of `text` that mentions `token`, tidied."""
    for line in text.splitlines():
        if f"`{token}`" not in line:
            continue
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            if f"`{token}`" in sentence:
                sentence = " ".join(sentence.strip(" -*|").split())
                # A list item "`closed_period`: the period is closed." -> its explanation.
                rest = re.sub(rf"^`{re.escape(token)}`\s*[-:\u2013\u2014]\s*", "", sentence)
                return rest[:1].upper() + rest[1:] if rest != sentence else sentence
    return ""


class CodeReader:
    """Reads every code of a spec's error responses, given its envelope."""

    def __init__(self, spec: Spec, envelope: Envelope) -> None:
        self.spec = spec
        self.envelope = envelope
        self.found: dict[str, Found] = {}
        self.enum_codes: set[str] = set()
        self.table: dict[str, tuple[int, str]] = {}
        self.warnings: list[str] = []
        self.codeless: dict[int | None, list[tuple[ErrorResponse, SpecExample]]] = {}
        # Which statuses each code schema (enum) appears under: an enum shared by several
        # statuses tells no code's status.
        self._enum_statuses: dict[str, set[int | None]] = defaultdict(set)
        self._enum_values: dict[str, list[str]] = {}
        self._enum_ops: dict[str, list[dict[str, str] | None]] = defaultdict(list)
        self._enum_uses: dict[str, list[tuple[int | None, dict[str, str] | None]]] = defaultdict(
            list
        )
        self._schema_statuses: dict[str, set[int | None]] = defaultdict(set)
        self._schema_cache: dict[str, tuple[dict[str, Any], list[str], str]] = {}

    def add(self, occurrence: Occurrence) -> None:
        """Record one place a code is documented (codes compare ignoring case)."""
        key = occurrence.code.lower()
        self.found.setdefault(key, Found(occurrence.code)).occurrences.append(occurrence)

    def read(self, responses: list[ErrorResponse]) -> dict[str, Found]:
        """Every code of `responses`, each with the places it is documented."""
        for response in responses:
            for body in response.bodies:
                if body.schema_key:
                    self._schema_statuses[body.schema_key].add(response.status)
        for response in responses:
            self._read_extensions(response.extensions, response)
            for body in response.bodies:
                self._read_schema(response, body)
        for key, values in self._enum_values.items():
            statuses = self._enum_statuses[key]
            only = next(iter(statuses)) if len(statuses) == 1 else None
            # The operations of an enum shared by many tell nothing of one code.
            operations = self._enum_ops[key] if len(self._enum_ops[key]) == 1 else [None]
            for value in values:
                for operation in operations:
                    self.add(Occurrence(value, only, operation))
        self._read_tables()
        self._operations_by_stated_status()
        for response in responses:
            for body in response.bodies:
                self._read_examples(response, body)
            self._read_prose(response)
        return self.found

    # ---------------------------------------------------------------- the code property

    def _read_schema(self, response: ErrorResponse, body: MediaBody) -> None:
        pointer = self.envelope.code_pointer
        if not pointer or body.schema is None:
            return
        # A spec references one error schema from thousands of responses: read it once.
        cache_key = body.schema_key or str(id(body.schema))
        if cache_key not in self._schema_cache:
            schema = sub_schema(self.spec, body.schema, pointer, body.schema_place)
            values = [t for v in schema.get("enum") or [] if (t := code_text(v)) is not None]
            self._schema_cache[cache_key] = (schema, values, str(sorted(values)))
            if len(values) > 1:
                description = str(schema.get("description") or "")
                self.table.update(status_table(description, set(values)))
        schema, values, key = self._schema_cache[cache_key]
        self._read_extensions(schema, response)
        constant = schema.get("const", schema.get("default"))
        if len(values) == 1 and constant is None:
            constant = values[0]
        per_status = not body.schema_key or len(self._schema_statuses[body.schema_key]) == 1
        if constant is None and per_status and response.status is not None:
            constant = schema.get("example")  # a per-status schema's own example value
        if code_text(constant) is not None:
            self.add(Occurrence(str(code_text(constant)), response.status, response.operation))
            return
        if values:
            self._enum_values[key] = values
            self._enum_statuses[key].add(response.status)
            self._enum_ops[key].append(response.operation)
            self._enum_uses[key].append((response.status, response.operation))
            self.enum_codes.update(values)

    def _operations_by_stated_status(self) -> None:
        """A shared enum's code whose status a table states belongs to the operations
        whose responses of that status use the enum."""
        for key, values in self._enum_values.items():
            uses = self._enum_uses[key]
            if not 2 <= len(uses) <= MAX_INFERRED_USES:
                continue  # an enum every response of the API shares tells no operation
            by_status: dict[int | None, list[dict[str, str]]] = defaultdict(list)
            for status, operation in uses:
                if operation is not None:
                    by_status[status].append(operation)
            for value in values:
                stated = self.table.get(value)
                for operation in by_status.get(stated[0], []) if stated else []:
                    self.add(Occurrence(value, stated[0] if stated else None, operation))

    def _read_tables(self) -> None:
        for code, (status, explanation) in self.table.items():
            self.add(Occurrence(code, status, None, explanation=explanation, sure_status=True))

    # ---------------------------------------------------------------- examples

    def _read_examples(self, response: ErrorResponse, body: MediaBody) -> None:
        for example in body.examples:
            value = example.value
            code = None
            if self.envelope.code_pointer and isinstance(value, dict):
                code = code_text(resolve_pointer(value, self.envelope.code_pointer))
            # A shared schema's own example is shown under every response using it: it
            # tells its code, not a status or an operation.
            shared = bool(body.schema_key) and len(self._schema_statuses[body.schema_key]) > 1
            status = None if example.from_schema and shared else response.status
            operation = None if example.from_schema and shared else response.operation
            if self.envelope.status_pointer and isinstance(value, dict):
                seen = resolve_pointer(value, self.envelope.status_pointer)
                if isinstance(seen, str) and seen.isdigit():
                    seen = int(seen)
                ranged = response.status_key[1:].upper() in ("XX", "EFAULT")
                if isinstance(seen, int) and 100 <= seen <= 599 and (ranged or status is None):
                    status = seen  # a `default` or `4XX` response: the body says which
            if code is None:
                code = self._named_code(example) or self._only_code_of(response)
            if code is None:  # a code-less example: the status entry takes it
                self.codeless.setdefault(status, []).append((response, example))
                continue
            self.add(Occurrence(code, status, operation, example=example))

    def _named_code(self, example: SpecExample) -> str | None:
        """A body without a code in an example named after a known code (`NOT_FOUND`,
        `NOT_FOUND.2`): a status-only service's export names its examples so."""
        name = re.sub(r"\.\d+$", "", example.name).lower()
        found = self.found.get(name)
        return found.code if found is not None else None

    def _only_code_of(self, response: ErrorResponse) -> str | None:
        """The code of a response documenting exactly one (a per-status problem type)."""
        codes = {
            o.code
            for found in self.found.values()
            for o in found.occurrences
            if o.operation == response.operation
            and o.status == response.status
            and o.example is None
        }
        return next(iter(codes)) if len(codes) == 1 and response.operation else None

    # ---------------------------------------------------------------- prose and x-

    def _read_prose(self, response: ErrorResponse) -> None:
        if not self.envelope.code_pointer or not response.description:
            return
        for match in BACKTICKED.finditer(response.description):
            token = match.group(1)
            if self.enum_codes and token not in self.enum_codes:
                continue  # the enum is the list: prose names fields and values too
            if not self.enum_codes and not (
                CODE_LIKE.match(token) and _defines(response.description, token)
            ):
                continue
            self.add(
                Occurrence(
                    token,
                    response.status,
                    response.operation,
                    explanation=sentence_with(response.description, token),
                )
            )

    def _read_extensions(self, node: Any, response: ErrorResponse) -> None:
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            name = str(key).lower()
            if not name.startswith("x-") or not ("code" in name or "error" in name):
                continue
            for item in _listed(value):
                code = code_text(item.get("code"))
                if code is None:
                    continue
                status = item.get("status", item.get("http_status"))
                sure = isinstance(status, int) and not isinstance(status, bool)
                self.add(
                    Occurrence(
                        code,
                        status if sure else response.status,
                        response.operation,
                        explanation=str(item.get("description") or item.get("summary") or ""),
                        title=str(item.get("title") or ""),
                        retry=str(item.get("retry") or ""),
                        sure_status=sure,
                    )
                )


def _defines(text: str, token: str) -> bool:
    """Prose that states a code: a list item or line that starts with it and explains it
    (a list item starting with the code in backticks, then a colon or a dash), or a
    sentence that calls it a code."""
    for line in text.splitlines():
        if re.match(rf"\s*(?:[-*+]|\d+\.)?\s*`{re.escape(token)}`\s*(?:[-:\u2013\u2014(]|$)", line):
            return True
    sentence = sentence_with(text, token).lower()
    return bool(re.search(r"\b(error )?codes?\b", sentence))


def _listed(value: Any) -> list[dict[str, Any]]:
    """An extension's codes: `[CODE, ...]`, `[{code: ...}, ...]` or `{CODE: text|{...}}`."""
    if isinstance(value, list):
        return [
            item if isinstance(item, dict) else {"code": item}
            for item in value
            if isinstance(item, dict | str | int)
        ]
    if isinstance(value, dict):
        if "code" in value:
            return [value]
        items = []
        for code, about in value.items():
            if isinstance(about, dict):
                items.append({"code": code, **about})
            elif isinstance(about, str | int):
                items.append({"code": code, "description": str(about)})
        return items
    return []


def main_status(found: Found) -> int | None:
    """A code documented under several statuses is one entry with its main status: the
    one stated for the code, else the one it is most often documented under."""
    sure = [o.status for o in found.occurrences if o.sure_status and o.status is not None]
    if sure:
        return sure[0]
    # One shared component example referenced by fifty operations is one statement.
    places = {
        (o.status, o.example.place if o.example else repr(o.operation))
        for o in found.occurrences
        if o.status is not None
    }
    counts = Counter(status for status, _ in places)
    if not counts:
        return None
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
