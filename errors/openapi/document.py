"""An OpenAPI document as read: YAML or JSON text checked to be OpenAPI 3.0 or 3.1, with
`$ref`s followed within the file and every problem named by its place in the spec
(`paths./v1/x.post.responses.400`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from errors.catalog.files import YAML_LOADER
from errors.catalog.problems import CatalogInvalid, Problem

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace", "query")
MAX_REF_DEPTH = 64


class SpecInvalid(CatalogInvalid):
    """A spec the importer cannot read; each problem names its place in the spec."""

    what = "spec"


def spec_problem(name: str, place: str, message: str) -> SpecInvalid:
    """One problem at `place` (dotted, like `paths./v1/x.post.responses.400`)."""
    return SpecInvalid([Problem(name, place, message)])


def place_of(*parts: str | int) -> str:
    """`("paths", "/v1/x", "post")` -> `paths./v1/x.post`."""
    return ".".join(str(part) for part in parts)


def decode_pointer(pointer: str) -> list[str]:
    """The reference tokens of an RFC 6901 pointer (`/a~1b/c` -> `["a/b", "c"]`)."""
    if not pointer:
        return []
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]


def encode_token(token: str | int) -> str:
    """One pointer token, escaped."""
    return str(token).replace("~", "~0").replace("/", "~1")


@dataclass
class Spec:
    """A parsed OpenAPI 3.x document and its name (the file, or `upload`)."""

    name: str
    data: dict[str, Any]

    @property
    def version(self) -> str:
        """`3.0.3`, `3.1.0`, ..."""
        return str(self.data.get("openapi", ""))

    @property
    def is_31(self) -> bool:
        """True for OpenAPI 3.1 (JSON Schema 2020-12, `$ref` with siblings)."""
        return self.version.startswith("3.1")

    def target(self, ref: Any, place: str) -> Any:
        """The node a `$ref` names; a ref to another file or to nothing is an error."""
        if not isinstance(ref, str):
            raise spec_problem(self.name, place, "$ref must be a string like #/components/...")
        if not ref.startswith("#"):
            raise spec_problem(
                self.name,
                place,
                f"$ref {ref!r} points into another file: the importer follows $refs within "
                "one file only; bundle the spec first (e.g. `redocly bundle` or "
                "`swagger-cli bundle`) and import the bundled file.",
            )
        node: Any = self.data
        for token in decode_pointer(ref[1:]):
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                raise spec_problem(
                    self.name,
                    place,
                    f"$ref {ref!r} points at nothing: there is no {token!r} there. "
                    "Fix the reference or add the component it names.",
                )
        return node

    def resolve(self, node: Any, place: str) -> tuple[Any, str]:
        """Follow `$ref`s until a node that is not one; answer it with the place it is at.

        OpenAPI 3.1 allows siblings beside a `$ref` (`description`, `summary`): they are
        kept over the target's.
        """
        siblings: dict[str, Any] = {}
        seen: set[str] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            siblings = {**{k: v for k, v in node.items() if k != "$ref"}, **siblings}
            if (isinstance(ref, str) and ref in seen) or len(seen) > MAX_REF_DEPTH:
                raise spec_problem(
                    self.name, place, f"$ref {ref!r} refers back to itself: break the loop."
                )
            seen.add(str(ref))
            node = self.target(ref, place)
            place = str(ref)[2:].replace("/", ".") if str(ref).startswith("#/") else place
        if siblings and isinstance(node, dict):
            own = node.get("description")
            node = {**node, **siblings}
            if own and siblings.get("description") and own != siblings["description"]:
                # Both say something (a code table may be in the target's): keep both.
                node["description"] = f"{siblings['description']}\n\n{own}"
        return node, place

    def deref(self, node: Any, place: str) -> Any:
        """`resolve` without the place."""
        return self.resolve(node, place)[0]

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any], str]]:
        """Every operation: (METHOD, path, operation, place)."""
        paths = self.data.get("paths") or {}
        if not isinstance(paths, dict):
            raise spec_problem(self.name, "paths", "paths must be a mapping of path to item.")
        for path, item in paths.items():
            if not str(path).startswith("/"):
                continue  # x- extensions beside the paths
            item, item_place = self.resolve(item, place_of("paths", path))
            if not isinstance(item, dict):
                continue
            for method in HTTP_METHODS:
                operation = item.get(method)
                if isinstance(operation, dict):
                    yield method.upper(), str(path), operation, place_of(item_place, method)


def parse_spec(text: str, name: str) -> Spec:
    """Parse YAML or JSON text and check it is an OpenAPI 3.0 or 3.1 document."""
    if text.lstrip().startswith("{"):
        try:  # JSON's own parser is many times faster than YAML's on a large spec
            return check_spec(json.loads(text), name)
        except (ValueError, RecursionError):
            pass  # YAML flow style, or broken: the YAML reader says where
    try:
        data = yaml.load(text, Loader=YAML_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SpecInvalid(
            [Problem(name, "", f"the file is not valid YAML or JSON: {exc.problem or exc}.", line)]
        ) from exc
    except yaml.YAMLError as exc:
        raise spec_problem(name, "", f"the file is not valid YAML or JSON: {exc}.") from exc
    except RecursionError as exc:
        raise spec_problem(name, "", "the file is nested too deeply to read.") from exc
    return check_spec(data, name)


def check_spec(data: Any, name: str) -> Spec:
    """`data` as a Spec, or a problem saying why it is not OpenAPI 3."""
    if not isinstance(data, dict):
        raise spec_problem(
            name, "", "this is not an OpenAPI document: it should be a mapping with `openapi: 3.x`."
        )
    if "swagger" in data:
        raise spec_problem(
            name,
            "swagger",
            f"this is a Swagger/OpenAPI {data.get('swagger')} document: convert it to "
            "OpenAPI 3 first (e.g. `npx swagger2openapi spec.yaml -o spec3.yaml`), then import "
            "the result.",
        )
    version = str(data.get("openapi", ""))
    if not version:
        raise spec_problem(
            name,
            "openapi",
            "this is not an OpenAPI document: it has no `openapi` version field "
            "(a catalog file goes to import_catalog instead).",
        )
    if not (version.startswith("3.0") or version.startswith("3.1")):
        raise spec_problem(name, "openapi", f"OpenAPI {version} is not supported: use 3.0 or 3.1.")
    if not isinstance(data.get("info"), dict):
        raise spec_problem(name, "info", "the spec has no `info` mapping (title, version).")
    return Spec(name=name, data=data)
