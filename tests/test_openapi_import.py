"""Importing specs written the way other companies write them, one error style each;
bad specs; and a second import that leaves editors' additions alone."""

from __future__ import annotations

import json

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from errors.catalog.problems import CatalogInvalid
from errors.identify import identify
from errors.models import ErrorCode, ErrorCodeRevision, Service
from errors.openapi.document import SpecInvalid, parse_spec
from errors.openapi.importer import import_openapi
from tests.openapi_support import SPECS, spec, spec_text

pytestmark = pytest.mark.django_db


def codes(slug: str) -> dict[str, ErrorCode]:
    return {e.code: e for e in Service.objects.get(slug=slug).errors.prefetch_related("examples")}


def test_enum_with_a_status_table_in_a_31_ref_sibling():
    import_openapi(spec("ferry-enum-table.yaml"), "ferry")
    ferry = Service.objects.get(slug="ferry")
    assert (ferry.name, ferry.base_url, ferry.contact) == (
        "Ferry Bookings API", "https://api.ferry.example/v2", "api@ferry.example",
    )  # fmt: skip
    assert (ferry.code_pointer, ferry.message_pointer, ferry.request_id_pointer) == (
        "/error/code", "/error/message", "/error/trace_id",
    )  # fmt: skip
    found = codes("ferry")
    assert {code: e.http_status for code, e in found.items()} == {
        "AUTH_MISSING": 401, "AUTH_EXPIRED": 401, "SAILING_FULL": 409,
        "BOOKING_NOT_FOUND": 404, "INVALID_PASSENGERS": 400, "TOO_MANY_REQUESTS": 429,
    }  # fmt: skip
    assert (
        found["AUTH_EXPIRED"].summary == "The API key has expired; create a new one in the console."
    )
    # a 3.1 schema `examples` list gives the code its example
    assert (
        json.loads(found["SAILING_FULL"].examples.all()[0].body)["error"]["code"] == "SAILING_FULL"
    )
    assert found["SAILING_FULL"].operations == [{"method": "POST", "path": "/bookings"}]


def test_codes_only_in_named_examples_json_30():
    import_openapi(spec("quill-named-examples.json"), "quill")
    found = codes("quill")
    assert sorted(found) == [
        "document.archived", "document.forbidden", "document.locked", "document.not_found",
    ]  # fmt: skip
    locked = found["document.locked"]
    assert locked.http_status == 423
    assert locked.messages == ["Document doc_9 is being edited by another user"]
    assert found["document.not_found"].operations == [
        {"method": "DELETE", "path": "/documents/{id}"},
        {"method": "GET", "path": "/documents/{id}"},
    ]
    assert Service.objects.get(slug="quill").code_pointer == "/failure/errorCode"
    body = {"failure": {"errorCode": "document.archived", "errorMessage": "x"}, "requestId": "r"}
    assert identify(body)[0].error.code == "document.archived"


def test_problem_details_type_uris_and_per_status_consts():
    import_openapi(spec("tollgate-problems.yaml"), "tollgate")
    found = codes("tollgate")
    assert sorted(found) == [
        "card-declined", "out-of-credit", "refund-not-found", "unsupported-currency",
    ]  # fmt: skip
    credit = found["out-of-credit"]
    assert (credit.http_status, credit.title) == (402, "You do not have enough credit.")
    assert credit.aliases == ["https://tollgate.example/problems/out-of-credit"]
    assert found["refund-not-found"].http_status == 404  # a single-value enum: a constant
    body = {"type": "https://tollgate.example/problems/card-declined", "status": 422}
    assert identify(body, service="tollgate")[0].error.code == "card-declined"


def test_x_extension_listing_codes_as_a_list_or_a_mapping():
    import_openapi(spec("parcel-x-codes.yaml"), "parcel")
    found = codes("parcel")
    assert {code: e.http_status for code, e in found.items()} == {
        "E1001": 400, "E1002": 400, "E2001": 404, "E5001": 503,
    }  # fmt: skip
    assert found["E1002"].title == "Carrier not supported"
    assert found["E2001"].summary == "No parcel has this tracking number."
    assert found["E5001"].retry == "backoff"


