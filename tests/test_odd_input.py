"""Odd input answers 4xx, never 500, on every face (issue 13). Run these on PostgreSQL
too: the NULs failed there only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.utils import OperationalError

from errors.bodies import resolve_pointer
from errors.catalog.importer import import_catalog_text
from portal.failures import is_database_outage
from tests.conftest import MINIMAL

pytestmark = pytest.mark.django_db

ODD_ENDINGS = ["\U0010ffff", "\ud7ff", "\ufffd", "\x7f"]


@pytest.mark.parametrize("value", ["²", "٣", "99999999999999999999", "9" * 5000, "-1", ""])
@pytest.mark.parametrize("name", ["page", "per_page", "status"])
def test_odd_numbers_in_api_parameters_are_400(api, not_found, name, value):
    response = api.get("/api/v1/errors/", {name: value, "q": "found"})
    assert response.status_code in (200, 400), response.content
    if value in ("²", "٣", "99999999999999999999", "9" * 5000, "-1"):
        assert response.status_code == 400
        assert name in response.json()["detail"]


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "9" * 5000, "0"])
def test_odd_page_numbers_on_the_search_page_are_400(client, not_found, value):
    response = client.get("/search/", {"q": "found", "page": value})
    assert response.status_code == 400
    assert "page must be a whole number" in response.text


@pytest.mark.parametrize("ending", ODD_ENDINGS)
def test_the_last_characters_of_unicode_end_a_query_safely(client, api, not_found, ending):
    for query in ("NOT_FOUN" + ending, ending, "A1" + ending, "status:404 x-" + ending):
        assert client.get("/search/", {"q": query}).status_code in (200, 400)
        assert client.get("/search/suggest/", {"q": query}).status_code in (200, 400)
        assert api.get("/api/v1/errors/", {"q": query}).status_code in (200, 400)
        assert api.get("/api/v1/lookup/", {"code": query}).status_code in (200, 400, 404)


@pytest.mark.parametrize(
    "url",
    [
        "/search/?q=NOT%00FOUND",
        "/search/?q%00=x",
        "/search/suggest/?q=NOT%00",
        "/services/shop/errors/NOT%00FOUND/",
        "/services/shop/?x=%00",
        "/status/404/?x=%00",
    ],
)
def test_a_nul_in_a_page_address_is_400(client, not_found, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.text


@pytest.mark.parametrize(
    "url",
    ["/api/v1/errors/?q=a%00b", "/api/v1/lookup/?code=NOT%00FOUND", "/api/v1/services/?x=%00"],
)
def test_a_nul_in_an_api_address_is_a_400_problem(api, not_found, url):
    response = api.get(url)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_parameter"


def test_a_superscript_digit_in_a_pointer_resolves_to_nothing():
    assert resolve_pointer({"errors": ["A"]}, "/errors/²") is None
    assert resolve_pointer({"errors": ["A"]}, "/errors/" + "9" * 5000) is None
    assert resolve_pointer({"errors": ["A"]}, "/errors/0") == "A"


def test_identify_survives_a_service_whose_pointer_holds_a_superscript_digit(api, not_found):
    other = MINIMAL.replace("slug: shop", "slug: odd").replace("/error/code", "/errors/²")
    import_catalog_text(other, "odd.yaml")
    response = api.post(
        "/api/v1/identify/", {"body": {"errors": ["NOT_FOUND"], "status": "²"}}, format="json"
    )
    assert response.status_code == 200, response.content


def test_a_statement_the_database_refuses_is_not_an_outage():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite reports bad statements as OperationalError")
    with pytest.raises(OperationalError) as caught, connection.cursor() as cursor:
        cursor.execute("SELECT * FROM errors_search_keys WHERE errors_search_keys MATCH '\"'")
    assert not is_database_outage(caught.value)
    assert is_database_outage(OperationalError("could not connect to server"))


# --------------------------------------------------------------------------- what a code may be


@pytest.mark.parametrize("code", ["grpc/UNAVAILABLE", ".", "..", "/"])
def test_a_code_that_breaks_its_address_is_refused_by_the_catalog(code):
    from errors.catalog.files import parse_catalog
    from errors.catalog.problems import CatalogInvalid
    from errors.catalog.validation import validate_catalog

    text = MINIMAL.replace("code: NOT_FOUND", f"code: '{code}'")
    with pytest.raises(CatalogInvalid) as caught:
        validate_catalog(parse_catalog(text, "shop.yaml"))
    assert "errors[0]" in str(caught.value) and "aliases" in str(caught.value)


def test_a_slash_is_fine_in_an_alias_and_lookup_finds_it(api):
    text = MINIMAL.replace(
        "  - code: NOT_FOUND\n", "  - code: NOT_FOUND\n    aliases: [grpc/NOT_FOUND]\n"
    )
    import_catalog_text(text, "shop.yaml")
    response = api.get("/api/v1/lookup/", {"code": "grpc/NOT_FOUND"})
    assert response.status_code == 200
    assert response.json()["results"][0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("code", ["grpc/UNAVAILABLE", ".."])
def test_the_admin_refuses_the_same_codes(not_found, code):
    from django.core.exceptions import ValidationError

    not_found.code = code
    with pytest.raises(ValidationError, match="cannot be a code"):
        not_found.full_clean()


def test_lint_names_a_stored_code_with_a_slash(not_found):
    from errors.lint import lint_service
    from errors.models import ErrorCode

    ErrorCode.objects.filter(pk=not_found.pk).update(code="grpc/UNAVAILABLE")
    findings = lint_service(not_found.service)
    assert any("cannot be a code" in finding.message for finding in findings)
