"""The code-table rows: escaped, one column plan, status-only entries said once."""

from __future__ import annotations

from django.template import engines

from errors.code_rows import CodeRow, Columns, Links, service_rows, status_rows
from errors.models import Category, ErrorCode, Service


def render(template: str, **context) -> str:
    return engines["django"].from_string(template).render(context)


SHOP = Service(slug="shop", name="Shop")
AUTH = Category(service=SHOP, slug="auth", name="Auth & <access>")


def code(code: str, http_status: int | None, **fields) -> ErrorCode:
    """An unsaved, published code of the shop that never retries, unless told otherwise."""
    defaults = {"title": "Not found", "retry": "never", "published": True, "messages": []}
    return ErrorCode(service=SHOP, code=code, http_status=http_status, **{**defaults, **fields})


def codes() -> list[ErrorCode]:
    """Codes covering every branch of a row, and text that needs escaping."""
    return [
        code("NOT_FOUND", 404, summary="The `id` is unknown"),
        code("SAME", 500, title="Same", summary="Same"),
        code("DRAFT", 400, published=False),
        code("OLD", 410, lifecycle="deprecated", category=AUTH),
        code("GONE", None, lifecycle="removed", retry="backoff"),
        code("TEAPOT", 418, title='Tea <b>"pot"</b>'),
        code(
            "a b&<c>?#%é'\"",
            429,
            summary="<script>x</script> `<q>`",
            messages=["Slow <down>", "Wait 3s & retry"],
            resolution_html="<p>Back off.</p>",
            retry="retry_after",
        ),
        code("NO_MESSAGES", 409, messages=[]),
    ]


def rows_of(errors, **plan) -> str:
    rows = [CodeRow(*(getattr(error, name) for name in CodeRow._fields)) for error in errors]
    columns = Columns.plan(rows, messages=True)._replace(**plan)
    return service_rows(rows, Links(errors[0].service), columns)


def test_every_value_is_escaped():
    html = rows_of(codes())
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;x&lt;/script&gt; <code>&lt;q&gt;</code>" in html
    assert "Slow &lt;down&gt;" in html


def test_a_status_only_entry_shows_its_status_once():
    html = rows_of([code("404", 404, title="Not Found", summary="No such thing")])
    assert ">404 Not Found</a>" in html
    assert 'class="status status-4xx"' not in html  # no "404" chip beside it
    assert html.count(">404") == 1


def test_a_status_only_entry_spans_the_code_column_beside_named_codes():
    html = rows_of([code("404", 404, title="Not Found"), code("GONE", 410)])
    assert 'colspan="2"' in html


def test_a_title_that_only_spells_out_the_code_is_not_repeated():
    html = rows_of([code("RATE_LIMITED", 429, title="Rate limited", summary="Too many")])
    assert "Rate limited" not in html.split("data-filter")[1].split(">", 1)[1]


def test_a_rule_nobody_stated_shows_no_badge_and_its_column_goes_when_empty():
    errors = [code("A", 400, retry="not_stated"), code("B", 500, retry="backoff")]
    html = rows_of(errors)
    assert html.count('class="retry ') == 1
    assert Columns.plan([code("A", 400, retry="not_stated")], messages=False).retry is False


def test_columns_left_out_take_no_cell():
    html = rows_of([code("A", 400)], messages=False, resolutions=False, retry=False)
    assert "Typical message" not in html and "Resolution" not in html and "Retry" not in html


def test_every_cell_is_labelled_for_stacked_rows():
    html = rows_of(codes())
    assert html.count("<td") == html.count("data-label=")


def test_rows_carry_their_words_for_the_filter():
    html = rows_of([code("KEY_REVOKED", 401, summary="The key was revoked", messages=["Gone"])])
    assert 'data-filter="key_revoked not found the key was revoked 401 gone"' in html


def test_status_rows_name_the_service_and_leave_an_empty_rule_out():
    errors = codes()
    html = status_rows(errors, retry=False)
    assert html.count(">Shop</a>") == len(errors)
    assert "retry" not in html
