"""Shared by the OpenAPI tests: the fixture specs, parsed once per run."""

from __future__ import annotations

import functools
from pathlib import Path

from errors.openapi.document import Spec, parse_spec

SPECS = Path(__file__).parent / "fixtures" / "openapi"


@functools.cache
def _text(name: str) -> str:
    return (SPECS / name).read_text(encoding="utf-8")


def spec(name: str) -> Spec:
    """A fixture spec, parsed (a fresh copy each time: the merge changes its data)."""
    return parse_spec(_text(name), name)


def spec_text(name: str) -> str:
    """A fixture spec's text."""
    return _text(name)
