"""The catalog version on PostgreSQL, read by a statement prepared once per connection
(errors.catalog_version): the same value a cursor reads, the next write's at once, part
of the transaction it is read in, and read by a cursor wherever the statement cannot be
used."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from psycopg.pq import TransactionStatus

from errors.catalog_version import QUERY, STATEMENT, catalog_version
from errors.models import Service

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the prepared read is PostgreSQL's"
    ),
]


def read_by_cursor() -> str:
    with connection.cursor() as cursor:
        cursor.execute(QUERY)
        epoch, version = cursor.fetchone()
    return f"{epoch}-{version}"


def prepared() -> bool:
    """Whether this connection reads the version by the prepared statement."""
    state = getattr(connection, "portal_version_statement", None)
    return bool(state and state[0] is connection.connection.pgconn and state[1])


def test_the_prepared_read_is_the_cursors_and_moves_with_every_write():
    before = catalog_version()
    assert prepared()
    assert before == read_by_cursor()
    Service.objects.create(slug="shop", name="Shop")
    after = catalog_version()
    assert after != before
    assert after == read_by_cursor()


def test_inside_a_transaction_the_read_is_part_of_it():
    with transaction.atomic():
        version = catalog_version()
        # A statement sent past psycopg, before the BEGIN it sends with its first one,
        # would have run on its own.
        assert connection.connection.info.transaction_status == TransactionStatus.INTRANS
        Service.objects.create(slug="shop", name="Shop")
        assert catalog_version() != version  # its own write, not yet committed
    assert catalog_version() == read_by_cursor()


def test_a_statement_the_server_dropped_is_read_by_cursor_until_a_new_connection():
    catalog_version()
    with connection.cursor() as cursor:
        cursor.execute(f"DEALLOCATE {STATEMENT.decode()}")  # as a pooler's reset would
    Service.objects.create(slug="shop", name="Shop")
    assert catalog_version() == read_by_cursor()
    assert not prepared()
    assert catalog_version() == read_by_cursor()
    connection.close()
    assert catalog_version() == read_by_cursor()
    assert prepared()
