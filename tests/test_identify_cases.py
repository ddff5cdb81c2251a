"""Identify on fresh cases (issue 15), written before the engine changed: shared envelopes
spelt differently, values inside messages, pages that are no error body of any service,
bodies as tools send them, problem type URLs, and services with more than one envelope."""

from __future__ import annotations

import json

import pytest

from errors import identify as identification
from errors import message_values
from errors.catalog.importer import import_catalog_text
from errors.identify import identify, message_skeleton
from tests.conftest import catalog_text

pytestmark = [
    pytest.mark.django_db,
]


def first(body, **kwargs) -> str:
    found = identify(body, **kwargs)
    assert found, "nothing identified"
    return f"{found[0].error.service.slug}/{found[0].error.code}"


def post(api, payload, path="/api/v1/identify/", **extra):
    return api.post(path, json.dumps(payload), content_type="application/json", **extra)


# --------------------------------------------------------------- shared envelopes, spellings


def shared(code: str, message: str = "It went wrong") -> dict:
    """SigSentry's and CloudSigma's envelope, the same in both services."""
    return {"success": False, "error": {"code": code, "message": message}}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("NotFound", "cloudsigma/NotFound"),
        ("NOT_FOUND", "sigsentry/NOT_FOUND"),
        ("Unauthorized", "cloudsigma/Unauthorized"),
        ("UNAUTHORIZED", "sigsentry/UNAUTHORIZED"),
        ("Conflict", "cloudsigma/Conflict"),
        ("CONFLICT", "sigsentry/CONFLICT"),
        ("ValidationError", "cloudsigma/ValidationError"),
        ("VALIDATION_ERROR", "sigsentry/VALIDATION_ERROR"),
        ("Forbidden", "cloudsigma/Forbidden"),
        ("FORBIDDEN", "sigsentry/FORBIDDEN"),
    ],
)
def test_the_exact_spelling_of_a_shared_code_wins(demo, code, expected):
    assert first(shared(code)) == expected
    found = identify(shared(code))
    assert found[0].confidence > found[1].confidence


def test_a_spelling_of_neither_service_still_finds_both(demo):
    found = {f"{r.error.service.slug}/{r.error.code}" for r in identify(shared("not-found"))}
    assert {"cloudsigma/NotFound", "sigsentry/NOT_FOUND"} <= found


# --------------------------------------------------------------- values inside messages

ORDERS = catalog_text(
    """
    service:
      slug: orders
      name: Orders
      envelope:
        message_pointer: /message
    errors:
      - {code: ORDER_STATE, http_status: 409, title: Order state,
         messages: ["cannot move order from DRAFT to SHIPPED"]}
      - {code: FIELD_REQUIRED, http_status: 400, title: Field required,
         messages: ["email is required"]}
      - {code: FIELD_INVALID, http_status: 400, title: Field invalid,
         messages: ["email is invalid"]}
      - {code: USER_UNKNOWN, http_status: 404, title: User unknown,
         messages: ["no user with address alice@example.com"]}
      - {code: WEBHOOK_FAILED, http_status: 502, title: Webhook failed,
         messages: ["webhook https://hooks.example.com/a failed"]}
      - {code: TOKEN_EXPIRED, http_status: 401, title: Token expired,
         messages: ["token expired at 2024-01-05T10:00:00Z"]}
      - {code: RETRY_LATER, http_status: 429, title: Retry later,
         messages: ["too busy, retry in 30s"]}
      - {code: IP_BLOCKED, http_status: 403, title: IP blocked,
         messages: ["requests from 10.0.0.1 are blocked"]}
      - {code: UNKNOWN_FIELD, http_status: 400, title: Unknown field,
         messages: ["unknown field customerName in payload"]}
    """
)


