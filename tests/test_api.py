"""The JSON API's read endpoints, identify, problems, ETags and rate limits."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from errors.api.problems import CODES
from errors.models import ErrorCode
from errors.search.execute import search_errors
from errors.search.query import parse_query

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
ENTRY_FIELDS = {
    "service",
    "code",
    "http_status",
    "title",
    "summary",
    "category",
    "retry",
    "lifecycle",
    "html_url",
}


def warm(api, url: str) -> None:
    """One request first: reads the fingerprint and builds the identify/lookup index."""
    assert api.get(url).status_code in (200, 404)


def problem(response, status: int, code: str) -> dict:
    """Assert `response` is the problem `code` and return its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"http://testserver/services/portal/errors/{code}/"
    assert body["title"] and body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


# --------------------------------------------------------------------------- services


def test_services_list_has_envelope_categories_and_counts(api, demo, django_assert_num_queries):
    warm(api, "/api/v1/lookup/?code=x")
    # catalog version, services with their versions, their counts, categories
    with django_assert_num_queries(4):
        response = api.get("/api/v1/services/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 6
    aisafe = next(item for item in data["results"] if item["slug"] == "aisafe")
    assert aisafe["error_count"] == 9
    assert aisafe["envelope"]["status_only"] is True
    assert aisafe["envelope"]["message_pointer"] == "/detail"
    assert {"slug": "status-codes", "name": "Status codes", "description": ""} in aisafe[
        "categories"
    ]
    assert aisafe["html_url"] == "http://testserver/services/aisafe/"


def test_service_detail(api, demo, django_assert_num_queries):
    warm(api, "/api/v1/services/")
    with django_assert_num_queries(3):  # catalog version, the service, its categories
        response = api.get("/api/v1/services/synthesis/")
    data = response.json()
    assert data["slug"] == "synthesis"
    assert data["envelope"]["code_pointer"] == "/code"
    assert "description_html" in data


def test_unknown_service_is_a_404_problem(api, demo):
    body = problem(api.get("/api/v1/services/nope/"), 404, "not_found")
    assert "nope" in body["detail"]


def test_error_count_hides_drafts_from_anonymous_callers(api, demo, admin_user):
    ErrorCode.objects.filter(service__slug="aisafe", code="400").update(published=False)
    anonymous = api.get("/api/v1/services/aisafe/").json()
    api.force_authenticate(admin_user)
    assert anonymous["error_count"] == 8
    assert api.get("/api/v1/services/aisafe/").json()["error_count"] == 9


# --------------------------------------------------------------------------- one entry


def test_error_detail_has_everything_the_page_shows(api, demo, django_assert_num_queries):
    warm(api, "/api/v1/services/")
    with django_assert_num_queries(3):  # catalog version, the entry with service, examples
        response = api.get("/api/v1/services/synthesis/errors/NOT_FOUND/")
    data = response.json()
    assert set(data) >= ENTRY_FIELDS
    assert data["html_url"] == "http://testserver/services/synthesis/errors/NOT_FOUND/"
    assert data["category"] == {"slug": data["category"]["slug"], "name": data["category"]["name"]}
    assert data["examples"][0]["language"] == "json"
    assert {"description", "resolution_html", "messages"} <= set(data)


def test_error_detail_is_case_insensitive_and_follows_aliases(api, demo):
    error = ErrorCode.objects.get(service__slug="synthesis", code="FORBIDDEN")
    error.aliases = ["NO_ACCESS"]
    error.save()
    assert api.get("/api/v1/services/synthesis/errors/not-found/").json()["code"] == "NOT_FOUND"
    assert api.get("/api/v1/services/synthesis/errors/no_access/").json()["code"] == "FORBIDDEN"


def test_error_detail_of_unknown_code_or_service(api, demo):
    body = problem(api.get("/api/v1/services/synthesis/errors/NOPE/"), 404, "not_found")
    assert "lookup" in body["detail"]
    body = problem(api.get("/api/v1/services/nope/errors/NOPE/"), 404, "not_found")
    assert "no service 'nope'" in body["detail"]


def test_replaced_by_names_the_current_code(api, demo):
    old = ErrorCode.objects.get(service__slug="synthesis", code="FORBIDDEN")
    old.replaced_by = ErrorCode.objects.get(service__slug="synthesis", code="NOT_FOUND")
    old.lifecycle = "deprecated"
    old.save()
    data = api.get("/api/v1/services/synthesis/errors/FORBIDDEN/").json()
    assert (data["replaced_by"], data["lifecycle"]) == ("NOT_FOUND", "deprecated")


# --------------------------------------------------------------------------- search


def search_queries(text: str = "", **filters) -> int:
    """The queries the search engine itself runs for one page (its internals may change),
    once its per-version word statistics are read (PostgreSQL reads them on first use)."""
    search_errors(parse_query(text, **filters), page=1, per_page=20)
    with CaptureQueriesContext(connection) as captured:
        search_errors(parse_query(text, **filters), page=1, per_page=20)
    return len(captured)


def test_errors_list_is_paginated(api, demo):
    data = api.get("/api/v1/errors/?per_page=5").json()
    assert data["count"] == ErrorCode.objects.filter(published=True).count()
    assert len(data["results"]) == 5
    assert data["previous"] is None
    assert data["next"] == "http://testserver/api/v1/errors/?per_page=5&page=2"
    second = api.get(data["next"]).json()
    assert second["previous"] == "http://testserver/api/v1/errors/?per_page=5&page=1"
    assert set(second["results"][0]) >= ENTRY_FIELDS


def test_errors_search_ranks_the_exact_code_first(api, demo, django_assert_num_queries):
    expected = search_queries("PipelineTimeout")
    warm(api, "/api/v1/services/")
    with django_assert_num_queries(expected + 1):  # catalog version + the engine's queries
        data = api.get("/api/v1/errors/?q=PipelineTimeout").json()
    assert data["results"][0]["code"] == "PipelineTimeout"


def test_errors_filters(api, demo, django_assert_num_queries):
    expected = search_queries(service="synthesis", status=404)
    warm(api, "/api/v1/services/")
    with django_assert_num_queries(expected + 2):  # + catalog version, the service check
        data = api.get("/api/v1/errors/?service=synthesis&status=404").json()
    assert [(item["service"], item["code"]) for item in data["results"]] == [
        ("synthesis", "NOT_FOUND")
    ]
    data = api.get("/api/v1/errors/?lifecycle=active&category=status-codes").json()
    assert {item["service"] for item in data["results"]} == {"aisafe"}


@pytest.mark.parametrize(
    ("query", "code", "words"),
    [
        ("status=abc", "invalid_parameter", "status must be a number"),
        ("lifecycle=x", "invalid_parameter", "lifecycle must be one of"),
        ("page=0", "invalid_parameter", "page must be a whole number"),
        ("page=", "invalid_parameter", "page must be a whole number"),
        ("status=", "invalid_parameter", "status must be a number"),
        # Trimmed, a control character alone would have been no filter at all.
        ("service=%1D", "invalid_parameter", "service must be a service's slug"),
        ("service=sig%09sentry", "invalid_parameter", "service must be a service's slug"),
        ("per_page=1000", "invalid_parameter", "per_page must be"),
        ("q=" + "x" * 201, "query_too_long", "keep it to 200"),
        ("q=a%00b", "invalid_parameter", "NUL"),
    ],
)
def test_errors_bad_parameters_are_400_problems(api, demo, query, code, words):
    body = problem(api.get(f"/api/v1/errors/?{query}"), 400, code)
    assert words in body["detail"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("category=nope", "no category 'nope': GET /api/v1/services/"),
        (
            "category=status-codes&service=synthesis",
            "GET /api/v1/services/synthesis/ lists synthesis's categories",
        ),
    ],
)
def test_unknown_category_is_a_404_problem(api, demo, query, words):
    body = problem(api.get(f"/api/v1/errors/?{query}"), 404, "not_found")
    assert words in body["detail"]


