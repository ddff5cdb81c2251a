"""Paging a long list of codes kept in groups (a service's codes), without reading the
groups a page does not fall in: what search's browsing and the status pages share."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def page_window(counts: Mapping[K, int], start: int, per_page: int) -> tuple[list[K], int]:
    """The groups (the keys of `counts`, in page order, with their number of codes) that
    the page of `per_page` codes from `start` falls in, and how many of their codes come
    before it."""
    window: list[K] = []
    skip = seen = 0
    for group, count in counts.items():
        if seen + count > start and seen < start + per_page:
            if not window:
                skip = start - seen
            window.append(group)
        seen += count
    return window, skip