@pytest.fixture
def orders(db):
    import_catalog_text(ORDERS, "orders.yaml")


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("cannot move order from PAID to CANCELLED", "orders/ORDER_STATE"),
        ("Cannot move order from Draft to Archived.", "orders/ORDER_STATE"),
        ("postal_code is required", "orders/FIELD_REQUIRED"),
        ("billingAddress.zip is required", "orders/FIELD_REQUIRED"),
        ("postal_code is invalid", "orders/FIELD_INVALID"),
        ("no user with address bob.smith+test@corp.example.org", "orders/USER_UNKNOWN"),
        ("webhook http://10.1.2.3:8080/hooks/x?y=1 failed", "orders/WEBHOOK_FAILED"),
        ("token expired at 2025-12-31 23:59:59", "orders/TOKEN_EXPIRED"),
        ("too busy, retry in 1500ms", "orders/RETRY_LATER"),
        ("too busy, retry in 2m30s", "orders/RETRY_LATER"),
        ("requests from 2001:db8::1 are blocked", "orders/IP_BLOCKED"),
        ("unknown field shipping_address in payload", "orders/UNKNOWN_FIELD"),
    ],
)
def test_other_values_in_a_message_still_match_it(orders, message, expected):
    found = identify({"message": message})
    assert found, "nothing identified"
    assert f"{found[0].error.service.slug}/{found[0].error.code}" == expected
    assert found[0].confidence >= identification.CONFIDENT


def test_messages_that_differ_in_a_fixed_word_are_not_merged(orders):
    found = identify({"message": "phone is missing"})
    assert all(r.confidence < identification.CONFIDENT for r in found)
    assert message_skeleton("email is required") != message_skeleton("email is invalid")


def test_an_upper_case_word_alone_is_not_a_value_everywhere(demo):
    # Elder Signals documents "status must be CONFIRMED or DISMISSED"; other states match.
    body = {"error": "Conflict", "message": "signal status must be PENDING or ESCALATED"}
    assert first(body) == "elder-signals/INVALID_STATE"


# --------------------------------------------------------------- a threshold that means something

NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def test_an_nginx_error_page_matches_none(api, demo):
    answer = post(api, {"status": 502, "body": NGINX_502}).json()
    assert answer["match"] == "none"
    assert answer["results"] == []
    assert answer["threshold"] == identification.CONFIDENT
    assert all(weak["confidence"] < answer["threshold"] for weak in answer["weak"])
    assert all(weak["reason"] for weak in answer["weak"])


def test_an_envoy_text_error_matches_none(api, demo):
    body = "upstream connect error or disconnect/reset before headers. reset reason: overflow"
    answer = post(api, {"status": 503, "body": body}).json()
    assert answer["match"] == "none"


def test_a_code_field_is_a_confident_match_with_its_reason(api, demo):
    answer = post(api, {"status": 401, "body": shared("API_KEY_REVOKED")}).json()
    assert answer["match"] == "confident"
    assert answer["results"][0]["code"] == "API_KEY_REVOKED"
    assert "code field /error/code" in answer["results"][0]["reason"]


# --------------------------------------------------------------- what tools send


def test_a_bare_body_is_identified(api, demo):
    response = post(api, shared("API_KEY_REVOKED", "The key was revoked"))
    assert response.status_code == 200
    assert response.json()["results"][0]["code"] == "API_KEY_REVOKED"


def test_a_bare_body_with_a_status_field_is_not_taken_for_the_wrapper(api, demo):
    body = {"error": "Bad Request", "message": "weight must be between 0 and 1", "status": 400}
    assert post(api, body).json()["results"][0]["code"] == "INVALID_WEIGHT"


def test_a_bare_body_takes_status_and_service_from_the_query_string(api, demo):
    response = post(api, {"detail": "Whatever"}, path="/api/v1/identify/?status=404&service=aisafe")
    assert response.json()["results"][0]["code"] == "404"


def test_a_text_plain_body_is_identified(api, demo):
    response = api.post(
        "/api/v1/identify/?status=429",
        "Rate limit exceeded. Please retry after the reset time.",
        content_type="text/plain",
    )
    assert response.status_code == 200
    first_result = response.json()["results"][0]
    assert (first_result["service"], first_result["code"]) == (
        "elder-signals",
        "RATE_LIMIT_EXCEEDED",
    )