def test_unknown_service_parameter_is_a_404_problem(api, demo):
    body = problem(api.get("/api/v1/errors/?service=nope"), 404, "unknown_service")
    assert "no service 'nope'" in body["detail"]
    problem(api.get("/api/v1/lookup/?code=X&service=nope"), 404, "unknown_service")


def test_an_unknown_service_written_in_q_is_a_404_problem_too(api, demo):
    body = problem(api.get("/api/v1/errors/?q=service:sigsentri+limit"), 404, "unknown_service")
    assert (
        "no service 'sigsentri'" in body["detail"] and "Did you mean 'sigsentry'?" in body["detail"]
    )
    found = api.get("/api/v1/errors/?q=service:sigsentry+zzqqxx+nothing")
    assert found.status_code == 200 and found.json()["count"] == 0


def test_page_past_the_end_is_a_404_problem(api, demo):
    body = problem(api.get("/api/v1/errors/?page=999"), 404, "not_found")
    assert "last page" in body["detail"]


# --------------------------------------------------------------------------- lookup


def test_lookup_across_services(api, demo, django_assert_num_queries):
    warm(api, "/api/v1/lookup/?code=x")
    with django_assert_num_queries(3):  # catalog version (answer, matchers), matching rows
        data = api.get("/api/v1/lookup/?code=not found").json()
    pairs = {(item["service"], item["code"]) for item in data["results"]}
    assert {("synthesis", "NOT_FOUND"), ("portal", "not_found")} <= pairs
    assert data["count"] == len(data["results"])
    assert set(data["results"][0]) >= ENTRY_FIELDS


