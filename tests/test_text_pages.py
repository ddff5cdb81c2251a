"""One URL for people and programs: the code page's JSON, short links, Markdown, llms.txt."""

from __future__ import annotations

from rest_framework.authtoken.models import Token

from errors.models import ErrorCode
from tests.client_catalogs import NOT_STATED_CODE, import_odd
from tests.factories import make_user

PAGE = "/services/sigsentry/errors/RATE_LIMITED/"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_code_page_answers_json_with_the_api_entrys_keys(
    client, api, demo, django_assert_num_queries
):
    with django_assert_num_queries(3):  # catalog version, the code, its examples
        response = client.get(PAGE, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "Accept" in response["Vary"]
    entry = api.get("/api/v1/services/sigsentry/errors/RATE_LIMITED/").json()
    assert response.json().keys() == entry.keys()
    assert response.json()["html_url"] == "http://testserver" + PAGE


def test_code_page_answers_html_to_browsers_and_to_no_accept(client, demo):
    for headers in ({"HTTP_ACCEPT": BROWSER}, {}, {"HTTP_ACCEPT": "*/*"}):
        response = client.get(PAGE, **headers)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert "Accept" in response["Vary"]


def test_code_page_json_prefers_by_quality_and_gives_problems(client, demo):
    prefers_json = "text/html;q=0.5, application/json"
    assert client.get(PAGE, HTTP_ACCEPT=prefers_json)["Content-Type"] == "application/json"
    missing = client.get("/services/sigsentry/errors/NO_SUCH/", HTTP_ACCEPT="application/json")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert "GET /api/v1/lookup/?code=NO_SUCH" in missing.json()["detail"]


def test_code_page_json_answers_304_for_the_same_catalog(client, demo):
    first = client.get(PAGE, HTTP_ACCEPT="application/json")
    again = client.get(PAGE, HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_short_link_redirects_any_spelling_to_the_page(client, demo, django_assert_num_queries):
    with django_assert_num_queries(3):  # the service, the code, its examples
        response = client.get("/e/sigsentry/rate-limited")
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert client.get("/e/SigSentry/RATE_LIMITED/")["Location"] == PAGE


def test_short_link_to_an_unknown_code_or_service_is_a_404_page(client, demo):
    response = client.get("/e/sigsentry/RATE_LIMITTED")
    assert response.status_code == 404
    assert "RATE_LIMITED" in response.content.decode()  # the suggestion
    assert client.get("/e/nope/RATE_LIMITED").status_code == 404


def test_markdown_of_a_code(client, demo, django_assert_num_queries):
    url = "/services/sigsentry/errors/RATE_LIMITED.md"
    with django_assert_num_queries(4):  # catalog version, service, code, examples
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("# RATE_LIMITED: Rate limited\n")
    assert "- **HTTP status:** 429 Too Many Requests" in text
    assert "- **Retry:** Retry with backoff (`backoff`)" in text
    assert "- Page: http://testserver" + PAGE in text
    with django_assert_num_queries(1):  # the catalog version: the page is cached
        assert client.get(url).content.decode() == text


def test_markdown_keeps_examples_fenced_and_names_the_replacement(client, not_found):
    text = client.get("/services/shop/errors/OLD_NAME.md").content.decode()
    assert "- **Lifecycle:** Deprecated" in text
    assert (
        "- **Use instead:** [NOT_FOUND](http://testserver/services/shop/errors/NOT_FOUND/)" in text
    )
    example = client.get("/services/shop/errors/NOT_FOUND.md").content.decode()
    assert (
        '```json\n{\n  "error": {\n    "code": "NOT_FOUND"\n  },\n  "status": 404\n}\n```'
        in example
    )


def test_markdown_redirects_other_spellings_and_answers_404_in_text(client, demo):
    response = client.get("/services/sigsentry/errors/rate-limited.md")
    assert response.status_code == 301
    assert response["Location"] == "/services/sigsentry/errors/RATE_LIMITED.md"
    missing = client.get("/services/sigsentry/errors/RATE_LIMITTED.md")
    assert missing.status_code == 404
    assert "Did you mean: RATE_LIMITED" in missing.content.decode()
    assert client.get("/services/nope/errors/X.md").status_code == 404


def test_markdown_states_a_retry_rule_that_is_not_stated(client, db):
    import_odd()
    text = client.get(f"/services/3d-print/errors/{NOT_STATED_CODE}.md").content.decode()
    assert "- **Retry:** Not stated (`not_stated`)" in text


def test_llms_txt_lists_services_and_how_to_read_them(client, demo, django_assert_num_queries):
    with django_assert_num_queries(3):  # catalog version, services, their counts
        response = client.get("/llms.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("# Error portal\n\n> ")
    assert "- [SigSentry](http://testserver/services/sigsentry/) (`sigsentry`, 30 codes)" in text
    assert "http://testserver/services/<service>/errors/<CODE>.md" in text


def test_llms_txt_counts_only_published_codes(client, demo):
    ErrorCode.objects.filter(service__slug="aisafe", code="404").update(published=False)
    assert "(`aisafe`, 8 codes)" in client.get("/llms.txt").content.decode()


def test_code_page_keeps_the_login_rules_of_page_and_api(client, demo, settings):
    settings.PORTAL_REQUIRE_LOGIN = True
    page = client.get(PAGE)
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")
    refused = client.get(PAGE, HTTP_ACCEPT="application/json")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    token = Token.objects.create(user=make_user("reader", staff=False))
    answered = client.get(
        PAGE, HTTP_ACCEPT="application/json", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert answered.status_code == 200
    assert answered.json()["code"] == "RATE_LIMITED"
