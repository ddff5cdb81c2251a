"""Generated error constants: naming rules, the API endpoint, the command, the service page.

tests/test_clients_compile.py compiles what is generated, in each language."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from errors.clients import LANGUAGES, UnknownLanguage, generate_client
from errors.clients.naming import (
    GO_INITIALISMS,
    Namer,
    package_name,
    pascal,
    type_name,
    upper_snake,
    words,
)
from errors.clients.source import RETRY_RULES, client_catalog, lookup_keys
from errors.models import ErrorCode, Service
from tests.client_catalogs import import_odd


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("API_KEY_REVOKED", ["API", "KEY", "REVOKED"]),
        ("api-key-revoked", ["api", "key", "revoked"]),
        ("ApiKeyRevoked", ["Api", "Key", "Revoked"]),
        ("HTTPError", ["HTTP", "Error"]),
        ("über fehler", ["uber", "fehler"]),
        ("404", ["404"]),
        ("!!!", []),
    ],
)
def test_words_split_every_spelling(code, expected):
    assert words(code) == expected


def test_styles():
    assert upper_snake("PipelineTimeout") == "PIPELINE_TIMEOUT"
    assert pascal("api_key_revoked") == "ApiKeyRevoked"
    assert pascal("api_key_revoked", GO_INITIALISMS) == "APIKeyRevoked"
    assert type_name("elder-signals") == "ElderSignals"
    assert type_name("3d-print") == "Service3DPrint"
    assert package_name("elder-signals") == "eldersignals"


def test_namer_prefixes_digits_avoids_reserved_names_and_numbers_repeats():
    namer = Namer(upper_snake, reserved={"ALL"}, prefix="CODE_", suffix="_")
    assert namer.name("404") == "CODE_404"
    assert namer.name("all") == "ALL_"
    assert namer.name("RATE_LIMITED") == "RATE_LIMITED"
    assert namer.name("rate-limited") == "RATE_LIMITED_2"
    assert namer.name("!!!").startswith("CODE_")
    assert namer.name("!!!") != namer.name("???")


def test_the_retry_rules_keep_not_stated_apart_from_never():
    assert RETRY_RULES[0] == "not_stated"
    assert "never" in RETRY_RULES
    assert len(set(RETRY_RULES)) == len(RETRY_RULES)


def test_lookup_keys_follow_the_portals_rule(db):
    import_odd()
    catalog = client_catalog(Service.objects.get(slug="3d-print"), "http://portal.test")
    keys = lookup_keys(catalog)
    assert keys["ratelimited"].code == "rate-limited"
    assert keys["toomany"].code == "rate-limited"  # an alias
    assert "draftone" not in keys  # drafts are not published
    old = next(entry for entry in catalog.entries if entry.code == "OldThing")
    assert old.is_deprecated
    assert old.replaced_by == "rate-limited"
    assert old.html_url == "http://portal.test/services/3d-print/errors/OldThing/"


def test_generation_is_stable_and_names_every_code(demo, django_assert_num_queries):
    service = Service.objects.get(slug="sigsentry")
    with django_assert_num_queries(1):  # the published codes with their replacements
        first = generate_client(service, "go", "http://portal.test")
    assert generate_client(service, "go", "http://portal.test") == first
    assert first.filename == "sigsentryerrors/sigsentryerrors.go"
    for code in service.errors.values_list("code", flat=True):
        assert f'Code: "{code}"' in first.text


def test_an_unknown_language_is_named_with_the_choices(demo):
    with pytest.raises(UnknownLanguage, match="python, typescript, go, java"):
        generate_client(Service.objects.get(slug="aisafe"), "cobol", "http://portal.test")


# --------------------------------------------------------------------------- the API


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_api_answers_the_source_as_text(api, demo, language, django_assert_num_queries):
    # the catalog version, the service, its published codes
    with django_assert_num_queries(3):
        response = api.get(f"/api/v1/services/sigsentry/clients/{language}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "RATE_LIMITED" in response.content.decode() or "RateLimited" in response.content.decode()
    assert "http://testserver/services/sigsentry/errors/RATE_LIMITED/" in response.content.decode()
    assert response["Content-Disposition"].startswith("inline; filename=")
    assert response["ETag"].startswith('W/"')


def test_api_source_answers_any_accept_and_304_for_the_same_catalog(
    api, demo, django_assert_num_queries
):
    url = "/api/v1/services/aisafe/clients/java/"
    response = api.get(url, HTTP_ACCEPT="text/x-java-source")
    assert response.status_code == 200
    assert response["X-Portal-Source-Path"] == "portal/errors/aisafe/AisafeError.java"
    with django_assert_num_queries(1):  # the catalog version only
        again = api.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    ErrorCode.objects.filter(service__slug="aisafe", code="404").update(title="Gone missing")
    changed = api.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200
    assert "Gone missing" in changed.content.decode()


def test_api_source_problems(api, demo):
    unknown = api.get("/api/v1/services/aisafe/clients/cobol/")
    assert unknown.status_code == 404
    assert "python, typescript, go, java" in unknown.json()["detail"]
    missing = api.get("/api/v1/services/nope/clients/go/")
    assert missing.status_code == 404
    assert "GET /api/v1/services/" in missing.json()["detail"]


def test_api_source_leaves_drafts_out(api, db):
    import_odd()
    text = api.get("/api/v1/services/3d-print/clients/typescript/").content.decode()
    assert "DRAFT_ONE" not in text
    assert "@deprecated OldThing is deprecated: use RATE_LIMITED (rate-limited) instead." in text


# --------------------------------------------------------------------------- the command


def test_command_writes_a_folder_per_language(demo, tmp_path):
    out = StringIO()
    call_command(
        "generate_clients", "--service", "sigsentry", "--language", "go", "--language", "java",
        "-o", str(tmp_path), "--base-url", "https://errors.example.com", stdout=out,
    )  # fmt: skip
    go_file = tmp_path / "go/sigsentryerrors/sigsentryerrors.go"
    assert go_file.exists()
    assert (tmp_path / "java/portal/errors/sigsentry/SigsentryError.java").exists()
    assert "https://errors.example.com/services/sigsentry/errors/" in go_file.read_text()
    assert str(go_file) in out.getvalue()


def test_command_prints_one_file_and_refuses_bad_input(demo):
    out = StringIO()
    call_command("generate_clients", "--service", "aisafe", "--language", "python", stdout=out)
    assert "EMAIL_NOT_VERIFIED: Final = ErrorCode(" in out.getvalue()
    with pytest.raises(CommandError, match="choose one of"):
        call_command("generate_clients", "--service", "aisafe", "--language", "cobol")
    with pytest.raises(CommandError, match="pass -o DIR"):
        call_command("generate_clients", "--language", "python")
    with pytest.raises(CommandError, match="Known services"):
        call_command("generate_clients", "--service", "nope", "--language", "go")
    with pytest.raises(CommandError, match="--base-url must start with"):
        call_command("generate_clients", "--service", "aisafe", "--base-url", "portal")


# --------------------------------------------------------------------------- the page


def test_the_service_page_links_each_language(client, demo):
    html = client.get("/services/sigsentry/").content.decode()
    for language in LANGUAGES:
        assert f'href="/api/v1/services/sigsentry/clients/{language}/"' in html
