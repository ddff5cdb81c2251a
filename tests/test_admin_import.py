"""Import in the admin (upload, dry run, apply or cancel) and export."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from errors.catalog import import_catalog_text
from errors.models import ErrorCode, ErrorCodeRevision, Service
from tests.admin_support import make_user
from tests.conftest import MINIMAL

IMPORT_URL = "/admin/errors/service/import/"


@pytest.fixture
def editor_client(client, db):
    client.force_login(make_user("editor", editor=True))
    return client


def upload(client, text: str, name: str = "shop.yaml"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, text.encode("utf-8"))})


def test_import_url_is_named():
    assert reverse("admin:errors_service_import") == IMPORT_URL


def test_dry_run_shows_the_changes_and_writes_nothing(editor_client):
    response = upload(editor_client, MINIMAL)
    assert response.status_code == 200
    assert response.context["changes"].added == ["NOT_FOUND", "OLD_NAME"]
    assert b"nothing has been written yet" in response.content
    assert not Service.objects.exists()


def test_dry_run_shows_field_diffs_and_removals(editor_client):
    import_catalog_text(MINIMAL, "shop.yaml")
    text = MINIMAL.replace("title: Not found", "title: Gone").split("  - code: OLD_NAME")[0]
    response = upload(editor_client, text)
    assert response.context["changed"] == [("NOT_FOUND", {"title": ("Not found", "Gone")})]
    assert response.context["changes"].removed == ["OLD_NAME"]
    assert b"<del>Not found</del>" in response.content


def test_apply_imports_what_the_dry_run_showed(editor_client):
    preview = upload(editor_client, MINIMAL)
    form = preview.context["apply_form"]
    data = {name: form[name].value() for name in ("name", "text", "signature")}
    response = editor_client.post(IMPORT_URL, {**data, "apply": "1"})
    assert response.status_code == 302
    assert ErrorCode.objects.filter(service__slug="shop").count() == 2
    assert ErrorCodeRevision.objects.filter(user__username="editor").count() == 2


def test_apply_accepts_the_crlf_line_breaks_browsers_send(editor_client):
    form = upload(editor_client, MINIMAL).context["apply_form"]
    data = {name: form[name].value() for name in ("name", "signature")}
    text = form["text"].value().replace("\n", "\r\n")
    response = editor_client.post(IMPORT_URL, {**data, "text": text, "apply": "1"})
    assert response.status_code == 302
    assert Service.objects.filter(slug="shop").exists()


def test_apply_refuses_text_changed_after_the_dry_run(editor_client):
    preview = upload(editor_client, MINIMAL)
    form = preview.context["apply_form"]
    data = {
        "name": "shop.yaml",
        "text": MINIMAL.replace("Not found", "Sneaky"),
        "signature": form["signature"].value(),
        "apply": "1",
    }
    response = editor_client.post(IMPORT_URL, data, follow=True)
    assert b"changed after its dry run" in response.content
    assert not Service.objects.exists()


def test_invalid_file_lists_its_problems(editor_client):
    response = upload(editor_client, MINIMAL.replace("http_status: 404", "http_status: 700", 1))
    assert response.status_code == 200
    assert b"nothing was imported" in response.content
    assert any("out of range" in problem.message for problem in response.context["problems"])


def test_non_utf8_file_is_refused(editor_client):
    response = editor_client.post(IMPORT_URL, {"file": SimpleUploadedFile("x.yaml", b"\xff\xfe")})
    assert "not UTF-8" in str(response.context["form"].errors["file"])


def test_export_service_downloads_its_catalog(editor_client):
    import_catalog_text(MINIMAL, "shop.yaml")
    service = Service.objects.get(slug="shop")
    response = editor_client.get(reverse("admin:errors_service_export", args=[service.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="shop.yaml"'
    assert b"code: OLD_NAME" in response.content
    json_response = editor_client.get(
        reverse("admin:errors_service_export", args=[service.pk]), {"format": "json"}
    )
    assert json_response.json()["service"]["slug"] == "shop"
