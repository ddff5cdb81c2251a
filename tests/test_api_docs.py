"""docs/api.md's examples, run against a live portal: the docs cannot drift from the API.

Python blocks run in order in one namespace and must print exactly the `text` block that
follows them; shell blocks of the Examples section run with bash and curl.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
DOC_BASE_URL = "http://127.0.0.1:8000"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(text: str) -> list[tuple[str, str]]:
    """The fenced code blocks of a Markdown text, as (language, code)."""
    return [(language, code) for language, code in BLOCK.findall(text)]


def examples_section() -> str:
    return DOC.read_text().split("\n## Examples\n", 1)[1]


def test_the_examples_section_has_curl_and_python_for_lookup_and_identify():
    section = examples_section()
    shells = " ".join(code for language, code in blocks(section) if language == "sh")
    pythons = " ".join(code for language, code in blocks(section) if language == "python")
    for endpoint in ("/api/v1/lookup/", "/api/v1/identify/"):
        assert endpoint in shells
        assert endpoint in pythons


def test_python_examples_print_what_the_doc_shows(live_portal):
    found = blocks(examples_section())
    namespace: dict = {}
    ran = 0
    for (language, code), following in zip(found, [*found[1:], ("", "")], strict=True):
        if language != "python":
            continue
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            exec(code.replace(DOC_BASE_URL, live_portal), namespace)
        assert following[0] == "text", "every Python example is followed by its output"
        assert output.getvalue() == following[1].replace(DOC_BASE_URL, live_portal)
        ran += 1
    assert ran == 3


@pytest.mark.skipif(shutil.which("curl") is None, reason="the shell examples need curl")
def test_curl_examples_answer_json_results(live_portal):
    shell_blocks = [code for language, code in blocks(examples_section()) if language == "sh"]
    setup, examples = shell_blocks[0], shell_blocks[1:]
    assert examples
    for code in examples:
        script = (setup + code).replace(DOC_BASE_URL, live_portal)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        assert '"results":[{' in result.stdout, result.stdout
        assert "problem" not in result.stdout


def test_the_reference_carries_the_portal_header_and_a_way_back(client, db):
    html = client.get("/api/docs/").content.decode()
    assert 'class="portal-header"' in html and 'href="/"' in html


def test_the_reference_shows_public_reads_without_a_lock(client, db):
    url = "/api/v1/schema/?for=docs"
    schema = client.get(url, HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "security" not in schema["paths"]["/api/v1/lookup/"]["get"]
    assert schema["paths"]["/api/v1/services/{slug}/catalog/"]["put"]["security"]