def test_codes_in_backticks_in_descriptions_each_with_its_sentence():
    import_openapi(spec("ledger-prose.yaml"), "ledger")
    found = codes("ledger")
    # `code` and `amount` name fields, not codes: only stated codes are taken
    assert sorted(found) == [
        "closed_period",
        "read_only_key",
        "unbalanced_entry",
        "unknown_account",
    ]
    assert found["unbalanced_entry"].summary == "Debits and credits do not add up to zero."
    assert found["read_only_key"].http_status == 403


def test_a_spec_without_codes_gives_one_entry_per_error_status():
    import_openapi(spec("beacon-status-only.yaml"), "beacon")
    beacon = Service.objects.get(slug="beacon")
    assert beacon.is_status_only and beacon.status_pointer == "/status"
    found = codes("beacon")
    assert sorted(found) == ["400", "404", "413", "500"]  # 5XX is the 500 entry
    assert found["413"].summary == "The batch is larger than 1 MB."
    assert found["404"].title == "Not Found"
    assert identify({"message": "batch has 501 events", "status": 400})[0].error.code == "400"


# --------------------------------------------------------------------------- bad specs


def problem_of(text: str) -> str:
    with pytest.raises(SpecInvalid) as caught:
        import_openapi(parse_spec(text, "bad.yaml"), "bad")
    assert not Service.objects.filter(slug="bad").exists()
    return str(caught.value)


def test_not_openapi():
    assert "not an OpenAPI document" in problem_of("service: {slug: shop}\n")
    assert "not an OpenAPI document" in problem_of("- a list\n")
    assert "not valid YAML or JSON" in problem_of("openapi: [3.0\n")


def test_openapi_2_says_to_convert():
    message = problem_of("swagger: '2.0'\ninfo: {title: Old, version: '1'}\npaths: {}\n")
    assert "Swagger/OpenAPI 2.0" in message and "convert it to OpenAPI 3" in message


BAD_REF = """
openapi: 3.0.3
info: {title: X, version: "1"}
paths:
  /v1/x:
    post:
      responses:
        "400": {$ref: "%s"}
"""


def test_a_ref_to_another_file_names_its_place():
    message = problem_of(BAD_REF % "errors.yaml#/components/responses/Bad")
    assert "paths./v1/x.post.responses.400" in message
    assert "another file" in message and "bundle" in message


def test_a_broken_ref_names_its_place():
    message = problem_of(BAD_REF % "#/components/responses/Missing")
    assert "paths./v1/x.post.responses.400" in message and "points at nothing" in message


def test_a_ref_loop_and_an_unsupported_version():
    loop = BAD_REF % "#/components/responses/A" + (
        "components:\n  responses:\n    A: {$ref: '#/components/responses/B'}\n"
        "    B: {$ref: '#/components/responses/A'}\n"
    )
    assert "refers back to itself" in problem_of(loop)
    assert "OpenAPI 4.0 is not supported" in problem_of("openapi: '4.0'\ninfo: {title: X}\n")


def test_json_and_yaml_read_alike():
    text = spec_text("quill-named-examples.json")
    assert parse_spec(text, "a.json").data == yaml.safe_load(text)


def test_no_error_responses_imports_nothing_and_says_so():
    text = (
        "openapi: 3.1.0\ninfo: {title: X, version: '1'}\npaths:\n  /x:\n    get:\n"
        "      responses:\n        '200': {description: OK}\n"
    )
    assert "no error responses" in problem_of(text)


def test_a_spec_the_catalog_refuses_imports_nothing():
    with pytest.raises(CatalogInvalid):
        import_openapi(spec("parcel-x-codes.yaml"), "Not A Slug")
    assert not Service.objects.exists()


# --------------------------------------------------------------------------- updates


