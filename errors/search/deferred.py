"""A large import's search documents made beside it, on PostgreSQL.

Each write to the codes or their examples refreshes their search documents in the same
statement (the triggers of errors/search/index.py): their texts parsed into weighted
words (`to_tsvector`) and added to three GIN indexes, about 0.3 s a thousand codes and
most of what PostgreSQL does in an import. The importer waited for it at the end of
each service's COPY, and the work it does next, in Python, waited with it.

Inside `DeferredRefresh` the triggers only note the codes they would have refreshed
(migration 0023), and the importer has them refreshed when it chooses: after `wrote()`,
`start()` sends the refresh of everything noted on a helper thread, through the same
connection and so in the same transaction, and `wait()` waits for it to end. Between
the two the importing thread should not use the connection: psycopg serialises a
connection's use, so a statement sent meanwhile is right, but waits for the refresh.

The block is a savepoint of its own. Leaving it refreshes what is still noted and puts
the triggers back as they were, so that nothing is committed unindexed; a failure inside
rolls back to the savepoint, the notes and the writes they were of together.

Elsewhere (SQLite, whose full-text index costs a tenth as much, or outside a
transaction) it refreshes nothing itself: the triggers do, as always.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger(__name__)

# The transaction's setting the triggers read (migration 0023), and where they note ids.
SETTING = "errors.search_refresh"
CREATE_PENDING = (
    "CREATE TEMP TABLE IF NOT EXISTS errors_search_pending (id bigint NOT NULL) ON COMMIT DROP"
)
# Codes refreshed a statement: one statement stays well inside the statement timeout
# (DATABASE_STATEMENT_TIMEOUT) whatever the size of a service.
REFRESH_BATCH = 5000
REFRESH_PENDING = (
    "WITH taken AS (DELETE FROM pg_temp.errors_search_pending WHERE ctid IN ("
    "SELECT ctid FROM pg_temp.errors_search_pending LIMIT {batch}) RETURNING id) "
    "SELECT errors_search_refresh(ARRAY(SELECT DISTINCT id FROM taken)), "
    "(SELECT count(*) FROM taken)"
)


class DeferredRefresh:
    """While open, on PostgreSQL inside a transaction, the search triggers note what they
    would refresh; `start()` refreshes it on a helper thread, `wait()` waits for that,
    and closing refreshes the rest (the module says why)."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.using = using
        self.connection = connections[using]
        self.savepoint: transaction.Atomic | None = None
        self.before = ""
        self.written = False
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None

    @property
    def active(self) -> bool:
        return self.savepoint is not None

    def __enter__(self) -> DeferredRefresh:
        if self.connection.vendor == "postgresql" and self.connection.in_atomic_block:
            self.savepoint = transaction.atomic(using=self.using)
            self.savepoint.__enter__()
            with self.connection.cursor() as cursor:
                cursor.execute(CREATE_PENDING)
                cursor.execute("SELECT current_setting(%s, true)", [SETTING])
                self.before = cursor.fetchone()[0] or ""
                cursor.execute("SELECT set_config(%s, 'deferred', true)", [SETTING])
        return self

    def wrote(self) -> None:
        """Say that codes or examples were written since the last `start()`."""
        self.written = True

    def start(self) -> None:
        """Refresh everything noted so far on a helper thread, if anything was written
        since the last time (once the one before has ended: call `wait()` between)."""
        if not (self.active and self.written) or self.thread is not None:
            return
        self.written = False
        self.thread = threading.Thread(
            target=self._refresh, args=(self.connection.connection,), daemon=True
        )
        self.thread.start()

    def _refresh(self, driver_connection: Any) -> None:
        try:
            with driver_connection.cursor() as cursor:
                refresh_pending(cursor)
        except BaseException as exc:  # told by wait(), in the importing thread
            self.failure = exc

    def wait(self) -> None:
        """Wait for the refresh `start()` sent, and raise what it raised."""
        if self.thread is None:
            return
        try:
            self.thread.join()
        finally:
            # Interrupted (Ctrl-C): the statement ends before anything rolls back, so
            # that it cannot run after the rollback, in a transaction of its own.
            self.thread.join()
            self.thread = None
        failure, self.failure = self.failure, None
        if failure is not None:
            with self.connection.wrap_database_errors:
                raise failure

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.savepoint is None:
            return
        savepoint, self.savepoint = self.savepoint, None
        try:
            try:
                self.wait()
            except BaseException:
                if exc_type is None:
                    raise
                # the failure under way is the one raised; the savepoint undoes both
                logger.exception("The search refresh beside the import failed too")
            if exc_type is None:
                with self.connection.cursor() as cursor:
                    refresh_pending(cursor)
                    cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, self.before])
        except BaseException as failure:
            savepoint.__exit__(type(failure), failure, failure.__traceback__)
            raise
        savepoint.__exit__(exc_type, exc, traceback)


def refresh_pending(cursor: Any) -> None:
    """Refresh every code noted, a batch a statement (Django's cursor or psycopg's)."""
    taken = batch = REFRESH_BATCH
    while taken >= batch:
        cursor.execute(REFRESH_PENDING.format(batch=batch))
        taken = cursor.fetchone()[1]