def test_lookup_filters(api, demo, django_assert_num_queries):
    warm(api, "/api/v1/lookup/?code=x")
    with django_assert_num_queries(4):  # version (answer, matchers), service check, rows
        data = api.get("/api/v1/lookup/?code=NOT_FOUND&service=portal&status=404").json()
    assert [(item["service"], item["code"]) for item in data["results"]] == [
        ("portal", "not_found")
    ]
    assert api.get("/api/v1/lookup/?code=NOT_FOUND&status=500").json() == {
        "count": 0,
        "results": [],
        "suggestions": [],
    }


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("", "invalid_parameter"),
        ("code=X&status=abc", "invalid_parameter"),
        ("code=" + "x" * 101, "invalid_parameter"),
        ("code=X&service=%1D", "invalid_parameter"),  # schemathesis's case
    ],
)
def test_lookup_bad_parameters(api, demo, query, code):
    problem(api.get(f"/api/v1/lookup/?{query}"), 400, code)


# --------------------------------------------------------------------------- identify


def post_identify(api, payload, **extra):
    return api.post(
        "/api/v1/identify/", json.dumps(payload), content_type="application/json", **extra
    )


def test_identify_message_only_body(api, demo, django_assert_num_queries):
    payload = {
        "status": 400,
        "body": {
            "error": "Bad Request",
            "message": "weight must be between 0 and 1",
            "status": 400,
        },
    }
    post_identify(api, payload)
    with django_assert_num_queries(1):  # catalog version; the matched entries are held
        response = post_identify(api, payload)
    first = response.json()["results"][0]
    assert (first["service"], first["code"]) == ("elder-signals", "INVALID_WEIGHT")
    assert first["reason"] == "typical message"
    assert 0 < first["confidence"] <= 1
    assert set(first) >= ENTRY_FIELDS


def test_identify_string_body_and_service(api, demo):
    payload = {"status": 403, "body": '{"code": "EMAIL_NOT_VERIFIED"}', "service": "aisafe"}
    first = post_identify(api, payload).json()["results"][0]
    assert (first["service"], first["code"]) == ("aisafe", "EMAIL_NOT_VERIFIED")


def test_identify_text_content_type_keeps_the_body_as_text(api, demo):
    payload = {"body": "signal not found", "headers": {"Content-Type": "text/plain"}}
    assert post_identify(api, payload).json()["results"][0]["code"] == "SIGNAL_NOT_FOUND"


def test_identify_nothing_found_is_an_empty_list(api, demo):
    answer = post_identify(api, {"body": {"hello": "world"}}).json()
    assert answer == {"match": "none", "threshold": 0.5, "results": [], "weak": []}


def test_identify_invalid_json(api, demo):
    response = api.post("/api/v1/identify/", '{"body": ', content_type="application/json")
    body = problem(response, 400, "invalid_json")
    assert "JSON parse error" in body["detail"]


def test_identify_deeply_nested_json_is_a_400_not_a_crash(api, demo):
    text = '{"body": ' + "[" * 30_000 + "]" * 30_000 + "}"
    response = api.post("/api/v1/identify/", text, content_type="application/json")
    assert "nested too deeply" in problem(response, 400, "invalid_json")["detail"]


def test_identify_deeply_nested_string_body_is_read_as_text(api, demo):
    deep = '{"a":' * 5_000 + "1" + "}" * 5_000
    assert post_identify(api, {"body": deep}).json()["results"] == []


def test_identify_bad_fields(api, demo):
    body = problem(post_identify(api, {"status": "abc", "body": {}}), 400, "invalid_parameter")
    assert {item["place"] for item in body["errors"]} == {"status"}
    # Without a body field, an object is a bare error body (issue 15), not a wrapper.
    assert post_identify(api, {"status": "abc"}).status_code == 200
    problem(post_identify(api, {"status": 99, "body": {}}), 400, "invalid_parameter")


