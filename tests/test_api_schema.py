"""The OpenAPI schema and the interactive reference at /api/docs/."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from errors.api.problems import PROBLEM_CONTENT_TYPE


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_schema_lists_every_endpoint(schema):
    assert set(schema["paths"]) == {
        "/api/v1/services/",
        "/api/v1/services/{slug}/",
        "/api/v1/services/{slug}/errors/{code}/",
        "/api/v1/services/{slug}/catalog/",
        "/api/v1/errors/",
        "/api/v1/lookup/",
        "/api/v1/identify/",
        "/api/v1/services/{slug}/clients/{language}/",
        "/api/v1/services/{slug}/openapi/",  # issue 17
        "/api/v1/observations/",
        "/api/v1/services/{slug}/drift/",
        "/api/v1/identify/batch/",
    }


def test_every_operation_documents_its_problems(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "429", "500"):
                content = operation["responses"][status]["content"]
                assert PROBLEM_CONTENT_TYPE in content, (method, path, status)


def test_reads_take_optional_credentials(schema):
    assert {} in schema["paths"]["/api/v1/lookup/"]["get"]["security"]
    assert {} not in schema["paths"]["/api/v1/services/{slug}/catalog/"]["put"]["security"]


def test_publish_body_is_the_catalog_file_schema(schema):
    body = schema["paths"]["/api/v1/services/{slug}/catalog/"]["put"]["requestBody"]
    assert body["content"]["application/yaml"]["schema"] == {
        "$ref": "#/components/schemas/CatalogFile"
    }
    assert "CatalogFileError" in schema["components"]["schemas"]


def test_schema_endpoint_serves_it(client, db):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Error portal API"


def test_docs_page_loads_swagger_ui_from_local_static_files(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr" not in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
