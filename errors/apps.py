"""The errors app: after every `migrate`, put back the triggers a table rebuild dropped."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, pre_migrate


def _repair_triggers(sender: AppConfig, using: str, **kwargs: Any) -> None:
    # A later migration that rebuilds errors_errorcode on SQLite drops the search index's
    # triggers and those that bump the catalog and service versions with the old table.
    # Migrated back to zero, the app has no tables left to repair.
    from errors.catalog_version import ensure_catalog_state
    from errors.search.index import ensure_search_index
    from errors.service_version import ensure_service_state

    connection = connections[using]
    if "errors_catalogstate" not in connection.introspection.table_names():
        return
    ensure_search_index(connection)
    ensure_catalog_state(connection)
    ensure_service_state(connection)


def _drop_cross_table_triggers(sender: AppConfig, using: str, **kwargs: Any) -> None:
    # SQLite checks every trigger when a migration rebuilds a table: those reading another
    # table than their own would fail the rebuild of that one. _repair_triggers puts them
    # back after the migrations.
    from errors.service_version import drop_cross_table_triggers

    connection = connections[using]
    if connection.vendor == "sqlite" and (
        "errors_servicestate" in connection.introspection.table_names()
    ):
        drop_cross_table_triggers(connection)


class ErrorsConfig(AppConfig):
    name = "errors"
    verbose_name = "Error catalog"

    def ready(self) -> None:
        pre_migrate.connect(_drop_cross_table_triggers, sender=self)
        post_migrate.connect(_repair_triggers, sender=self)
