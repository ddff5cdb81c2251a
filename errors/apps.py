from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_search_index(sender: AppConfig, using: str, **kwargs: Any) -> None:
    # A later migration that rebuilds errors_errorcode on SQLite drops the index triggers.
    from django.db import connections

    from errors.search.index import ensure_search_index

    ensure_search_index(connections[using])


def _ensure_catalog_state(sender: AppConfig, using: str, **kwargs: Any) -> None:
    # The same holds for the triggers that bump the catalog version.
    from django.db import connections

    from errors.catalog_version import ensure_catalog_state

    ensure_catalog_state(connections[using])


class ErrorsConfig(AppConfig):
    name = "errors"
    verbose_name = "Error catalog"

    def ready(self) -> None:
        post_migrate.connect(_ensure_search_index, sender=self)
        post_migrate.connect(_ensure_catalog_state, sender=self)
