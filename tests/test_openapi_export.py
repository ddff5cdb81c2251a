"""The OpenAPI export of a service's errors: valid OpenAPI 3.1 that lists every code,
and importing it back gives the same codes, statuses, titles and examples (every demo
service); the merge of the portal's documentation into a team's own spec."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from openapi_spec_validator import validate

from errors.catalog.canonical import canonical_from_db
from errors.models import Service
from errors.openapi.document import check_spec
from errors.openapi.export import EXTENSION, export_openapi
from errors.openapi.importer import catalog_from_spec, import_openapi
from errors.openapi.publish import merge_into_spec
from tests.openapi_support import spec

pytestmark = pytest.mark.django_db
DEMO = ("aisafe", "cloudsigma", "elder-signals", "portal", "sigsentry", "synthesis")


def as_read(document: dict) -> dict:
    """The document as a client reads it back (JSON text and back)."""
    return json.loads(json.dumps(document))


def summary(entries: list[dict]) -> dict:
    """Per code: status, title and the JSON examples' bodies (parsed)."""
    found = {}
    for entry in entries:
        bodies = sorted(
            json.dumps(json.loads(example["body"]), sort_keys=True)
            for example in entry.get("examples", [])
            if example.get("language", "json") == "json"
        )
        found[entry["code"]] = (entry.get("http_status"), entry.get("title"), bodies)
    return found


@pytest.mark.parametrize("slug", DEMO)
def test_export_is_valid_openapi_31_and_round_trips(demo, slug):
    service = Service.objects.get(slug=slug)
    document = as_read(export_openapi(service, site_url="https://errors.example"))
    validate(document)
    assert document["openapi"] == "3.1.0"
    published = [e for e in canonical_from_db(service)["errors"] if e["published"]]
    data, _ = catalog_from_spec(check_spec(document, "export"), f"copy-of-{slug}")
    assert summary(data["errors"]) == summary(published)


def test_export_lists_every_code_in_the_enum_responses_and_extension(demo):
    service = Service.objects.get(slug="sigsentry")
    document = export_openapi(service, site_url="https://errors.example")
    codes = list(service.errors.published().order_by("order").values_list("code", flat=True))
    code_schema = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"][
        "code"
    ]
    assert code_schema["enum"] == codes
    error = service.errors.get(code=codes[0])
    assert code_schema["x-enumDescriptions"][error.code] == error.title
    response = document["components"]["responses"][f"Error{error.http_status}"]
    assert error.code in response["content"]["application/json"]["examples"]
    listed = {item["code"]: item for items in document[EXTENSION].values() for item in items}
    assert listed[error.code] == {
        "code": error.code,
        "status": error.http_status,
        "title": error.title,
        "retry": error.retry,
        "html_url": f"https://errors.example/services/sigsentry/errors/{error.code}/",
        **({"summary": error.summary} if error.summary else {}),
    }


@pytest.mark.parametrize("slug", DEMO)
def test_importing_the_export_into_its_own_service_changes_nothing(demo, slug):
    service = Service.objects.get(slug=slug)
    document = as_read(export_openapi(service))
    changes = import_openapi(check_spec(document, "export"), slug, dry_run=True).changes
    assert not changes.has_changes, changes.as_dict()


def test_operations_round_trip_through_paths():
    import_openapi(spec("quill-named-examples.json"), "quill")
    document = as_read(export_openapi(Service.objects.get(slug="quill")))
    validate(document)
    assert set(document["paths"]["/documents/{id}"]) == {"get", "delete"}
    data, _ = catalog_from_spec(check_spec(document, "export"), "quill-copy")
    operations = {e["code"]: e.get("operations") for e in data["errors"]}
    assert operations["document.locked"] == [{"method": "DELETE", "path": "/documents/{id}"}]


def test_export_query_count_does_not_grow_with_codes(demo, django_assert_max_num_queries):
    service = Service.objects.get(slug="sigsentry")
    with django_assert_max_num_queries(3):
        export_openapi(service)


def test_merge_documents_every_error_response_of_a_teams_spec():
    import_openapi(spec("ferry-enum-table.yaml"), "ferry")
    team_spec = spec("ferry-enum-table.yaml")
    merged = as_read(merge_into_spec(team_spec, Service.objects.get(slug="ferry")))
    validate(merged)
    problem = merged["components"]["responses"]["Problem"]
    assert {item["code"] for item in problem[EXTENSION]} >= {"AUTH_MISSING", "SAILING_FULL"}
    examples = problem["content"]["application/json"]["examples"]
    assert examples["SAILING_FULL"]["value"]["error"]["code"] == "SAILING_FULL"
    assert "Error codes (from the error portal):" in problem["description"]
    assert merged["paths"] == team_spec.data["paths"]  # the team's operations untouched
    assert merged[EXTENSION]["409"][0]["code"] == "SAILING_FULL"


def test_merge_into_inline_responses_by_operation():
    import_openapi(spec("quill-named-examples.json"), "quill")
    merged = as_read(merge_into_spec(spec("quill-named-examples.json"), Service.objects.get()))
    validate(merged)
    locked = merged["paths"]["/documents/{id}"]["delete"]["responses"]["423"]
    assert [item["code"] for item in locked[EXTENSION]] == ["document.locked", "document.archived"]


def test_export_command(demo, tmp_path):
    out = tmp_path / "aisafe.json"
    call_command("export_openapi", "--service", "aisafe", "--format", "json", "-o", str(out))
    validate(json.loads(out.read_text()))
