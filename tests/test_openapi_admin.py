"""An OpenAPI spec uploaded on the admin's import page: the same dry run and apply as a
catalog file (issue 17)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from errors.models import ErrorCodeRevision, Service
from tests.openapi_support import spec_text

IMPORT_URL = "/admin/errors/service/import/"


def upload(client, name: str, service: str = ""):
    data = {"file": SimpleUploadedFile(name, spec_text(name).encode("utf-8")), "service": service}
    return client.post(IMPORT_URL, data)


def test_a_spec_gets_a_dry_run_then_applies(editor_client):
    preview = upload(editor_client, "ledger-prose.yaml", "ledger")
    assert preview.status_code == 200
    assert sorted(preview.context["changes"].added) == [
        "closed_period", "read_only_key", "unbalanced_entry", "unknown_account",
    ]  # fmt: skip
    assert not Service.objects.exists()
    digest = preview.context["apply_form"].initial["digest"]
    applied = editor_client.post(IMPORT_URL, {"apply": "1", "digest": digest})
    assert applied.status_code == 302
    assert Service.objects.get(slug="ledger").errors.count() == 4
    assert ErrorCodeRevision.objects.filter(code="closed_period").exists()


def test_the_slug_defaults_to_the_specs_title(editor_client):
    preview = upload(editor_client, "parcel-x-codes.yaml")
    assert preview.context["changes"].slug == "parcel-tracking"


def test_a_bad_spec_lists_its_problem_with_the_place(editor_client):
    response = editor_client.post(
        IMPORT_URL,
        {"file": SimpleUploadedFile("old.yaml", b"swagger: '2.0'\ninfo: {title: Old}\n")},
    )
    assert response.status_code == 200
    assert "convert it to OpenAPI 3" in response.content.decode()