def test_identify_header_values_must_be_strings(api, demo):
    response = post_identify(api, {"body": {}, "headers": {"Retry-After": 3}})
    body = problem(response, 400, "invalid_parameter")
    assert body["errors"] == [
        {"place": "headers.Retry-After", "message": "Send every header value as a string."}
    ]


def test_identify_null_body_goes_by_status(api, demo):
    data = post_identify(api, {"status": 404, "body": None, "service": "aisafe"}).json()
    assert data["results"][0]["code"] == "404"


def test_text_sent_back_is_ascii_escaped_so_any_input_renders(api, demo):
    response = post_identify(api, {"body": {}, "headers": {"\ud800": 1}})
    assert response.status_code == 400
    assert b"\\ud800" in response.content


def test_identify_unknown_service(api, demo):
    problem(post_identify(api, {"body": {}, "service": "nope"}), 404, "unknown_service")


def test_identify_body_over_64_kib_is_413(api, demo):
    body = problem(post_identify(api, {"body": "x" * 70_000}), 413, "body_too_large")
    assert "64 KiB" in body["detail"]


def test_identify_wrong_content_type_is_415(api, demo):
    response = api.post("/api/v1/identify/", "a,b", content_type="text/csv")
    body = problem(response, 415, "unsupported_media_type")
    assert "Send Content-Type: application/json" in body["detail"]


def test_identify_takes_only_post(api, demo):
    response = api.get("/api/v1/identify/")
    body = problem(response, 405, "method_not_allowed")
    assert "This address takes POST." in body["detail"]
    assert "POST" in response["Allow"]


# --------------------------------------------------------------------------- behaviour


def test_unknown_api_address_is_a_problem(api, db):
    body = problem(api.get("/api/v1/nothing-here/"), 404, "not_found")
    assert "/api/docs/" in body["detail"]
    problem(api.get("/api/v2/"), 404, "not_found")


def test_missing_trailing_slash_is_named(api, db):
    body = problem(api.post("/api/v1/identify", {}), 404, "not_found")
    assert "add the trailing slash: /api/v1/identify/" in body["detail"]


def test_request_id_is_taken_from_the_request(api, demo):
    response = api.get("/api/v1/lookup/", HTTP_X_REQUEST_ID="trace-123")
    assert response["X-Request-ID"] == "trace-123"
    assert response.json()["request_id"] == "trace-123"


def test_unusable_request_id_is_replaced_by_a_new_one(api, demo):
    response = api.get("/api/v1/lookup/", HTTP_X_REQUEST_ID="line\nbreak")
    assert len(response["X-Request-ID"]) == 32
    assert response.json()["request_id"] == response["X-Request-ID"]