def test_a_text_plain_html_page_matches_none(api, demo):
    response = api.post("/api/v1/identify/?status=502", NGINX_502, content_type="text/plain")
    assert response.json()["match"] == "none"


def test_batch_answers_one_result_per_response_in_order(api, demo, django_assert_num_queries):
    responses = [
        {"status": 401, "body": shared("API_KEY_REVOKED")},
        {"status": 502, "body": NGINX_502},
        {"body": {"message": "weight must be between 0 and 1"}},
        {"status": 404, "body": {"detail": "Assessment not found"}, "service": "aisafe"},
    ]
    post(api, {"responses": responses}, path="/api/v1/identify/batch/")
    # The catalog version and the holders of every body's code keys; the matched entries
    # were read, in one query, by the first batch, and are held.
    with django_assert_num_queries(2):
        answer = post(api, {"responses": responses}, path="/api/v1/identify/batch/").json()
    results = answer["results"]
    assert [r["match"] for r in results] == ["confident", "none", "confident", "confident"]
    assert results[0]["results"][0]["code"] == "API_KEY_REVOKED"
    assert results[2]["results"][0]["code"] == "INVALID_WEIGHT"
    assert results[3]["results"][0]["code"] == "404"


def test_batch_refuses_more_than_a_thousand_and_says_so(api, demo):
    response = post(api, {"responses": [{"body": "x"}] * 1001}, path="/api/v1/identify/batch/")
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The batch has 1001 responses: send at most 1000 per request."
    )


def test_batch_over_two_mib_is_a_413_that_says_to_split_it(api, demo):
    responses = [{"body": "x" * 3000}] * 800
    response = post(api, {"responses": responses}, path="/api/v1/identify/batch/")
    assert response.status_code == 413
    assert "split the batch" in response.json()["detail"]


def test_a_bad_response_of_a_batch_is_rejected_alone(api, demo, django_assert_num_queries):
    """A log pipeline's batch with a bad status, a retired service and headers that are
    not an object: those are rejected by index, saying what to fix, and the rest answered."""
    responses = [
        {"status": 99, "body": "y"},
        {"status": 401, "body": shared("API_KEY_REVOKED")},
        {"status": 404, "body": {"detail": "Not found"}, "service": "retired-billing"},
        {"status": 404, "body": {"detail": "Assessment not found"}, "service": "aisafe"},
        {"status": 500, "headers": "text/plain", "body": "Internal Server Error"},
    ]
    post(api, {"responses": responses}, path="/api/v1/identify/batch/")
    with django_assert_num_queries(2):  # as a batch without bad responses
        response = post(api, {"responses": responses}, path="/api/v1/identify/batch/")
    assert response.status_code == 200
    answer = response.json()
    assert answer["rejected"] == [
        {
            "index": 0,
            "code": "invalid_parameter",
            "detail": "status: must be a number from 100 to 599 (an HTTP status).",
        },
        {
            "index": 2,
            "code": "unknown_service",
            "detail": "There is no service 'retired-billing': GET /api/v1/services/ lists "
            "the slugs.",
        },
        {
            "index": 4,
            "code": "invalid_parameter",
            "detail": 'headers: Expected a dictionary of items but got type "str".',
        },
    ]
    results = answer["results"]
    assert [result is None for result in results] == [True, False, True, False, True]
    assert results[1]["results"][0]["code"] == "API_KEY_REVOKED"
    assert results[3]["results"][0]["code"] == "404"


def test_a_batch_of_only_bad_responses_is_all_null_and_all_rejected(api, demo):
    responses = [{"status": "abc", "body": "x"}, {"body": {"code": "X"}, "service": "nope"}]
    response = post(api, {"responses": responses}, path="/api/v1/identify/batch/")
    assert response.status_code == 200
    assert response.json()["results"] == [None, None]
    rejected = response.json()["rejected"]
    assert [(item["index"], item["code"]) for item in rejected] == [
        (0, "invalid_parameter"),
        (1, "unknown_service"),
    ]


