"""Import in the admin (upload, dry run, apply or cancel) and export."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from errors.catalog.importer import import_catalog_text
from errors.models import ErrorCode, ErrorCodeRevision, Service
from tests.conftest import MINIMAL

IMPORT_URL = "/admin/errors/service/import/"


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


def apply(client, preview):
    digest = preview.context["apply_form"]["digest"].value()
    return client.post(IMPORT_URL, {"digest": digest, "apply": "1"}, follow=True)


def test_apply_imports_what_the_dry_run_showed(editor_client):
    response = apply(editor_client, upload(editor_client, MINIMAL))
    assert b"Imported shop: 2 added" in response.content
    assert ErrorCode.objects.filter(service__slug="shop").count() == 2
    assert ErrorCodeRevision.objects.filter(user__username="editor").count() == 2


def test_apply_refuses_a_dry_run_replaced_by_a_later_upload(editor_client):
    first = upload(editor_client, MINIMAL)
    upload(editor_client, MINIMAL.replace("Not found", "Later"))
    response = apply(editor_client, first)
    assert b"no longer the latest one" in response.content
    assert not Service.objects.exists()


def test_apply_happens_once(editor_client):
    preview = upload(editor_client, MINIMAL)
    apply(editor_client, preview)
    assert b"no longer the latest one" in apply(editor_client, preview).content


def test_a_catalog_larger_than_the_form_field_limit_applies(editor_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(MINIMAL) // 2
    response = apply(editor_client, upload(editor_client, MINIMAL))
    assert b"Imported shop" in response.content


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
