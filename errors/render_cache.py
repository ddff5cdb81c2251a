"""Renders worked out ahead, somewhere else, and found again by what they were made from.

What an import stores beside each text (its HTML, a highlighted body, a message's forms,
an example's shape) is a pure function of that text. A large streamed import works them
out in a second process while the first writes the previous file
(errors/catalog/prerender.py), and hands them over as a table. While that table is in
use (`use`), each function marked `prerenderable` answers from it what it holds and
works out the rest itself, so the stored values are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# (function's name, its arguments as a key) -> what it answered
RenderTable = dict[tuple[str, Hashable], Any]

_table: ContextVar[RenderTable | None] = ContextVar("render_table", default=None)
_MISSING = object()


def key_of(args: tuple[Any, ...]) -> Hashable:
    """The arguments as a table key: lists (a code's messages) become tuples."""
    if not any(isinstance(arg, list) for arg in args):
        return args
    return tuple(tuple(arg) if isinstance(arg, list) else arg for arg in args)


def prerenderable(func: Callable[P, R]) -> Callable[P, R]:
    """Mark a pure function of positional arguments whose answers a render table may
    hold, under its qualified name."""
    name = func.__qualname__

    @wraps(func)
    def lookup(*args: P.args, **kwargs: P.kwargs) -> R:
        table = _table.get()
        if table is not None and not kwargs:
            try:
                found = table.get((name, key_of(args)), _MISSING)
            except TypeError:  # an argument that cannot be a key: work it out
                found = _MISSING
            if found is not _MISSING:
                return found  # type: ignore[no-any-return]
        return func(*args, **kwargs)

    return lookup


def entry(func: Callable[..., Any], *args: Any) -> tuple[tuple[str, Hashable], Any]:
    """Work out `func(*args)` (a `prerenderable` function) and the key it is found by."""
    return (func.__qualname__, key_of(args)), func(*args)


@contextmanager
def use(table: RenderTable | None) -> Iterator[None]:
    """Answer `prerenderable` calls from `table` (None: work everything out) inside."""
    token = _table.set(table)
    try:
        yield
    finally:
        _table.reset(token)