def test_second_import_keeps_editors_additions_unless_the_spec_now_says_otherwise():
    import_openapi(spec("parcel-x-codes.yaml"), "parcel")
    error = ErrorCode.objects.get(code="E1001")
    error.resolution = "Check the label: twelve digits, no spaces."
    error.retry = "safe"
    error.title = "Malformed tracking number"
    error.save()
    ErrorCode.objects.filter(code="E5001").update(resolution="Wait.")
    ErrorCode.objects.create(
        service=error.service, code="E9999", title="Editor's own", http_status=500
    )
    newer = spec("parcel-x-codes.yaml")
    responses = newer.data["paths"]["/parcels/{trackingNumber}"]["get"]["responses"]
    responses["400"]["x-error-codes"][1]["description"] = "Only DHL and UPS are tracked."
    responses["503"]["x-error-codes"][0]["retry"] = "retry_after"
    result = import_openapi(newer, "parcel", dry_run=True)
    # the title is the spec's to state; the resolution and retry rule are the editor's
    assert sorted(result.changes.changed) == ["E1001", "E1002", "E5001"]
    assert set(result.changes.changed["E1001"]) == {"title"}
    assert result.changes.changed["E5001"] == {"retry": ("backoff", "retry_after")}
    import_openapi(newer, "parcel")
    found = codes("parcel")
    assert found["E1001"].resolution == "Check the label: twelve digits, no spaces."
    assert found["E1001"].retry == "safe"
    assert found["E1001"].title == "Tracking number malformed"  # the spec states a title
    assert found["E1002"].summary == "Only DHL and UPS are tracked."
    assert (found["E5001"].retry, found["E5001"].resolution) == ("retry_after", "Wait.")
    assert "E9999" in found  # the spec never mentions it: kept
    assert ErrorCodeRevision.objects.filter(code="E1002").count() == 2


def test_dry_run_writes_nothing():
    changes = import_openapi(spec("ledger-prose.yaml"), "ledger", dry_run=True).changes
    assert changes.created and len(changes.added) == 4
    assert not Service.objects.exists()


# --------------------------------------------------------------------------- commands


def test_import_command_and_catalog_output(tmp_path, capsys):
    out = tmp_path / "parcel.yaml"
    call_command(
        "import_openapi", str(SPECS / "parcel-x-codes.yaml"), "--service", "parcel", "-o", str(out)
    )
    assert "code: E1001" in out.read_text() and not Service.objects.exists()
    call_command("import_openapi", str(SPECS / "parcel-x-codes.yaml"), "--service", "parcel")
    assert Service.objects.get(slug="parcel").errors.count() == 4


def test_import_command_names_the_place_of_a_problem(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_REF % "#/components/responses/Missing")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_openapi", str(bad), "--service", "bad")
    assert "paths./v1/x.post.responses.400" in capsys.readouterr().err


def test_check_command_lists_disagreements_and_fails(tmp_path, capsys):
    import_openapi(spec("parcel-x-codes.yaml"), "parcel")
    call_command("check_openapi", str(SPECS / "parcel-x-codes.yaml"), "--service", "parcel")
    ErrorCode.objects.filter(code="E2001").update(http_status=410)
    ErrorCode.objects.filter(code="E1002").delete()
    ErrorCode.objects.create(service=Service.objects.get(), code="E7000", title="x")
    with pytest.raises(CommandError, match="disagree"):
        call_command("check_openapi", str(SPECS / "parcel-x-codes.yaml"), "--service", "parcel")
    out = capsys.readouterr().out
    assert "in the spec, not in the catalog: E1002" in out
    assert "in the catalog, not in the spec: E7000" in out
    assert "status differs: E2001: spec 404, catalog 410" in out


def test_spec_text_helper_reads_the_fixtures():
    assert spec_text("ledger-prose.yaml").startswith("openapi: 3.0.0")


def test_the_benchmarks_generated_spec_imports_every_code():
    from errors.openapi.synthetic import synthetic_spec

    text = synthetic_spec(size=60_000, codes=40)
    result = import_openapi(parse_spec(text, "synthetic.yaml"), "synthetic")
    assert len(result.changes.added) == 40
    error = ErrorCode.objects.get(code="ERR_0003")
    assert error.http_status == 404 and error.summary == "Error number 0003 happened."
    assert error.examples.exists() and error.operations


def test_a_status_list_without_backticks():
    from errors.openapi.codes import status_table

    text = "Codes:\n\n- not_found (404): no such thing.\n1. **rate_limited** - 429 - slow down\n"
    assert status_table(text, {"not_found", "rate_limited"}) == {
        "not_found": (404, "no such thing."),
        "rate_limited": (429, "slow down"),
    }
