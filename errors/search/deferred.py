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
Leaving the block refreshes what is still noted and puts the triggers back, so that
nothing is committed unindexed; a failure inside rolls back the notes with the writes.

Elsewhere (SQLite, whose full-text index costs a tenth as much, or outside a
transaction) it refreshes nothing itself: the triggers do, as always.
"""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# The transaction's setting the triggers read (migration 0023), and where they note ids.
SETTING = "errors.search_refresh"
CREATE_PENDING = (
    "CREATE TEMP TABLE IF NOT EXISTS errors_search_pending (id bigint NOT NULL) ON COMMIT DROP"
)
REFRESH_PENDING = (
    "WITH taken AS (DELETE FROM pg_temp.errors_search_pending RETURNING id) "
    "SELECT errors_search_refresh(ARRAY(SELECT DISTINCT id FROM taken))"
)


class DeferredRefresh:
    """While open, on PostgreSQL inside a transaction, the search triggers note what they
    would refresh; `start()` refreshes it on a helper thread, `wait()` waits for that,
    and closing refreshes the rest (the module says why)."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.connection = connections[using]
        self.active = False
        self.written = False
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None

    def __enter__(self) -> DeferredRefresh:
        if self.connection.vendor == "postgresql" and self.connection.in_atomic_block:
            with self.connection.cursor() as cursor:
                cursor.execute(CREATE_PENDING)
                cursor.execute("SELECT set_config(%s, 'deferred', true)", [SETTING])
            self.active = True
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
            driver_connection.execute(REFRESH_PENDING)
        except BaseException as exc:  # told by wait(), in the importing thread
            self.failure = exc

    def wait(self) -> None:
        """Wait for the refresh `start()` sent, and raise what it raised."""
        if self.thread is None:
            return
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
        if not self.active:
            return
        self.active = False
        try:
            self.wait()
        except Exception:
            if exc_type is None:
                raise
            # the failure already under way is the one to tell; the rollback undoes both
        if exc_type is None:
            with self.connection.cursor() as cursor:
                cursor.execute(REFRESH_PENDING)
                cursor.execute("SELECT set_config(%s, '', true)", [SETTING])