def test_not_acceptable(api, demo):
    problem(api.get("/api/v1/services/", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")


def test_reads_have_an_etag_and_answer_304_when_it_matches(api, demo, django_assert_num_queries):
    response = api.get("/api/v1/services/aisafe/errors/404/")
    etag = response["ETag"]
    assert etag.startswith('W/"')
    assert "max-age=0" in response["Cache-Control"]
    with django_assert_num_queries(1):  # the catalog version, and nothing else
        again = api.get("/api/v1/services/aisafe/errors/404/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


def test_etag_changes_with_the_catalog_and_the_request(api, demo):
    etag = api.get("/api/v1/services/").json() and api.get("/api/v1/services/")["ETag"]
    assert api.get("/api/v1/services/aisafe/")["ETag"] != etag
    error = ErrorCode.objects.get(service__slug="aisafe", code="404")
    error.title = "Not found at all"
    error.save()
    response = api.get("/api/v1/services/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_rate_limit_answers_429_with_retry_after(api, demo, settings):
    settings.PORTAL_API_RATE = "2/minute"
    cache.clear()
    assert api.get("/api/v1/lookup/?code=x").status_code == 200
    assert api.get("/api/v1/lookup/?code=x").status_code == 200
    response = api.get("/api/v1/lookup/?code=x")
    body = problem(response, 429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert "retry in" in body["detail"]
    cache.clear()


def test_rate_limit_is_off_by_default(api, demo):
    assert all(api.get("/api/v1/lookup/?code=x").status_code == 200 for _ in range(30))


def test_reads_require_login_when_the_portal_does(api, demo, settings, admin_user):
    settings.PORTAL_REQUIRE_LOGIN = True
    problem(api.get("/api/v1/services/"), 401, "authentication_required")
    token = Token.objects.create(user=admin_user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/services/").status_code == 200


def test_unexpected_failure_is_a_500_problem(api, demo, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("errors.lookup.find_code_matches", explode)
    api.raise_request_exception = False
    body = problem(api.get("/api/v1/lookup/?code=x"), 500, "internal_error")
    assert "boom" not in body["detail"]


def test_failure_while_rendering_is_a_500_problem_too(api, demo, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("errors.api.views.ApiJsonRenderer.render", explode)
    api.raise_request_exception = False
    response = api.get("/api/v1/services/")
    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "internal_error"


def test_every_problem_code_is_documented_in_the_portal_catalog(demo):
    documented = dict(
        ErrorCode.objects.filter(service__slug="portal").values_list("code", "http_status")
    )
    assert documented == {code: status for code, (status, _title) in CODES.items()}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/services/",
        "/api/v1/services/synthesis/",
        "/api/v1/services/synthesis/errors/NOT_FOUND/",
        "/api/v1/errors/?q=PipelineTimeout",
        "/api/v1/lookup/?code=NOT_FOUND",
    ],
)
def test_a_repeated_read_is_served_from_the_cache(api, demo, django_assert_num_queries, url):
    first = api.get(url)
    with django_assert_num_queries(1):  # the catalog version, and nothing else
        again = api.get(url)
    assert again.json() == first.json()


def test_a_write_retires_cached_answers_at_once(api, demo):
    url = "/api/v1/services/synthesis/errors/NOT_FOUND/"
    assert api.get(url).json()["title"] != "Gone for good"
    ErrorCode.objects.filter(service__slug="synthesis", code="NOT_FOUND").update(
        title="Gone for good"
    )  # a queryset update: no model signal, only the database trigger sees it
    assert api.get(url).json()["title"] == "Gone for good"


def test_unknown_query_parameter_is_named_with_the_known_ones(api, demo):
    body = problem(api.get("/api/v1/lookup/?code=X&statsu=404"), 400, "invalid_parameter")
    assert "unknown parameter 'statsu' (did you mean 'status'?)" in body["detail"]
    assert "takes code, service, status" in body["detail"]
    body = problem(api.get("/api/v1/services/?q=x"), 400, "invalid_parameter")
    assert "takes no query parameters" in body["detail"]


@pytest.mark.parametrize("url", ["/api/v1/services/nope/", "/api/v1/errors/?status=²"])
def test_if_none_match_star_never_turns_an_error_into_a_304(api, not_found, url):
    response = api.get(url, HTTP_IF_NONE_MATCH="*")
    assert response.status_code in (400, 404)


def test_if_none_match_star_turns_a_200_into_a_304(api, not_found):
    response = api.get("/api/v1/services/shop/", HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 304
    assert response.content == b""


def test_an_empty_or_unknown_lifecycle_is_refused_with_the_choices(api, demo):
    # The schema lists active, deprecated and removed: '' is none of them (schemathesis).
    for value in ("", "retired"):
        answer = api.get("/api/v1/errors/", {"lifecycle": value})
        assert answer.status_code == 400
        assert "active, deprecated, removed" in answer.json()["detail"]
    assert api.get("/api/v1/errors/", {"lifecycle": "deprecated"}).status_code == 200


def test_identify_without_a_body_says_what_to_send(api, demo):
    answer = api.post("/api/v1/identify/", content_type="application/json")
    assert answer.status_code == 400
    assert "no body" in answer.json()["detail"]


@pytest.mark.parametrize("value", ["", "maybe", "TRUE"])
def test_a_yes_no_parameter_takes_the_documented_values_only(api, demo, value):
    answer = api.get("/api/v1/services/sigsentry/openapi/", {"merge": value})
    assert answer.status_code == 400
    assert "merge must be 1 or 0" in answer.json()["detail"]


@pytest.mark.parametrize("since", ["0d", "0D", "367d", "53w", "8785h", "07d", " 7d"])
def test_the_drift_window_is_the_documented_pattern_exactly(api, demo, since):
    answer = api.get("/api/v1/services/sigsentry/drift/", {"since": since})
    assert answer.status_code == 400, since


@pytest.mark.parametrize("since", ["1d", "366d", "52w", "8784h", "7D"])
def test_every_documented_drift_window_is_accepted(api, demo, since):
    assert api.get("/api/v1/services/sigsentry/drift/", {"since": since}).status_code == 200


def test_a_service_slug_with_spaces_around_is_trimmed(api, demo):
    data = api.get("/api/v1/lookup/?code=RATE_LIMITED&service=%20SigSentry%20").json()
    assert {item["service"] for item in data["results"]} == {"sigsentry"}
