"""Reading, checking and rendering a large import's files in a second process while the
first writes.

An import writes through one database connection, but reading a file, validating it and
working out what it stores beside each text (HTML, highlighted bodies, messages' forms,
example shapes) need only the file: about half of an import's time. Once a stream of
files has held `PARALLEL_AFTER_CODES` codes, each later file is handed to a worker
process as soon as the one before it is taken, and read, checked and rendered there
while the import writes the file before it. The renders come back as a render table
(errors/render_cache.py) that the import looks them up in; anything the table lacks (a
worker that failed, a text it did not foresee) is rendered in the importing process as
before, so the rows are the same.

Small imports (a publish, the demo catalogs) never start a worker: it costs about a
second to start, which only a large import wins back.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

from errors.bodies import example_shape
from errors.catalog.files import CatalogFile
from errors.catalog.problems import CatalogInvalid, Problem
from errors.catalog.validation import catalog_problems
from errors.markdown import highlight_code, render_markdown
from errors.message_values import stored_forms
from errors.render_cache import RenderTable, entry

logger = logging.getLogger(__name__)

# Codes a stream's earlier files must hold before later files are rendered beside it.
PARALLEL_AFTER_CODES = 2000


def render_table(data: dict) -> RenderTable:
    """Everything the import renders for one valid file's codes and examples, worked out
    here (in the worker)."""
    from errors.catalog.canonical import canonical_from_file  # needs the app's models

    table: RenderTable = {}
    for item in canonical_from_file(data)["errors"]:
        for text in (item["description"], item["resolution"]):
            table.update([entry(render_markdown, text)])
        table.update([entry(stored_forms, item["messages"])])
        for example in item["examples"]:
            table.update(
                [
                    entry(render_markdown, example["description"]),
                    entry(highlight_code, example["body"], example["language"]),
                    entry(example_shape, example["language"], example["body"]),
                ]
            )
    return table


# A file of the stream: the parsed catalog, or a picklable callable that reads or makes
# it (`functools.partial(read_catalog_file, path)`), which a large import calls in the
# worker, so that parsing a file is not on the writing process's time either. A callable
# raises `CatalogInvalid` for a file it cannot read.
Source = CatalogFile | Callable[[], CatalogFile]


class Prerendering:
    """A stream of catalog files, each (once the stream has held `PARALLEL_AFTER_CODES`
    codes, on a machine of more than one core) read, checked and rendered in a worker
    process while the caller writes the file before it.

    Iterate it for the files, in order; `problems_of(file)` is a `check` for
    `validated()` and `renders_of(file)` the render table for `render_cache.use()`, of
    the file the iteration gave last. A file that could not be read comes as a
    `CatalogFile` without data, whose problems say why. Close it (it is a context
    manager) to stop the worker. With `check=False` the files were validated already:
    the worker only renders. Without `parallel` there is no worker: the files are read
    here, one at a time.
    """

    def __init__(
        self, sources: Iterable[Source], *, check: bool = True, parallel: bool = False
    ) -> None:
        self.sources = sources
        self.check = check
        self.pool: ProcessPoolExecutor | None = None
        self.wanted = parallel and _cores() > 1
        self.codes_seen = 0
        self.current: tuple[CatalogFile, Prepared | None] | None = None

    def __enter__(self) -> Prerendering:
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        self.close(wait=exc_type is None)

    def close(self, wait: bool = True) -> None:
        """Stop the worker: what it was given is dropped, and unless `wait` (the import
        failed), what it is doing is not waited for either."""
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=True)
            self.pool = None

    def __iter__(self) -> Iterator[CatalogFile]:
        pending: deque[tuple[Source, Future[tuple[CatalogFile, Prepared]] | None]] = deque()
        for source in self.sources:
            pending.append((source, self._submit(source)))
            # With a worker, the next file is read and rendered while this one is
            # written (two files in memory); without one, a file at a time.
            if len(pending) > (1 if self.pool is not None else 0):
                yield self._take(*pending.popleft())
        while pending:
            yield self._take(*pending.popleft())

    def problems_of(self, catalog: CatalogFile) -> list[Problem]:
        """The file's problems: the worker's, or found here."""
        prepared = self._prepared(catalog)
        # a file the worker read or checked is its copy, checked (and coerced) there
        return catalog_problems(catalog) if prepared is None else prepared.problems

    def renders_of(self, catalog: CatalogFile) -> RenderTable | None:
        """The file's render table, or None (render everything here)."""
        prepared = self._prepared(catalog)
        return prepared.renders if prepared is not None else None

    def _prepared(self, catalog: CatalogFile) -> Prepared | None:
        if self.current is None or self.current[0] is not catalog:
            return None
        return self.current[1]

    def _submit(self, source: Source) -> Future[tuple[CatalogFile, Prepared]] | None:
        if not self.wanted or self.codes_seen < PARALLEL_AFTER_CODES:
            return None
        try:
            if self.pool is None:
                # spawn, not fork: the importing process holds a database connection
                # and threads (a progress bar's) that a forked child would inherit.
                self.pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=get_context("spawn"), initializer=_start_worker
                )
            return self.pool.submit(load_and_prepare, source, self.check)
        except Exception:  # it could not start, or it died: work here from now on
            logger.warning("The import's worker stopped: working in this process", exc_info=True)
            if self.pool is not None:
                self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool, self.wanted = None, False
            return None

    def _take(
        self, source: Source, work: Future[tuple[CatalogFile, Prepared]] | None
    ) -> CatalogFile:
        done: tuple[CatalogFile, Prepared | None] | None = None
        if work is not None:
            try:
                done = work.result()
            except Exception:  # the worker failed on this file: work here instead
                logger.warning("Preparing a file beside the import failed", exc_info=True)
        if done is None:
            done = _load(source)
        self.current = done
        self.codes_seen += _codes_in(done[0])
        return done[0]


@dataclass
class Prepared:
    """What was found of one file: its problems and, if none, its renders."""

    problems: list[Problem]
    renders: RenderTable | None


def load_and_prepare(source: Source, check: bool) -> tuple[CatalogFile, Prepared]:
    """In the worker: the file, its problems (when `check`) and, if it has none, its
    render table."""
    catalog, unreadable = _load(source)
    if unreadable is not None:
        return catalog, unreadable
    problems = catalog_problems(catalog) if check else []
    return catalog, Prepared(problems, None if problems else render_table(catalog.data))


def _load(source: Source) -> tuple[CatalogFile, Prepared | None]:
    """The file, read here if it is to be read; one that cannot be read comes without
    data and with its problems."""
    if isinstance(source, CatalogFile):
        return source, None
    try:
        return source(), None
    except CatalogInvalid as exc:
        problems = exc.problems or [Problem("", "", "a file could not be read.")]
        return CatalogFile(name=problems[0].file, data=None), Prepared(problems, None)


def _codes_in(catalog: CatalogFile) -> int:
    data = catalog.data
    errors = data.get("errors") if isinstance(data, dict) else None
    return len(errors) if isinstance(errors, list) else 0


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _start_worker() -> None:
    import django

    django.setup()
