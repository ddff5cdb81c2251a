"""GET and PUT services/<slug>/catalog/: export, and publishing with a token."""

from __future__ import annotations

import io
import json

import pytest
import yaml
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token

from errors.identify import identify
from errors.models import ErrorCode, ErrorCodeRevision, Service
from tests.conftest import MINIMAL

pytestmark = pytest.mark.django_db

URL = "/api/v1/services/shop/catalog/"
PROBLEM = "application/problem+json"


def token_for(user: User) -> str:
    return "Token " + Token.objects.create(user=user).key


@pytest.fixture
def editor_token(db) -> str:
    """The token of a user allowed to change error codes (a service's CI user)."""
    user = User.objects.create_user("ci-shop")
    user.user_permissions.add(Permission.objects.get(codename="change_errorcode"))
    return token_for(user)


def put(api, body: str, token: str | None = None, content_type="application/yaml", query=""):
    headers = {"HTTP_AUTHORIZATION": token} if token else {}
    return api.put(URL + query, body, content_type=content_type, **headers)


def test_publish_creates_the_service(api, editor_token):
    response = put(api, MINIMAL, editor_token)
    assert response.status_code == 201
    data = response.json()
    assert data["created"] is True
    assert data["added"] == ["NOT_FOUND", "OLD_NAME"]
    assert data["dry_run"] is False
    assert Service.objects.filter(slug="shop").exists()


def test_publish_again_reports_changes_and_removals(api, editor_token):
    put(api, MINIMAL, editor_token)
    changed = MINIMAL.replace("title: Not found", "title: Nothing here")
    data = put(api, changed, editor_token).json()
    assert (data["created"], data["changed"], data["unchanged"]) == (False, ["NOT_FOUND"], 1)


def test_publish_json_body(api, editor_token):
    text = json.dumps(yaml.safe_load(MINIMAL))
    response = put(api, text, editor_token, content_type="application/json")
    assert response.status_code == 201


def test_dry_run_writes_nothing(api, editor_token):
    data = put(api, MINIMAL, editor_token, query="?dry_run=1").json()
    assert data["dry_run"] is True
    assert data["added"] == ["NOT_FOUND", "OLD_NAME"]
    assert not Service.objects.filter(slug="shop").exists()


def test_dry_run_value_must_be_a_yes_or_no(api, editor_token):
    response = put(api, MINIMAL, editor_token, query="?dry_run=maybe")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_parameter"


def test_publish_is_seen_by_identify_at_once(api, editor_token):
    put(api, MINIMAL, editor_token)
    identify({"error": {"code": "NOT_FOUND"}})
    renamed = MINIMAL.replace("title: Not found", "title: Gone")
    put(api, renamed, editor_token)
    assert identify({"error": {"code": "NOT_FOUND"}})[0].error.title == "Gone"


def test_without_credentials_is_401(api, db):
    response = put(api, MINIMAL)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Token")
    assert response.json()["code"] == "authentication_required"


def test_unknown_token_is_401(api, db):
    response = put(api, MINIMAL, "Token not-a-real-token")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"


def test_user_without_permission_is_403(api, db):
    response = put(api, MINIMAL, token_for(User.objects.create_user("reader")))
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "permission_denied"
    assert "errors.change_errorcode" in body["detail"]


def test_invalid_catalog_is_422_with_every_problem(api, editor_token):
    broken = MINIMAL.replace("http_status: 404\n    category: auth", "http_status: 99")
    response = put(api, broken, editor_token)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "catalog_invalid"
    assert body["errors"][0]["file"] == "shop.yaml"
    assert body["errors"][0]["line"]
    assert "99" in body["errors"][0]["message"]
    assert not Service.objects.filter(slug="shop").exists()


def test_catalog_of_another_service_is_refused(api, editor_token):
    response = api.put(
        "/api/v1/services/other/catalog/",
        MINIMAL,
        content_type="application/yaml",
        HTTP_AUTHORIZATION=editor_token,
    )
    assert response.status_code == 422
    assert "not of 'other'" in response.json()["errors"][0]["message"]


