"""A cheap version of the whole catalog, for caches that must notice every change.

Two things move the version: a generation this process bumps on every model signal (admin
edits, deletes), and a fingerprint of the tables (row counts and newest `updated_at`) that
catches what signals miss: bulk imports and writes made by other processes. The
fingerprint costs one query, so it is re-read at most every
`PORTAL_CATALOG_RECHECK_SECONDS` (0 = on every call) rather than once per request.
"""

from __future__ import annotations

import hashlib
import threading
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save

from errors.models import Category, ErrorCode, Example, Guide, Service

_lock = threading.Lock()
_state: dict = {"generation": 0, "checked_at": None, "fingerprint": ""}


def _fingerprint() -> str:
    """Counts and newest timestamps of the catalog tables, in one query."""
    errors, services = ErrorCode._meta.db_table, Service._meta.db_table
    categories, examples = Category._meta.db_table, Example._meta.db_table
    quote = connection.ops.quote_name
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {quote(errors)}),"
        f" (SELECT MAX(updated_at) FROM {quote(errors)}),"
        f" (SELECT COUNT(*) FROM {quote(services)}),"
        f" (SELECT MAX(updated_at) FROM {quote(services)}),"
        f" (SELECT COUNT(*) FROM {quote(categories)}),"
        f" (SELECT MAX(id) FROM {quote(categories)}),"
        f" (SELECT COUNT(*) FROM {quote(examples)}),"
        f" (SELECT MAX(id) FROM {quote(examples)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return "|".join(str(value) for value in row)


def catalog_version() -> str:
    """A short string that changes whenever the catalog does."""
    recheck = float(getattr(settings, "PORTAL_CATALOG_RECHECK_SECONDS", 1.0))
    now = time.monotonic()
    with _lock:
        checked_at = _state["checked_at"]
        stale = checked_at is None or now - checked_at >= recheck
    if stale:
        fingerprint = _fingerprint()
        with _lock:
            _state["fingerprint"], _state["checked_at"] = fingerprint, now
    with _lock:
        raw = f"{_state['generation']}:{_state['fingerprint']}"
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def bump_catalog_version() -> None:
    """Mark the catalog changed in this process, and re-read the fingerprint next time."""
    with _lock:
        _state["generation"] += 1
        _state["checked_at"] = None


def _on_write(**_kwargs) -> None:
    # Bump now (this transaction's own reads see the change) and again after the commit,
    # so a cache another thread rebuilt from the old rows in between is dropped too.
    bump_catalog_version()
    transaction.on_commit(bump_catalog_version)


for _model in (Service, Category, ErrorCode, Example, Guide):
    post_save.connect(_on_write, sender=_model, dispatch_uid=f"catalog-version-save-{_model}")
    post_delete.connect(_on_write, sender=_model, dispatch_uid=f"catalog-version-del-{_model}")
