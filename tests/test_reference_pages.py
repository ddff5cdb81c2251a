"""The reference pages say each thing once and only what the catalog holds (issue 14)."""

from __future__ import annotations

import re

import pytest

from errors.models import ErrorCode

pytestmark = pytest.mark.django_db


def html_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def main_of(html: str) -> str:
    return html.split('<main id="content"', 1)[1].split("</main>", 1)[0]


# Service pages


def test_a_status_only_entry_shows_its_status_once(client, demo):
    html = main_of(html_of(client, "/services/aisafe/"))
    assert ">400 Bad Request</a>" in html
    assert 'class="status status-4xx" href="/status/400/"' not in html  # no "400" chip


def test_every_table_of_a_service_page_has_the_same_columns(client, demo):
    html = html_of(client, "/services/sigsentry/")
    html = re.sub(r"<caption.*?</caption>", "", html)
    heads = re.findall(r"<table class=\"codes codes-service[^\"]*\">.*?</thead>", html, re.S)
    assert len(heads) == 6 and len(set(heads)) == 1


def test_a_column_no_code_fills_takes_no_room(client, demo):
    html = html_of(client, "/services/synthesis/")  # no resolutions, no typical-message column
    assert 'class="col-resolution"' not in html and 'class="col-message"' not in html


def test_the_lede_and_the_overview_do_not_repeat_each_other(client, demo):
    html = html_of(client, "/services/cloudsigma/")
    assert 'id="overview"' not in html  # CloudSigma's seed says nothing more than its lede


def test_the_envelope_says_where_the_code_sits_in_developers_words(client, demo):
    html = html_of(client, "/services/sigsentry/")
    assert (
        "The code sits in <code>error.code</code> (JSON pointer <code>/error/code</code>)" in html
    )


def test_a_filter_box_and_guides_at_the_top(client, demo):
    html = html_of(client, "/services/sigsentry/")
    assert 'id="code-filter-input"' in html and "data-filter=" in html
    head = html.split('<div class="with-toc">')[0]
    assert 'href="/services/sigsentry/guides/idempotent-retries/"' in head


def test_no_badge_for_a_rule_nobody_stated(client, demo):
    html = html_of(client, "/services/elder-signals/")
    assert html.count('class="retry retry-') == 3  # 429, RATE_LIMIT_EXCEEDED, 500


# Code pages


def test_a_status_only_entry_is_titled_by_status_and_phrase(client, demo):
    html = html_of(client, "/services/aisafe/errors/429/")
    assert '<h1 id="error-title">429 Too Many Requests</h1>' in html
    assert "<title>429 Too Many Requests · AISafe · Error portal</title>" in html


def test_no_eyebrow_repeats_the_breadcrumb(client, demo):
    assert 'class="eyebrow"' not in html_of(client, "/services/sigsentry/errors/RATE_LIMITED/")


def test_a_rule_nobody_stated_is_not_shown(client, demo):
    html = main_of(html_of(client, "/services/synthesis/errors/AGENT_NOT_CONFIGURED/"))
    assert "retry" not in html.lower().replace("retry_after", "")


def test_the_delay_source_is_named(client, demo):
    html = html_of(client, "/services/synthesis/errors/RATE_LIMIT_EXCEEDED/")
    assert "<code>details.retry_after</code> field gives, then retry" in html
    assert "Retry-After" not in main_of(html).split("related-title")[0]


def test_a_code_without_an_example_shows_an_illustrative_body(client, demo):
    html = html_of(client, "/services/cloudsigma/errors/DailyLimitExceeded/")
    assert "Illustrative" in html
    assert "&quot;DailyLimitExceeded&quot;" in html or '"DailyLimitExceeded"' in re.sub(
        r"<[^>]+>", "", html
    )


def test_a_service_known_by_message_says_it_sends_no_code(client, demo):
    html = html_of(client, "/services/elder-signals/errors/INVALID_WEIGHT/")
    text = re.sub(r"<[^>]+>", "", html)
    assert "Elder Signals sends no code: a client sees the message" in text
    assert '"weight must be between 0 and 1"' in text


def test_related_codes_of_the_same_service_come_first(client, demo):
    html = html_of(client, "/services/elder-signals/errors/INVALID_WEIGHT/")
    own = html.index("Other 400 codes of Elder Signals")
    assert own < html.index("400 in other services") and "<details" in html[own:]


def test_a_deprecated_code_without_replacement_says_so(client, demo):
    ErrorCode.objects.filter(service__slug="sigsentry", code="GONE").update(
        lifecycle="deprecated", lifecycle_since="2025-01"
    )
    text = re.sub(r"\s+", " ", html_of(client, "/services/sigsentry/errors/GONE/"))
    assert "Deprecated since 2025-01." in text and "No code replaces it." in text


# Search and status


def test_the_search_page_has_one_search_box(client, demo):
    html = html_of(client, "/search/?q=key+was+revoked")
    assert len(re.findall(r'<input[^>]+type="search"', html)) == 1
    assert 'value="key was revoked"' in html.split("</header>")[0]


def test_a_corrected_misspelling_says_so(client, demo):
    html = html_of(client, "/search/?q=RATE_LIMTED")
    assert "Showing results for" in html


def test_snippets_show_no_raw_backticks(client, demo):
    for query in ("details.upstream", "Authorization Bearer", "rate limit", "requestId"):
        hits = main_of(html_of(client, f"/search/?q={query}")).split('class="hit-list"')[-1]
        assert "`" not in hits, query


def test_the_status_page_is_one_table_with_a_service_column(client, demo):
    html = html_of(client, "/status/429/")
    assert html.count("<table") == 1 and '<th scope="col">Service</th>' in html
    assert "slow down" in html  # what the status means in general


def test_a_hit_far_ahead_is_the_best_match():
    from errors.search.query import parse_query
    from errors.search.results import SearchHit, SearchResults
    from errors.search_rows import best_match

    def results(*scores: float) -> SearchResults:
        hits = [SearchHit(ErrorCode(code=f"C{n}"), score) for n, score in enumerate(scores)]
        return SearchResults(parse_query("x"), hits, len(hits), 1, 20)

    assert best_match(results(9.0, 3.0, 2.0)).error.code == "C0"
    assert best_match(results(4.0, 3.0)) is None  # close: no best match
    assert best_match(results(-1.0, -5.0)) is None  # scores that are not positive say nothing


def test_snippets_render_markdown_without_backticks():
    from errors.search_rows import plain_snippet

    html = plain_snippet("Send `Authorization: Bearer &lt;key&gt;` per **[the guide](/g/)**")
    assert html == "Send <code>Authorization: Bearer &lt;key&gt;</code> per the guide"


def test_snippets_keep_the_underscores_between_highlighted_words():
    from errors.search_rows import plain_snippet

    html = plain_snippet("errors[0] <mark>NOT</mark>_<mark>FOUND</mark>: _no_ <mark>such</mark>")
    assert html == "errors[0] <mark>NOT</mark>_<mark>FOUND</mark>: no <mark>such</mark>"
    assert plain_snippet("**<mark>bold</mark>** and __x__") == "<mark>bold</mark> and x"
