"""The entries the API lists (search, lookup, identify) are built from their values
(errors.api.serializers.EntryValues): they must be what ErrorEntrySerializer, which
declares their shape in the schema, would answer."""

from __future__ import annotations

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from errors.api.serializers import EntryValues, ErrorEntrySerializer
from errors.models import ErrorCode, Service
from tests.factories import make_code

pytestmark = pytest.mark.django_db


def entries() -> list[ErrorCode]:
    return list(ErrorCode.objects.select_related("service", "category", "replaced_by"))


def test_every_demo_entry_is_answered_as_the_serializer_would(demo):
    request = Request(APIRequestFactory().get("/api/v1/errors/", secure=True))
    build = EntryValues(request)
    for error in entries():
        expected = ErrorEntrySerializer(error, context={"request": request}).data
        assert build(error) == expected, error


def test_odd_codes_and_replacements_are_answered_as_the_serializer_would(shop):
    other = Service.objects.create(slug="other", name="Other", code_pointer="/code")
    new = make_code(shop, "NEW_NAME")
    make_code(
        shop,
        "OLD NAME é%20",
        replaced_by=new,
        lifecycle="deprecated",
        lifecycle_since="2026-01",
        aliases=["Legacy-1", "legacy 2"],
        tags=["a", "b"],
    )
    make_code(other, "café:ü+x", http_status=None, retry="backoff")
    request = Request(APIRequestFactory().get("/api/v1/lookup/"))
    build = EntryValues(request)
    for error in entries():
        expected = ErrorEntrySerializer(error, context={"request": request}).data
        assert build(error) == expected, error
