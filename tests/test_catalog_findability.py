"""The catalog format's findability fields (issue 15): a service's other envelopes and
its own search synonyms, through import, export, validation, the admin form and search."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from errors.catalog.export import export_catalog
from errors.catalog.importer import import_catalog_text
from errors.catalog.problems import CatalogInvalid
from errors.models import Service
from errors.search.execute import search_errors
from errors.search.query import parse_query
from tests.conftest import catalog_text

pytestmark = pytest.mark.django_db

SCANNER = catalog_text(
    """
    service:
      slug: scanner
      name: Scanner
      envelope:
        code_pointer: /code
        alternatives:
          - {code_pointer: /errors/0/code, message_pointer: /errors/0/detail}
      search_synonyms:
        - [analysis, scan, audit]
        - [ws, workspace]
    errors:
      - {code: ANALYSIS_FAILED, http_status: 500, title: Analysis failed,
         summary: The analysis stopped before it finished}
      - {code: WORKSPACE_LOCKED, http_status: 423, title: Workspace locked}
      - {code: QUOTA_GONE, http_status: 429, title: Quota gone}
    """
)


def titles(text: str) -> list[str]:
    return [hit.error.code for hit in search_errors(parse_query(text)).hits]


def test_a_services_synonyms_find_its_entries():
    import_catalog_text(SCANNER, "scanner.yaml")
    assert titles("scan stopped")[0] == "ANALYSIS_FAILED"
    assert titles("ws locked")[0] == "WORKSPACE_LOCKED"


def test_export_keeps_alternatives_and_synonyms_and_a_reimport_changes_nothing():
    import_catalog_text(SCANNER, "scanner.yaml")
    text = export_catalog(Service.objects.get(slug="scanner"))
    assert "alternatives:" in text
    assert "search_synonyms:" in text
    changes = import_catalog_text(text, "scanner.yaml")
    assert not changes.service_changed


def test_a_synonym_that_is_not_one_word_is_refused_with_its_place():
    bad = SCANNER.replace("[ws, workspace]", '[ws, "work space"]')
    with pytest.raises(CatalogInvalid) as caught:
        import_catalog_text(bad, "scanner.yaml")
    assert "search_synonyms" in str(caught.value)


def test_an_alternative_envelope_with_an_unknown_key_is_refused():
    bad = SCANNER.replace("message_pointer: /errors/0/detail}", "kind: list}")
    with pytest.raises(CatalogInvalid) as caught:
        import_catalog_text(bad, "scanner.yaml")
    assert "alternatives" in str(caught.value)


def test_the_model_validates_what_the_admin_edits():
    service = Service(slug="x", name="X", envelope_alternatives=[{"kind": "/a"}])
    with pytest.raises(ValidationError) as caught:
        service.full_clean()
    assert "envelope_alternatives" in caught.value.message_dict
    service = Service(slug="x", name="X", search_synonyms=[["one"]])
    with pytest.raises(ValidationError) as caught:
        service.full_clean()
    assert "search_synonyms" in caught.value.message_dict
