"""The catalog version on PostgreSQL, read by a statement prepared once per connection
(errors.catalog_version): the same value a cursor reads, the next write's at once, part
of the transaction it is read in, and read by a cursor wherever the statement cannot be
used."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from psycopg.pq import TransactionStatus

from errors import catalog_version as versions
from errors.catalog_version import QUERY, catalog_version
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
    return bool(versions._prepared.get(connection.connection.pgconn))


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


def test_out_of_autocommit_the_read_is_part_of_the_transaction_psycopg_opens():
    connection.set_autocommit(False)
    try:
        catalog_version()
        assert connection.connection.info.transaction_status == TransactionStatus.INTRANS
    finally:
        connection.rollback()
        connection.set_autocommit(True)


def test_in_a_transaction_opened_through_psycopg_the_read_is_part_of_it():
    catalog_version()
    with connection.connection.transaction():
        connection.connection.execute("UPDATE errors_catalogstate SET version = version + 1")
        inside = catalog_version()
        assert inside == read_by_cursor()
        assert connection.connection.info.transaction_status == TransactionStatus.INTRANS
    assert catalog_version() == inside


def test_in_pipeline_mode_the_cursor_reads_it():
    version = catalog_version()
    with connection.connection.pipeline():
        assert catalog_version() == version  # libpq refuses a statement sent past it


def test_a_statement_the_session_lost_is_prepared_again():
    catalog_version()
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as psycopg does after a rollback, or a pooler
    Service.objects.create(slug="shop", name="Shop")
    assert catalog_version() == read_by_cursor()
    assert prepared()


def test_a_session_that_has_the_statement_already_uses_it():
    """Another connection object of a pooled session prepared it: the same text."""
    catalog_version()
    versions._prepared.clear()  # forgotten here, still in the session
    assert catalog_version() == read_by_cursor()
    assert prepared()


def test_a_statement_the_server_refuses_leaves_the_connection_on_the_cursor(monkeypatch):
    connection.close()
    monkeypatch.setattr(versions, "QUERY", "SELECT epoch, version FROM no_such_table")
    monkeypatch.setattr(versions, "STATEMENT", b"portal_test_refused")
    with pytest.raises(Exception, match="no_such_table"):
        catalog_version()  # the cursor reads the same text, and says what went wrong
    assert not prepared()
    monkeypatch.undo()
    connection.close()
    assert catalog_version() == read_by_cursor()
    assert prepared()
