"""Reading catalog files: YAML or JSON text into a `CatalogFile` that knows the line of
every value, so every problem can say where it is."""

from __future__ import annotations

from collections.abc import Iterable
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
