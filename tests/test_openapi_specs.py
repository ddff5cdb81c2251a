"""Importing the four public specs of ../shared/specs (copied into tests/fixtures/openapi):
per spec, the envelope pointers, the number of codes, named codes with their status and
example, and identify recognising every example body of the spec as its own code."""

from __future__ import annotations

import json

import pytest

from errors.bodies import resolve_pointer
from errors.identify import identify
from errors.models import Service
from errors.openapi.importer import import_openapi
from errors.openapi.operations import error_responses
from tests.openapi_support import spec

pytestmark = pytest.mark.django_db

# file, slug, pointers (code, message, details, request id, status), number of codes
SPECS = {
    "lob": (
        "lob.yaml",
        ("/error/code", "/error/message", "/errors", "", "/error/status_code"),
        49,  # the enum's 48, and the 400 of /uploads/{upl_id}/exports, whose body has no code
    ),
    "intercom": (
        "intercom-2.16.yaml",
        ("/errors/0/code", "/errors/0/message", "", "/request_id", ""),
        50,  # 47 codes in named examples; 422, 404 and 500 bodies without a code
    ),
    "meilisearch": (
        "meilisearch.json",
        ("/code", "/message", "", "", ""),
        290,  # the Code enum's 289, and a 500 whose example carries no code
    ),
    "kong": (
        "kong-konnect-portal-management-v3.yaml",
        ("/type", "/detail", "/invalid_parameters", "/instance", "/status"),
        5,  # one problem type per status: 400 (no type given), 401, 403, 404, 409
    ),
}


def imported(slug: str) -> Service:
    import_openapi(spec(SPECS[slug][0]), slug)
    return Service.objects.get(slug=slug)


@pytest.mark.parametrize("slug", sorted(SPECS))
def test_envelope_pointers_and_number_of_codes(slug):
    service = imported(slug)
    pointers = (
        service.code_pointer,
        service.message_pointer,
        service.details_pointer,
        service.request_id_pointer,
        service.status_pointer,
    )
    assert pointers == SPECS[slug][1]
    assert service.errors.count() == SPECS[slug][2]


def entry(service: Service, code: str):
    return service.errors.prefetch_related("examples").get(code=code)


def first_body(error) -> dict:
    return json.loads(error.examples.all()[0].body)


def test_lob_codes_from_the_enum_with_statuses_from_its_table():
    lob = imported("lob")
    assert lob.name == "Lob"
    rate = entry(lob, "rate_limit_exceeded")
    assert rate.http_status == 429
    assert rate.summary.startswith("Requests were sent too quickly")
    assert entry(lob, "conflict").http_status == 409  # "409/422": the first is the main one
    assert entry(lob, "unsupported_lob_version").http_status == 422
    not_found = entry(lob, "not_found")
    assert not_found.http_status == 404
    assert first_body(not_found)["error"]["code"] == "not_found"
    assert {"method": "GET", "path": "/addresses/{adr_id}"} in not_found.operations
    assert entry(lob, "invalid").messages[0] == "routing_number is required"


def test_intercom_codes_only_in_named_examples():
    intercom = imported("intercom")
    unauthorized = entry(intercom, "unauthorized")
    assert unauthorized.http_status == 401
    assert first_body(unauthorized)["errors"][0] == {
        "code": "unauthorized",
        "message": "Access Token Invalid",
    }
    assert "Access Token Invalid" in unauthorized.messages
    assert entry(intercom, "not_found").http_status == 404
    assert entry(intercom, "rate_limit_exceeded").http_status == 429
    # documented under 404 once (IntegrationNotFound) but under 400 and 422 more often
    assert entry(intercom, "data_invalid").http_status in (400, 422)


def test_meilisearch_enum_for_the_whole_engine_and_one_example_per_response():
    meili = imported("meilisearch")
    index = entry(meili, "index_not_found")
    assert index.http_status == 404
    assert first_body(index)["link"] == "https://docs.meilisearch.com/errors#index_not_found"
    assert entry(meili, "missing_authorization_header").http_status == 401
    # in the enum only: no response says its status, so none is made up
    assert entry(meili, "api_key_already_exists").http_status is None


def test_kong_problem_types_per_status_with_examples_through_refs():
    kong = imported("kong")
    unauthorized = entry(kong, "401")
    assert unauthorized.title == "Unauthorized"
    assert unauthorized.aliases == ["https://httpstatuses.com/401"]
    assert first_body(unauthorized)["status"] == 401
    bad_request = entry(kong, "400")
    assert bad_request.title == "Invalid Request"
    assert "invalid_parameters" in first_body(bad_request)
    assert entry(kong, "409").examples.count() == 3


@pytest.mark.parametrize("slug", sorted(SPECS))
def test_identify_recognises_every_example_body_as_its_own_code(slug):
    document = spec(SPECS[slug][0])
    service = imported(slug)
    checked = 0
    for response in error_responses(document):
        for body in response.bodies:
            for example in body.examples:
                value = example.value
                code = (
                    resolve_pointer(value, service.code_pointer)
                    if isinstance(value, dict)
                    else None
                )
                found = identify(value, status=response.status, service=slug)
                assert found, f"{example.place}: identify found nothing"
                top = found[0].error
                if isinstance(code, str) and code:
                    names = {top.code.lower(), *(alias.lower() for alias in top.aliases)}
                    assert code.lower() in names, f"{example.place}: {code} -> {top.code}"
                elif response.status is not None:
                    assert top.http_status == response.status, f"{example.place} -> {top.code}"
                checked += 1
    assert checked > 50
