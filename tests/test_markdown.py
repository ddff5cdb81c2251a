"""Markdown and example rendering: sanitised, highlighted."""

from __future__ import annotations

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
