"""What is wrong with a catalog file: each mistake with its file, line and entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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

    what = "catalog"  # what the problems are in, for messages: a subclass may say "spec"

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
