"""The model's rules: uniqueness, ranges, derived fields."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from errors.codes import code_key, reason_phrase
from errors.models import Category, ErrorCode, Service

pytestmark = pytest.mark.django_db


def test_code_is_unique_per_service_ignoring_case(shop):
    ErrorCode.objects.create(service=shop, code="NOT_FOUND", title="Not found")
    with pytest.raises(IntegrityError):
        ErrorCode.objects.create(service=shop, code="not_found", title="Not found")


def test_same_code_in_two_services_is_fine(shop):
    other = Service.objects.create(slug="other", name="Other")
    ErrorCode.objects.create(service=shop, code="NOT_FOUND", title="x")
    ErrorCode.objects.create(service=other, code="NOT_FOUND", title="x")
    assert ErrorCode.objects.count() == 2


def test_full_clean_reports_case_insensitive_duplicate(shop):
    ErrorCode.objects.create(service=shop, code="NOT_FOUND", title="x")
    with pytest.raises(ValidationError, match="already has this code"):
        ErrorCode(service=shop, code="Not_Found", title="x").full_clean()


def test_status_out_of_range_is_refused_by_validation(shop):
    with pytest.raises(ValidationError) as caught:
        ErrorCode(service=shop, code="X", title="x", http_status=700).full_clean()
    assert "http_status" in caught.value.message_dict


def test_status_out_of_range_is_refused_by_database(shop):
    with pytest.raises(IntegrityError):
        ErrorCode.objects.create(service=shop, code="X", title="x", http_status=99)


def test_status_is_optional(shop):
    entry = ErrorCode(service=shop, code="42P01", title="undefined_table")
    entry.full_clean()
    entry.save()
    assert ErrorCode.objects.get(code="42P01").http_status is None


def test_category_must_belong_to_same_service(shop):
    other = Service.objects.create(slug="other", name="Other")
    category = Category.objects.create(service=other, slug="auth", name="Auth")
    with pytest.raises(ValidationError, match="own service"):
        ErrorCode(service=shop, code="X", title="x", category=category).full_clean()


def test_replacement_must_belong_to_same_service(shop):
    other = Service.objects.create(slug="other", name="Other")
    target = ErrorCode.objects.create(service=other, code="NEW", title="x")
    with pytest.raises(ValidationError, match="same service"):
        ErrorCode(service=shop, code="OLD", title="x", replaced_by=target).full_clean()


def test_code_pattern_is_enforced(shop):
    shop.code_pattern = r"^[A-Z][A-Z0-9_]*$"
    shop.save()
    with pytest.raises(ValidationError, match="code pattern"):
        ErrorCode(service=shop, code="lower", title="x").full_clean()


def test_invalid_json_pointer_is_refused():
    with pytest.raises(ValidationError, match="JSON pointer"):
        Service(slug="s", name="S", code_pointer="error.code").full_clean()


def test_markdown_is_rendered_on_save(shop):
    entry = ErrorCode.objects.create(
        service=shop, code="X", title="x", resolution="Send `Authorization`"
    )
    assert entry.resolution_html == "<p>Send <code>Authorization</code></p>"
    assert entry.code_key == "x"


def test_new_code_starts_as_draft(shop):
    entry = ErrorCode.objects.create(service=shop, code="X", title="x")
    assert not entry.published
    assert list(ErrorCode.objects.published()) == []


def test_status_only_service(shop):
    assert not shop.is_status_only
    assert Service(slug="a", name="A").is_status_only


@pytest.mark.parametrize(
    ("code", "key"),
    [("PipelineTimeout", "pipelinetimeout"), ("pipeline_timeout", "pipelinetimeout"),
     ("Pipeline-Timeout", "pipelinetimeout"), ("RATE LIMITED", "ratelimited")],
)  # fmt: skip
def test_code_key_ignores_case_and_separators(code, key):
    assert code_key(code) == key


def test_reason_phrase():
    assert reason_phrase(404) == "Not Found"
    assert reason_phrase(None) == ""
    assert reason_phrase(599) == ""