# --------------------------------------------------------------- problem types


def test_a_portal_problem_type_is_its_entry_without_a_code(demo):
    body = {
        "type": "https://errors.example.internal/services/portal/errors/invalid_parameter/",
        "title": "Invalid parameter",
        "status": 400,
        "detail": "page must be a positive number",
    }
    assert first(body) == "portal/invalid_parameter"
    assert identify(body)[0].confidence >= identification.CONFIDENT


def test_a_service_pointing_its_problem_types_at_the_portal(demo):
    body = {
        "type": "https://portal.acme.dev/services/sigsentry/errors/QUOTA_EXCEEDED/",
        "title": "Quota exceeded",
        "status": 403,
    }
    found = identify(body)
    assert f"{found[0].error.service.slug}/{found[0].error.code}" == "sigsentry/QUOTA_EXCEEDED"
    assert "problem type" in found[0].reason


def test_a_problem_type_naming_no_entry_is_no_confident_match(demo):
    body = {"type": "https://portal.acme.dev/services/sigsentry/errors/NOPE/", "status": 403}
    assert all(r.error.code != "NOPE" for r in identify(body))


# --------------------------------------------------------------- several envelopes per service

VAULT = catalog_text(
    """
    service:
      slug: vault
      name: Vault
      envelope:
        message_pointer: /detail
        alternatives:
          - {code_pointer: /errors/0/code, message_pointer: /errors/0/detail}
          - {code_pointer: /reason}
    errors:
      - {code: "401", http_status: 401, title: Unauthorized}
      - {code: KEY_SEALED, http_status: 403, title: Key sealed}
      - {code: LEASE_EXPIRED, http_status: 403, title: Lease expired}
    """
)


def test_each_envelope_of_a_service_is_tried(db):
    import_catalog_text(VAULT, "vault.yaml")
    assert first({"errors": [{"code": "KEY_SEALED", "detail": "sealed"}]}) == "vault/KEY_SEALED"
    assert first({"reason": "LEASE_EXPIRED"}) == "vault/LEASE_EXPIRED"
    assert first({"detail": "no token"}, status=401) == "vault/401"


# --------------------------------------------------------------- linear patterns


def test_message_skeleton_reads_each_character_a_bounded_number_of_times(monkeypatch):
    """A crafted message must cost time in proportion to its length: every pattern that
    reads request text is handed it in pieces of bounded size (counted here), and each
    piece is matched by patterns without nested or overlapping repetition."""
    read = []
    real = message_values.value_of

    def counting(token: str) -> str:
        read.append(len(token))
        return real(token)

    monkeypatch.setattr(message_values, "value_of", counting)
    crafted = "a_" + "1" * 1997 + "_"
    message_skeleton(crafted)
    message_skeleton("x " * 1000)
    assert max(read) <= message_values.MAX_TOKEN
    assert sum(read) <= 2 * 2000 + 2000


def test_crafted_messages_still_give_a_skeleton():
    assert message_skeleton("a_" + "1" * 1997 + "_") == "{value}"
    assert set(message_skeleton("'" * 2000 + " x").split()) <= {"{value}", "x"}


def test_a_wrapper_with_body_misspelt_is_refused_not_answered_by_its_status(api, demo):
    """Read as a bare body, `{"status": 401, "bdy": ...}` was answered by the status alone,
    with confidence; the wrapper meant is named instead. A bare body keeps being one."""
    response = post(api, {"status": 401, "bdy": shared("API_KEY_REVOKED")})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("bdy: did you mean 'body'?")
    batch = post(
        api,
        {"responses": [{"status": 401, "bodi": {}}, {"status": 401, "body": {}}]},
        path="/api/v1/identify/batch/",
    ).json()
    assert [rejected["index"] for rejected in batch["rejected"]] == [0]
    bare = post(api, {"status": 401, "error": "Unauthorized", "message": "Bad key"})
    assert bare.status_code == 200  # an error body with a status field of its own
