"""Fuzzing the search and the API's parameters with hypothesis: whatever a client sends,
the answer is never a 500 (issue 13). Bounded to run in seconds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same cases on every run, so CI cannot flake
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as people and tools really send it: words, codes, numbers, the odd characters
# that broke the portal before (², NUL, the last code points), and anything at all.
ODD = ["²", "٣", "\x00", "\U0010ffff", "\ud7ff", "\ufffd", "%", "*", '"', "'", "\\", "/", "~"]
TEXT = st.one_of(
    # A word or code-like start with an odd ending: the shapes that reached the database.
    st.builds(
        str.__add__,
        st.sampled_from(["", "RATE_", "A1", "x-", "status:4", "404 "]),
        st.sampled_from([*ODD, "99999999999999999999", "9" * 5000, "²²", ""]),
    ),
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from([*ODD, "A", "_", "4", "0", " ", ":", "-"]), max_size=30),
    st.from_regex(
        r"[A-Z_]{1,12}|[0-9]{1,25}|status:[0-9²]{1,4}|service:[a-z]{1,8}", fullmatch=True
    ),
)


def clean(value: str) -> str:
    # The test client cannot send a lone surrogate (not UTF-8): a browser cannot either.
    return value.encode("utf-8", "replace").decode()


@FUZZ
@given(q=TEXT, page=TEXT, extra=st.dictionaries(
    st.sampled_from(["service", "status", "category", "lifecycle", "per_page"]), TEXT, max_size=3
))  # fmt: skip
def test_the_search_page_and_suggestions_never_fail(client, demo, q, page, extra):
    params = {"q": clean(q), "page": clean(page), **{k: clean(v) for k, v in extra.items()}}
    assert client.get("/search/", params).status_code < 500
    assert client.get("/search/suggest/", {"q": clean(q)}).status_code < 500


@FUZZ
@given(params=st.dictionaries(
    st.sampled_from(["q", "service", "status", "category", "lifecycle", "page", "per_page", "x"]),
    TEXT, max_size=4,
))  # fmt: skip
def test_the_api_search_never_fails(api, demo, params):
    response = api.get("/api/v1/errors/", {k: clean(v) for k, v in params.items()})
    assert response.status_code < 500, response.content


@FUZZ
@given(code=TEXT, service=TEXT, status=TEXT)
def test_lookup_and_code_pages_never_fail(api, client, demo, code, service, status):
    params = {"code": clean(code), "service": clean(service), "status": clean(status)}
    assert api.get("/api/v1/lookup/", params).status_code < 500
    path = "/services/sigsentry/errors/" + clean(code).replace("/", "%2F").replace("?", "%3F")
    assert client.get(path.replace("#", "%23") + "/").status_code < 500


@FUZZ
@given(
    body=st.one_of(
        TEXT,
        st.recursive(
            st.none() | st.booleans() | st.integers() | TEXT,
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
            max_leaves=8,
        ),
    ),
    status=st.one_of(st.none(), st.integers(-5, 1000), TEXT),
    service=st.one_of(st.none(), TEXT),
)
def test_identify_never_fails(api, demo, body, status, service):
    def cleaned(value):
        if isinstance(value, str):
            return clean(value)
        if isinstance(value, list):
            return [cleaned(item) for item in value]
        if isinstance(value, dict):
            return {clean(key): cleaned(item) for key, item in value.items()}
        return value

    payload = {"body": cleaned(body), "status": cleaned(status), "service": cleaned(service)}
    response = api.post("/api/v1/identify/", payload, format="json")
    assert response.status_code < 500, response.content
