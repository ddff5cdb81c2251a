"""Markdown and example rendering: sanitised, highlighted."""

from __future__ import annotations

import time

import hypothesis
import pytest
from hypothesis import strategies as st

from errors.markdown import highlight_code, render_markdown


def test_renders_markdown():
    assert render_markdown("Use **a key**") == "<p>Use <strong>a key</strong></p>"


def test_empty_text_renders_nothing():
    assert render_markdown("  ") == ""


def test_raw_script_is_removed():
    html = render_markdown("Hi <script>alert(1)</script>")
    assert "script" not in html and "alert" not in html


def test_event_handler_is_removed():
    assert "onerror" not in render_markdown('<img src="x" onerror="alert(1)">')


def test_javascript_link_loses_its_href():
    html = render_markdown("[click](javascript:alert(1))")
    assert "javascript" not in html
    assert "click" in html


def test_https_link_is_kept():
    assert 'href="https://example.com"' in render_markdown("[docs](https://example.com)")


def test_fenced_code_is_highlighted():
    html = render_markdown("```python\nimport os\n```")
    assert '<div class="highlight">' in html
    assert '<span class="kn">import</span>' in html


def test_tables_render():
    assert "<table>" in render_markdown("| a | b |\n|---|---|\n| 1 | 2 |")


def test_json_example_is_pretty_printed():
    html = highlight_code('{"a":1}', "json")
    assert '<span class="nt">"a"</span>' in html
    assert "\n" in html.split("<code>")[1]


def test_example_body_is_escaped():
    html = highlight_code("<script>alert(1)</script>", "text")
    assert "<script>" not in html


PLAIN_TEXTS = [
    "Create a new key",
    "Wait 60 seconds and retry",
    "Use the format CVE-YYYY-NNNNN.",
    "Retry the request; contact support if persistent (see the status page).",
    "First paragraph.\n\nSecond paragraph, with a colon: here.",
    "Two lines\nin one paragraph.",
    "Upgrade your plan or wait for the next billing period",
    "Check the Retry-After header for when to retry.",
    'The key "abc" was revoked.',
    "",
]
TRICKY_TEXTS = [
    "- a list item",
    "1. numbered",
    "> a quote",
    "    indented code",
    "a *b* c",
    "x_y_z",
    "line with two trailing spaces  \nnext",
    "Use [docs](https://example.com)",
    "<b>html</b>",
    "Tom & Jerry",
    "Heading\n=======",
    "---",
    "Heading\n---",
    "trailing space ",
    "no-break space\u00a0",
    "em\u2003space",
]
CODE_SPAN_TEXTS = [
    "The `details` object names the field.",
    "Send `request_id` and `Retry-After`.",
    "Use `<id>` or `a & b`, not `*x*`.",
    "` padded `",
    "`a`\n\n`b` second paragraph",
]
TRICKY_CODE_SPAN_TEXTS = [
    "``double``",
    "`a``b`",
    "`unclosed",
    "`tab\tinside`",
    "`back\\slash`",
    "`code` and *emphasis*",
    "1. `numbered`",
    "```\nfenced\n```",
]


@pytest.mark.parametrize(
    "text", PLAIN_TEXTS + TRICKY_TEXTS + CODE_SPAN_TEXTS + TRICKY_CODE_SPAN_TEXTS
)
def test_fast_path_renders_like_the_parser(text):
    from errors.markdown import _converter, _render_markdown, sanitise_html

    full = sanitise_html(_converter().reset().convert(text)) if text.strip() else ""
    assert _render_markdown(text) == full


@pytest.mark.parametrize("text", CODE_SPAN_TEXTS)
def test_inline_code_skips_the_parser(text, monkeypatch):
    import errors.markdown

    errors.markdown._render_markdown.cache_clear()
    monkeypatch.setattr(errors.markdown, "_converter", lambda: pytest.fail("parser used"))
    assert "<code>" in render_markdown(text)


PIECES = [
    "word", " ", "\n", "\n\n", "`", "`request_id`", "` x `", "`<id>`", "`*x*`", "`#`", "1.",
    "- ", "> ", "    ", "\t", "\\", "*", "_", "&", '"q"', "\u00a0", "---", "x`a`y",
]  # fmt: skip


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=10).map("".join))
def test_fast_paths_render_any_mix_like_the_parser(text):
    from errors.markdown import _converter, _render_markdown, sanitise_html

    hypothesis.assume(text.strip())
    _render_markdown.cache_clear()
    assert _render_markdown(text) == sanitise_html(_converter().reset().convert(text))


def test_fast_path_matches_the_parser_on_every_demo_text():
    from errors.catalog.canonical import canonical_from_file
    from errors.catalog.files import read_catalog_file
    from errors.catalog.importer import DEMO_CATALOG_DIR
    from errors.markdown import _converter, _render_markdown, sanitise_html

    texts = []
    for path in DEMO_CATALOG_DIR.glob("*.yaml"):
        data = canonical_from_file(read_catalog_file(path).data)
        for entry in data["errors"]:
            texts += [entry["summary"], entry["description"], entry["resolution"]]
            texts += [example["description"] for example in entry["examples"]]
        texts += [guide["body"] for guide in data["guides"]]
    for text in filter(str.strip, texts):
        assert _render_markdown(text) == sanitise_html(_converter().reset().convert(text)), text


def test_example_markup_cannot_escape_the_code_block():
    html = highlight_code('{"a": "</code></pre><script>alert(1)</script>"}', "json")
    assert "<script>" not in html
    html = highlight_code("<img src=x onerror=alert(1)>", "http")
    assert "<img" not in html


# --------------------------------------------------------------------------- issue 13


@pytest.mark.parametrize("text", ["[" * 20_000, "x [" * 7_000, "[a](" * 5_000, "![" * 10_000])
def test_unclosed_brackets_cost_a_bounded_time(text):
    started = time.perf_counter()
    html = render_markdown(text)
    assert time.perf_counter() - started < 1
    assert html.startswith("<p>") and text[:40] in str(html)


def test_links_still_render_under_the_budget():
    text = "See [the guide](https://example.com/g) and [[x]] " * 200
    assert str(render_markdown(text)).count('<a href="https://example.com/g"') == 200


def test_an_editor_cannot_borrow_the_page_classes_or_ids():
    html = str(render_markdown('<div class="banner banner-draft" id="search-q">Draft.</div>'))
    assert "banner" not in html and 'id="search-q"' not in html
    assert 'id="md-search-q"' in html


def test_heading_anchors_and_links_to_them_share_the_prefix():
    html = str(render_markdown("## Retry later\n\nSee [above](#retry-later)."))
    assert 'id="md-retry-later"' in html and 'href="#md-retry-later"' in html


def test_code_highlighting_keeps_its_classes():
    html = str(render_markdown("```python\nimport os\n```"))
    assert '<div class="highlight">' in html and '<span class="kn">' in html


@pytest.mark.django_db
def test_html_saved_before_the_rules_changed_is_rendered_again(not_found):
    from django.core.management import call_command

    from errors.models import ErrorCode

    fake = '<div class="banner banner-draft">Draft.</div>'
    ErrorCode.objects.filter(pk=not_found.pk).update(
        description=fake, description_html=fake
    )  # as an older release stored it
    call_command("rerender_html", stdout=__import__("io").StringIO())
    assert "banner" not in ErrorCode.objects.get(pk=not_found.pk).description_html
