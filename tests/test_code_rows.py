"""The code-table rows built in Python print what the templates printed, byte for byte."""

from __future__ import annotations

import pytest
from django.template import engines

from errors.code_rows import CodeRow, Links, service_rows, status_rows
from errors.models import Category, ErrorCode, Service

# The rows as service.html and status.html rendered them before errors.code_rows.
SERVICE_ROW_TEMPLATE = """{% load catalog_text %}{% for error in errors %}
      <tr id="{{ error.code }}">
        <td>{% include "errors/_status.html" %}</td>
        <td><a class="code-link" href="{{ error.get_absolute_url }}"><code>{{ error.code }}</code></a> {% include "errors/_badges.html" %}</td>
        <td><strong class="title">{{ error.title }}</strong>{% if error.summary and error.summary != error.title %}<br>{{ error.summary|inline_code }}{% endif %}</td>
        {% if messages %}<td class="small">{% for message in error.messages %}<q class="message">{{ message }}</q>{% if not forloop.last %}<br>{% endif %}{% endfor %}</td>{% endif %}
        {% if resolutions %}<td class="prose small">{{ error.resolution_html|safe }}</td>{% endif %}
        <td><span class="retry retry-{{ error.retry }}">{{ error.get_retry_display }}</span></td>
      </tr>
      {% endfor %}"""  # noqa: E501

STATUS_ROW_TEMPLATE = """{% load catalog_text %}{% for error in errors %}
      <tr><td><a class="code-link" href="{{ error.get_absolute_url }}"><code>{{ error.code }}</code></a> {% include "errors/_badges.html" %}</td><td>{{ error.summary|default:error.title|inline_code }}</td><td>{{ error.category.name|default:"" }}</td><td><span class="retry retry-{{ error.retry }}">{{ error.get_retry_display }}</span></td></tr>
    {% endfor %}"""  # noqa: E501


def render(template: str, **context) -> str:
    return engines["django"].from_string(template).render(context)


SHOP = Service(slug="shop", name="Shop")
AUTH = Category(service=SHOP, slug="auth", name="Auth & <access>")


def code(code: str, http_status: int | None, **fields) -> ErrorCode:
    """An unsaved, published code of the shop that never retries, unless told otherwise."""
    defaults = {"title": "Not found", "retry": "never", "published": True}
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


@pytest.mark.parametrize("messages", [False, True])
@pytest.mark.parametrize("resolutions", [False, True])
def test_service_rows_print_what_the_template_printed(messages, resolutions):
    errors = codes()
    links = Links(errors[0].service)
    expected = render(
        SERVICE_ROW_TEMPLATE, errors=errors, messages=messages, resolutions=resolutions
    )
    rows = [CodeRow(*(getattr(error, name) for name in CodeRow._fields)) for error in errors]
    assert service_rows(rows, links, messages=messages, resolutions=resolutions) == expected


def test_status_rows_print_what_the_template_printed():
    errors = codes()
    expected = render(STATUS_ROW_TEMPLATE, errors=errors)
    assert status_rows(errors, Links(errors[0].service)) == expected


def test_code_urls_are_what_reverse_gives():
    errors = codes()
    links = Links(errors[0].service)
    assert [links.code(error) for error in errors] == [e.get_absolute_url() for e in errors]
    assert links.code(errors[0]) == "/services/shop/errors/NOT_FOUND/"


def test_status_links_are_made_once_each():
    links = Links(Service(slug="shop"))
    assert links.status_badge(404) == links.status_badge(404)
    assert list(links.status_badges) == [404]
    assert 'href="/status/404/" title="Not Found">404</a>' in links.status_badges[404]
