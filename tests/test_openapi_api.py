"""GET and POST /api/v1/services/<slug>/openapi/: export, merge, and import with a token."""

from __future__ import annotations

import json

import pytest
import yaml
from django.contrib.auth.models import Permission, User
from openapi_spec_validator import validate
from rest_framework.authtoken.models import Token
from rest_framework.test import APIRequestFactory

from errors.api.openapi_views import OpenApiView
from errors.models import ErrorCode, Service
from tests.openapi_support import spec_text

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def editor_token(db) -> str:
    user = User.objects.create_user("ci-openapi")
    user.user_permissions.add(Permission.objects.get(codename="change_errorcode"))
    return "Token " + Token.objects.create(user=user).key


def post(
    api, slug: str, body: str, token: str | None, query: str = "", content_type="application/yaml"
):
    headers = {"HTTP_AUTHORIZATION": token} if token else {}
    return api.generic(
        "POST",
        f"/api/v1/services/{slug}/openapi/{query}",
        body,
        content_type=content_type,
        **headers,
    )


def test_import_creates_the_service_then_reports_nothing_changed(api, editor_token):
    response = post(api, "parcel", spec_text("parcel-x-codes.yaml"), editor_token)
    assert response.status_code == 201
    data = response.json()
    assert data["created"] and len(data["added"]) == 4
    assert data["envelope"]["code_pointer"] == "/errorCode"
    assert Service.objects.get(slug="parcel").name == "Parcel Tracking"
    again = post(api, "parcel", spec_text("parcel-x-codes.yaml"), editor_token)
    assert again.status_code == 200 and again.json()["unchanged"] == 4


def test_import_json_spec_dry_run_writes_nothing(api, editor_token):
    text = spec_text("quill-named-examples.json")
    response = post(api, "quill", text, editor_token, "?dry_run=1", "application/json")
    assert response.status_code == 200
    assert response.json()["dry_run"] and len(response.json()["added"]) == 4
    assert not Service.objects.exists()


def test_import_needs_a_token(api, db):
    response = post(api, "parcel", spec_text("parcel-x-codes.yaml"), None)
    assert response.status_code == 401
    assert not Service.objects.exists()


def test_a_bad_spec_is_422_naming_the_place(api, editor_token):
    text = (
        "openapi: 3.0.3\ninfo: {title: X, version: '1'}\npaths:\n  /v1/x:\n    post:\n"
        "      responses:\n        '400': {$ref: 'other.yaml#/Bad'}\n"
    )
    response = post(api, "x", text, editor_token)
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["detail"].startswith("The spec has 1 problem")
    assert problem["errors"][0]["place"] == "paths./v1/x.post.responses.400"


def test_swagger_2_is_refused(api, editor_token):
    response = post(api, "x", "swagger: '2.0'\ninfo: {title: X, version: '1'}\n", editor_token)
    assert response.status_code == 422
    assert "convert it to OpenAPI 3" in response.json()["detail"]


def test_export_json_and_yaml(api, demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = api.get("/api/v1/services/sigsentry/openapi/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    document = json.loads(response.content)
    validate(document)
    listed = [item for items in document["x-error-codes"].values() for item in items]
    assert listed[0]["html_url"].startswith("http://testserver/services/sigsentry/errors/")
    as_yaml = api.get("/api/v1/services/sigsentry/openapi/?format=yaml")
    assert yaml.safe_load(as_yaml.content)["openapi"] == "3.1.0"


def test_an_export_is_a_catalog_read_kept_until_the_catalog_changes(api, demo):
    url = "/api/v1/services/sigsentry/openapi/"
    first = api.get(url)
    etag = first["ETag"]
    assert api.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert api.get(url + "?format=yaml")["ETag"] != etag  # another answer, another tag
    error = ErrorCode.objects.filter(service__slug="sigsentry").first()
    error.title = "A title given since"
    error.save()
    again = api.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag
    assert b"A title given since" in again.content and b"A title given since" not in first.content


def test_any_current_copy_gets_a_304_without_the_document(demo):
    """`If-None-Match: *` turns the view's own 200 into a 304: its body goes too (the
    test client would drop it, so the view is called itself)."""
    request = APIRequestFactory().get("/api/v1/services/sigsentry/openapi/", HTTP_IF_NONE_MATCH="*")
    response = OpenApiView.as_view()(request, slug="sigsentry")
    assert response.status_code == 304 and response.content == b""


def test_a_merge_answers_its_body_so_it_is_never_tagged(api, editor_token):
    post(api, "ferry", spec_text("ferry-enum-table.yaml"), editor_token)
    response = api.generic(
        "GET",
        "/api/v1/services/ferry/openapi/?merge=1",
        spec_text("ferry-enum-table.yaml"),
        content_type="application/yaml",
    )
    assert response.status_code == 200 and "ETag" not in response


def test_export_of_an_unknown_service_is_404(api, db):
    assert api.get("/api/v1/services/nope/openapi/").status_code == 404


def test_merge_answers_the_spec_sent_with_the_portals_codes(api, editor_token):
    post(api, "ferry", spec_text("ferry-enum-table.yaml"), editor_token)
    ErrorCode.objects.filter(code="SAILING_FULL").update(title="The sailing is full")
    response = api.generic(
        "GET",
        "/api/v1/services/ferry/openapi/?merge=1",
        spec_text("ferry-enum-table.yaml"),
        content_type="application/yaml",
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("application/yaml")
    merged = yaml.safe_load(response.content)
    validate(merged)
    listed = merged["components"]["responses"]["Problem"]["x-error-codes"]
    assert {"SAILING_FULL": "The sailing is full"}.items() <= {
        i["code"]: i["title"] for i in listed
    }.items()


def test_merge_without_a_body_says_what_to_send(api, demo):
    response = api.get("/api/v1/services/sigsentry/openapi/?merge=1")
    assert response.status_code == 422
    assert "Send the OpenAPI spec" in response.json()["detail"]


def test_the_code_page_and_api_show_the_operations(api, client, editor_token):
    post(
        api,
        "quill",
        spec_text("quill-named-examples.json"),
        editor_token,
        content_type="application/json",
    )
    entry = api.get("/api/v1/services/quill/errors/document.locked/").json()
    assert entry["operations"] == [{"method": "DELETE", "path": "/documents/{id}"}]
    page = client.get("/services/quill/errors/document.locked/")
    assert b"<code>DELETE /documents/{id}</code>" in page.content
