"""Reading catalog files: YAML or JSON text into a `CatalogFile` that knows the line of
every value, so every problem can say where it is."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from errors.catalog.problems import CatalogInvalid, Problem

Path_ = tuple[str | int, ...]


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


# libyaml's C parser and emitter when PyYAML was built with it: several times faster on
# large files (a 1,000-code service's OpenAPI document written: 795 -> 253 ms).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAML_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
# What libyaml's emitter writes as escapes in a double-quoted string where PyYAML's own
# writes the characters as they are (and a Markdown text as a block): those past U+FFFF
# (emoji) and U+0085.
ESCAPES_OF_LIBYAML_ALONE = ("\\U", "\\N")


def dump_yaml(
    data: Any, fast: type[yaml.SafeDumper], exact: type[yaml.SafeDumper], **options: Any
) -> str:
    """`data` as YAML by the `fast` dumper (libyaml's), or, when it wrote an escape that
    the `exact` one (PyYAML's, of the same representers) would not have, by that one:
    the text is PyYAML's either way."""
    text: str = yaml.dump(data, Dumper=fast, **options)
    if fast is not exact and any(escape in text for escape in ESCAPES_OF_LIBYAML_ALONE):
        text = yaml.dump(data, Dumper=exact, **options)
    return text


# A catalog nests five levels deep; YAML's own composer recurses in C, so 100,000 nested
# brackets crash the process and a few thousand overflow Python's stack.
MAX_DEPTH = 64


def _refused(name: str, event: Any, message: str) -> CatalogInvalid:
    return CatalogInvalid([Problem(name, "", message, event.start_mark.line + 1)])


def _compose(loader: Any, name: str) -> yaml.Node | None:
    """The node tree of the one document, built from the parser's events without
    recursion; anchors and aliases (a few bytes that expand to gigabytes), nesting past
    `MAX_DEPTH` and duplicate keys are refused at the event that shows them."""
    loader.get_event()  # the stream's start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    loader.get_event()  # the document's start
    root: yaml.Node | None = None
    # Each open collection, with the key node waiting for its value and the keys seen.
    open_: list[tuple[yaml.CollectionNode, list[yaml.Node], set[str]]] = []
    while not loader.check_event(yaml.DocumentEndEvent):
        event: Any = loader.get_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _refused(
                name,
                event,
                "anchors and aliases (&name, *name) are not allowed in a catalog: "
                "write each value out.",
            )
        if isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            open_.pop()[0].end_mark = event.end_mark
            continue
        node: yaml.Node
        # libyaml's marks are its own class, which the stubs do not admit on nodes.
        start: Any = event.start_mark
        if isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(tag, event.value, start, start, style=event.style)
        else:
            kind = (
                yaml.MappingNode if isinstance(event, yaml.MappingStartEvent) else yaml.SequenceNode
            )
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(kind, None, event.implicit)
            node = kind(tag, [], start, None, flow_style=event.flow_style)
        if open_:
            parent, pending, keys = open_[-1]
            if isinstance(parent, yaml.SequenceNode):
                parent.value.append(node)
            elif pending:
                parent.value.append((pending.pop(), node))
            else:
                if isinstance(node, yaml.ScalarNode):
                    if node.value in keys:
                        raise _refused(
                            name,
                            event,
                            f"the key {node.value!r} appears twice in one "
                            "mapping: keep one (YAML and JSON readers disagree on which wins).",
                        )
                    keys.add(node.value)
                pending.append(node)
        else:
            root = node
        if isinstance(node, yaml.CollectionNode):
            if len(open_) >= MAX_DEPTH:
                raise _refused(
                    name,
                    event,
                    f"the file is nested too deeply (more than {MAX_DEPTH} "
                    "levels; a catalog needs five or six): flatten it.",
                )
            open_.append((node, [], set()))
    loader.get_event()  # the document's end
    if not loader.check_event(yaml.StreamEndEvent):
        raise _refused(
            name, loader.peek_event(), "the file holds more than one YAML document: keep one."
        )
    return root


def _compose_and_construct(text: str, name: str) -> tuple[yaml.Node | None, Any]:
    """Parse once: the node tree (for line numbers) and the data built from it."""
    loader = YAML_LOADER(text)
    try:
        root = _compose(loader, name)
        return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()


def _json_syntax_problem(text: str, name: str) -> Problem | None:
    """JSON files are read as YAML, which forgives what JSON does not (trailing commas,
    comments, unquoted keys): a `.json` file must be JSON."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return Problem(
            name, "", f"the file is not valid JSON: {exc.msg} (column {exc.colno}).", exc.lineno
        )
    except RecursionError:
        return None  # the composer names the depth
    return None


def _unstorable_text(catalog: CatalogFile) -> list[Problem]:
    """Text a database cannot keep: NUL (PostgreSQL refuses it) and lone surrogates
    (`\\ud800` escapes, not UTF-8)."""
    problems = []

    def walk(node: Any, path: Path_) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))
        elif isinstance(node, str):
            if "\x00" in node:
                message = (
                    "this text holds a NUL character (\\0), which no text can keep: remove it."
                )
                problems.append(catalog.problem(path, message))
            elif UNPAIRED_SURROGATE.search(node):
                message = "this text has an unpaired surrogate escape (\\ud800-\\udfff): "
                problems.append(catalog.problem(path, message + "write the character itself."))

    walk(catalog.data, ())
    return problems


UNPAIRED_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_catalog(text: str, name: str) -> CatalogFile:
    """Parse YAML or JSON text (JSON is read as YAML, after a check that it is JSON) into a
    `CatalogFile`; refuses what no catalog needs and a worker cannot afford."""
    try:
        root, data = _compose_and_construct(text, name)
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
    if name.lower().endswith(".json"):
        problem = _json_syntax_problem(text, name)
        if problem:
            raise CatalogInvalid([problem])
    lines: dict[Path_, int] = {}
    if root is not None:
        _node_lines(root, (), lines)
    catalog = CatalogFile(name=name, data=_plain(data), lines=lines)
    problems = _unstorable_text(catalog)
    if problems:
        raise CatalogInvalid(problems)
    return catalog


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