def test_not_yaml_is_422(api, editor_token):
    response = put(api, "service: [unclosed", editor_token)
    assert response.status_code == 422
    assert "not valid YAML or JSON" in response.json()["errors"][0]["message"]


def test_not_utf8_is_422(api, editor_token):
    response = put(api, "caf\xe9".encode("latin-1"), editor_token)
    assert response.status_code == 422
    assert "UTF-8" in response.json()["detail"]


def test_wrong_content_type_is_415(api, editor_token):
    response = put(api, MINIMAL, editor_token, content_type="text/csv")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_export_json_by_default(api, demo, django_assert_num_queries):
    api.get("/api/v1/services/")
    with django_assert_num_queries(6):  # version, the service, export_catalog's 4 reads
        response = api.get("/api/v1/services/aisafe/catalog/")
    assert response["Content-Type"].startswith("application/json")
    assert response["ETag"]
    data = response.json()
    assert data["service"]["slug"] == "aisafe"
    assert len(data["errors"]) == ErrorCode.objects.filter(service__slug="aisafe").count()


def test_export_yaml(api, demo):
    response = api.get("/api/v1/services/aisafe/catalog/?format=yaml")
    assert response["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(response.content)["service"]["slug"] == "aisafe"


def test_export_round_trips_through_publish(api, demo, editor_token):
    ci_user = Token.objects.get(key=editor_token.split()[1]).user
    Service.objects.get(slug="synthesis").publishers.add(ci_user)  # its CI user
    text = api.get("/api/v1/services/synthesis/catalog/?format=yaml").content.decode()
    response = api.put(
        "/api/v1/services/synthesis/catalog/",
        text,
        content_type="application/yaml",
        HTTP_AUTHORIZATION=editor_token,
    )
    data = response.json()
    assert (data["added"], data["changed"], data["removed"]) == ([], [], [])


def test_export_bad_format_and_unknown_service(api, demo):
    response = api.get("/api/v1/services/aisafe/catalog/?format=xml")
    assert (response.status_code, response.json()["code"]) == (400, "invalid_parameter")
    response = api.get("/api/v1/services/nope/catalog/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_unpaired_surrogate_escapes_are_refused(api, editor_token):
    text = json.dumps(yaml.safe_load(MINIMAL)).replace('"Shop"', '"Sh\\udb20op"')
    response = put(api, text, editor_token, content_type="application/json")
    assert response.status_code == 422
    assert "Unicode" in response.json()["errors"][0]["message"]
    assert not Service.objects.filter(slug="shop").exists()


def test_deeply_nested_catalog_is_422_not_a_crash(api, editor_token):
    response = put(api, "service: " + "[" * 20_000 + "]" * 20_000, editor_token)
    assert response.status_code == 422
    assert "nested too deeply" in response.json()["detail"]


def test_publish_is_recorded_in_the_history_under_the_token_user(api, editor_token):
    put(api, MINIMAL, editor_token)
    revision = ErrorCodeRevision.objects.get(code="NOT_FOUND")
    assert revision.user.username == "ci-shop"
    assert revision.action == ErrorCodeRevision.Action.ADDED


# --------------------------------------------------------------------------- issue 13: sizes


def test_a_catalog_over_the_size_limit_is_413(api, editor_token):
    body = MINIMAL + "# " + "x" * 2_700_000 + "\n"
    response = put(api, body, editor_token)
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert "2,621,440 bytes" in response.json()["detail"]
    assert not Service.objects.filter(slug="shop").exists()


def test_a_json_body_over_the_limit_is_413_too(api, editor_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps(yaml.safe_load(MINIMAL)) + " " * 2000
    response = put(api, body, editor_token, content_type="application/json")
    assert response.status_code == 413


def test_a_chunked_catalog_is_read_not_taken_as_empty(api, editor_token):
    # gunicorn decodes the chunks and says so; there is no Content-Length.
    body = MINIMAL.encode()
    response = api.generic(
        "PUT", URL, body, content_type="application/yaml",
        HTTP_AUTHORIZATION=editor_token, HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="", **{"wsgi.input_terminated": True, "wsgi.input": io.BytesIO(body)},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    assert ErrorCode.objects.filter(service__slug="shop", code="NOT_FOUND").exists()


def test_a_chunked_body_past_the_limit_is_413(api, editor_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = (MINIMAL + "#" * 5000).encode()
    response = api.generic(
        "PUT", URL, body, content_type="application/yaml",
        HTTP_AUTHORIZATION=editor_token, HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="", **{"wsgi.input_terminated": True, "wsgi.input": io.BytesIO(body)},
    )  # fmt: skip
    assert response.status_code == 413


# --------------------------------------------------------------------------- issue 13: drafts


def test_the_export_hides_drafts_from_anyone_but_staff(api, not_found, staff_client):
    ErrorCode.objects.filter(code="NOT_FOUND").update(published=False)
    anonymous = api.get(URL).json()
    assert [error["code"] for error in anonymous["errors"]] == ["OLD_NAME"]
    # OLD_NAME's replacement is the draft: the pointer goes too, so the file stays valid.
    assert "replaced_by" not in anonymous["errors"][0]
    staff = staff_client.get(URL).json()
    assert [error["code"] for error in staff["errors"]] == ["NOT_FOUND", "OLD_NAME"]


# --------------------------------------------------------------------------- issue 13: scope


def other_ci_token(name: str = "ci-billing") -> tuple[User, str]:
    user = User.objects.create_user(name)
    user.user_permissions.add(Permission.objects.get(codename="change_errorcode"))
    return user, token_for(user)


def test_a_token_may_not_rewrite_a_service_it_does_not_publish(api, editor_token):
    assert put(api, MINIMAL, editor_token).status_code == 201  # ci-shop creates, is listed
    _user, token = other_ci_token()
    response = put(api, MINIMAL.replace("title: Not found", "title: Hijacked"), token)
    assert response.status_code == 403
    assert "not a publisher of 'shop'" in response.json()["detail"]
    assert ErrorCode.objects.get(code="NOT_FOUND").title == "Not found"
    assert put(api, MINIMAL, editor_token).status_code == 200  # its own publisher still may


def test_a_slug_taken_after_the_permission_check_is_refused_and_nothing_changes(
    api, editor_token, monkeypatch
):
    """Two first publishes of a slug at once: the permission check of each finds it free.
    The second to hold the import's lock finds it taken, and by another user."""
    from errors.api.permissions import CanPublishCatalog

    assert put(api, MINIMAL, editor_token).status_code == 201
    monkeypatch.setattr(CanPublishCatalog, "has_permission", lambda *args: True)  # found free
    _user, token = other_ci_token()
    response = put(api, MINIMAL.replace("title: Not found", "title: Hijacked"), token)
    assert response.status_code == 403
    assert "not a publisher of 'shop'" in response.json()["detail"]
    assert ErrorCode.objects.get(code="NOT_FOUND").title == "Not found"
    dry_run = api.put(
        URL + "?dry_run=1", MINIMAL.replace("title: Not found", "title: Hijacked"),
        content_type="application/yaml", HTTP_AUTHORIZATION=token,
    )  # fmt: skip
    assert dry_run.status_code == 403  # nor does it see the diff


def test_a_listed_publisher_may_publish(api, editor_token):
    put(api, MINIMAL, editor_token)
    user, token = other_ci_token()
    Service.objects.get(slug="shop").publishers.add(user)
    assert put(api, MINIMAL.replace("title: Not found", "title: Gone"), token).status_code == 200


def test_the_portal_own_catalog_is_safe_from_a_ci_token(api, demo):
    _user, token = other_ci_token()
    response = api.put(
        "/api/v1/services/portal/catalog/?dry_run=1", "service: {slug: portal, name: x}",
        content_type="application/yaml", HTTP_AUTHORIZATION=token,
    )  # fmt: skip
    assert response.status_code == 403
