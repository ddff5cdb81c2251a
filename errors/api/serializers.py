"""What the API says about services and error codes, and the shapes it accepts.

Entries are read-only here: the catalog changes through catalog files (`PUT
services/<slug>/catalog/`) and the admin, never field by field.
"""

from __future__ import annotations

import functools
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from errors.code_rows import ServiceLinks
from errors.models import ErrorCode

MAX_IDENTIFY_HEADERS = 100


# What a status out of range or not a number gets: the query parameters' wording, not
# DRF's "Ensure this value is less than or equal to 599."
HTTP_STATUS_ERRORS: dict[str, Any] = {
    key: "must be a number from 100 to 599 (an HTTP status)."
    for key in ("invalid", "min_value", "max_value", "max_string_length")
}


class CategoryRefSerializer(serializers.Serializer):
    """A category as entries name it."""

    slug = serializers.CharField()
    name = serializers.CharField()


class CategorySerializer(CategoryRefSerializer):
    """A category of a service, in the order its page shows them."""

    description = serializers.CharField()


class AbsoluteUrlField(serializers.Field):
    """The absolute URL of the object's page, built from the request."""

    def __init__(self, **kwargs: Any):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        request: Request = self.context["request"]
        return request.build_absolute_uri(value.get_absolute_url())


extend_schema_field({"type": "string", "format": "uri"})(AbsoluteUrlField)


class ErrorEntrySerializer(serializers.Serializer):
    """An entry as every answer lists it: enough to branch on and to link to its page."""

    service = serializers.SlugField(source="service.slug", help_text="The service's slug.")
    code = serializers.CharField()
    http_status = serializers.IntegerField(
        allow_null=True, min_value=100, max_value=599, error_messages=HTTP_STATUS_ERRORS
    )
    title = serializers.CharField()
    summary = serializers.CharField()
    category = CategoryRefSerializer(allow_null=True)
    retry = serializers.ChoiceField(
        choices=ErrorCode.Retry.choices,
        help_text='"not_stated" when the service\'s documentation gives no retry rule.',
    )
    retry_delay_from = serializers.CharField(
        help_text='Where a retry\'s delay comes from: "header:Retry-After", '
        '"body:/details/retry_after" (a JSON pointer), or "".'
    )
    lifecycle = serializers.ChoiceField(choices=ErrorCode.Lifecycle.choices)
    lifecycle_since = serializers.CharField()
    replaced_by = serializers.CharField(
        source="replaced_by.code", allow_null=True, help_text="The code to use instead."
    )
    aliases = serializers.ListField(child=serializers.CharField())
    tags = serializers.ListField(child=serializers.CharField())
    html_url = AbsoluteUrlField(help_text="The entry's page in the portal, for people.")


class EntryValues:
    """What ErrorEntrySerializer answers for an entry, built from its values directly.

    DRF walks its fields one by one (a lookup of the source, a conversion, a reverse()
    for the URL): about half a millisecond an entry, most of a search answer's time when
    it lists 20 or more. The lists of entries (search, lookup, identify) use this;
    ErrorEntrySerializer still declares the shape for the schema, and
    tests/test_api_entries.py checks that both give the same answer for every entry.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self._links = ServiceLinks()

    def __call__(self, error: ErrorCode) -> dict[str, Any]:
        service = error.service
        links = self._links.of(service)
        category = error.category
        replaced_by = error.replaced_by if error.replaced_by_id is not None else None
        return {
            "service": service.slug,
            "code": error.code,
            "http_status": error.http_status,
            "title": error.title,
            "summary": error.summary,
            "category": None
            if category is None
            else {"slug": category.slug, "name": category.name},
            "retry": error.retry,
            "retry_delay_from": error.retry_delay_from,
            "lifecycle": error.lifecycle,
            "lifecycle_since": error.lifecycle_since,
            "replaced_by": None if replaced_by is None else replaced_by.code,
            "aliases": [str(alias) for alias in error.aliases],
            "tags": [str(tag) for tag in error.tags],
            "html_url": self.request.build_absolute_uri(links.code(error)),
        }


class ExampleSerializer(serializers.Serializer):
    """An example body or code sample of an entry."""

    title = serializers.CharField()
    description = serializers.CharField()
    language = serializers.CharField()
    body = serializers.CharField()


class OperationSerializer(serializers.Serializer):
    """An operation documented to answer a code, as its OpenAPI spec names it."""

    method = serializers.CharField(help_text="Upper case: GET, POST, ...")
    path = serializers.CharField(help_text="The path template, e.g. /v1/orders/{id}.")


class ErrorDetailSerializer(ErrorEntrySerializer):
    """One entry with everything its page shows."""

    description = serializers.CharField(help_text="Markdown.")
    description_html = serializers.CharField(help_text="The description, as sanitised HTML.")
    resolution = serializers.CharField(help_text="Markdown: what the caller should do.")
    resolution_html = serializers.CharField()
    details_shape = serializers.CharField()
    messages = serializers.ListField(child=serializers.CharField())
    examples = ExampleSerializer(many=True)
    operations = OperationSerializer(many=True)
    published = serializers.BooleanField()
    updated_at = serializers.DateTimeField()


class IdentifiedEntrySerializer(ErrorEntrySerializer):
    """An entry identify matched, with how sure it is and why."""

    confidence = serializers.FloatField(min_value=0, max_value=1)
    reason = serializers.CharField()

    @functools.cached_property
    def entry(self) -> EntryValues:
        """One entry builder for every item (see EntryValues)."""
        return EntryValues(self.context["request"])

    def to_representation(self, instance: Any) -> dict[str, Any]:
        # `instance` is an errors.identify.Identification: the entry plus two members.
        data = self.entry(instance.error)
        data["confidence"] = instance.confidence
        data["reason"] = instance.reason
        return data


class RankedEntrySerializer(ErrorEntrySerializer):
    """A search or lookup result (issue 15): the entry, how well it matched and why, and
    what to do about it."""

    score = serializers.FloatField(
        help_text="Search: the code tier (1000 exact code, 900 alias, 700 code prefix, 400 "
        "code contains, 300-400 misspelt code) plus under 100 of text relevance. Lookup: 1 "
        "the code as spelt, 0.95 another spelling, 0.9 an alias."
    )
    reason = serializers.CharField(
        help_text="exact code, code (another spelling), alias, code prefix, code contains, "
        "misspelt code, message or words."
    )
    resolution = serializers.CharField(help_text="Markdown: what the caller should do.")

    @functools.cached_property
    def entry(self) -> EntryValues:
        """One entry builder for every item (see EntryValues)."""
        return EntryValues(self.context["request"])

    def to_representation(self, instance: Any) -> dict[str, Any]:
        # `instance` is a SearchHit or a lookup.CodeMatch: the entry, a score, a reason.
        data = self.entry(instance.error)
        data["score"] = instance.score
        data["reason"] = instance.reason
        data["resolution"] = instance.error.resolution
        return data


class EnvelopeFieldSerializer(serializers.Serializer):
    """One documented field of a service's error body."""

    name = serializers.CharField()
    type = serializers.CharField(required=False)
    description = serializers.CharField(required=False)


class EnvelopeSerializer(serializers.Serializer):
    """How a service's error bodies look, and where the code, message, ... sit in them."""

    example = serializers.CharField(source="envelope_example")
    # Serializer has a `fields` of its own; a declared field of that name still works.
    fields = EnvelopeFieldSerializer(source="envelope_fields", many=True)  # type: ignore[assignment]
    code_pointer = serializers.CharField()
    message_pointer = serializers.CharField()
    details_pointer = serializers.CharField()
    request_id_pointer = serializers.CharField()
    status_pointer = serializers.CharField()
    status_only = serializers.BooleanField(
        source="is_status_only", help_text="True when clients tell errors apart by status."
    )


class ServiceSerializer(serializers.Serializer):
    """A service with its envelope, categories and how many codes it documents."""

    slug = serializers.SlugField()
    name = serializers.CharField()
    summary = serializers.CharField()
    error_count = serializers.IntegerField(
        source="code_count", help_text="Codes visible to the caller."
    )
    envelope = EnvelopeSerializer(source="*")
    categories = CategorySerializer(many=True)
    html_url = AbsoluteUrlField()


class ServiceDetailSerializer(ServiceSerializer):
    """A service with its prose too."""

    description = serializers.CharField(help_text="Markdown.")
    description_html = serializers.CharField()
    owner_team = serializers.CharField()
    contact = serializers.CharField()
    base_url = serializers.CharField()
    code_pattern = serializers.CharField()
    stability = serializers.CharField(help_text="Markdown.")
    stability_html = serializers.CharField()


@extend_schema_field({"type": "string"})
class HeaderValueField(serializers.Field):
    """A header value as sent: any text (identify only reads Content-Type)."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError("Send every header value as a string.")
        return data

    def to_representation(self, value: str) -> str:
        return value


class IdentifyRequestSerializer(serializers.Serializer):
    """What a tool saw: a status, headers and a body, and maybe which service sent it."""

    status = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=100,
        max_value=599,
        error_messages=HTTP_STATUS_ERRORS,
    )
    headers = serializers.DictField(
        child=HeaderValueField(),
        required=False,
        help_text="Response headers; Content-Type decides whether a string body is JSON.",
    )
    body = serializers.JSONField(
        allow_null=True,
        help_text="The response body: a JSON value, or the raw text as a string.",
    )
    service = serializers.SlugField(
        required=False, allow_blank=True, help_text="Only consider this service's codes."
    )

    def validate_headers(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > MAX_IDENTIFY_HEADERS:
            raise serializers.ValidationError(
                f"Send at most {MAX_IDENTIFY_HEADERS} headers: only Content-Type is read."
            )
        return {name.lower(): text for name, text in value.items()}


class IdentifyResponseSerializer(serializers.Serializer):
    """Identify's answer: the candidates at or above the threshold, and the weak ones."""

    match = serializers.ChoiceField(
        choices=["confident", "none"],
        help_text="`none` when no candidate reaches `threshold`: `results` is then empty.",
    )
    threshold = serializers.FloatField(help_text="The confidence a candidate needs.")
    results = IdentifiedEntrySerializer(many=True)
    weak = IdentifiedEntrySerializer(many=True, help_text="Candidates below the threshold.")


class IdentifyBatchRequestSerializer(serializers.Serializer):
    """Up to 1,000 responses, each a bare body or the identify request form."""

    responses = serializers.ListField(
        child=serializers.JSONField(),
        max_length=1000,
        help_text="Up to 1,000 responses, each a body or {status, headers, body, service}. A "
        "bad one is answered null and listed in `rejected` with its index; the others are "
        "answered.",
    )


# Why a response of a batch was rejected (named RejectedCode in the schema).
REJECTED_CODES = ["invalid_parameter", "unknown_service"]


class RejectedResponseSerializer(serializers.Serializer):
    """A response of a batch that could not be identified, and why."""

    index = serializers.IntegerField(help_text="Its place in `responses`, from 0.")
    code = serializers.ChoiceField(
        choices=REJECTED_CODES,
        help_text="What was wrong: a field of the response, or the service it names.",
    )
    detail = serializers.CharField(help_text="What to fix.")


@extend_schema_field(IdentifyResponseSerializer(allow_null=True))
class IdentifyAnswerField(serializers.JSONField):
    """One identify answer, or null for a response rejected (drf-spectacular leaves out a
    list's nullable serializer items, but not a field's)."""


class IdentifyBatchResponseSerializer(serializers.Serializer):
    """One identify answer per response, in order; a bad response is rejected alone."""

    results = serializers.ListField(
        child=IdentifyAnswerField(),
        help_text="One answer per response, in order: null where the response was rejected.",
    )
    rejected = RejectedResponseSerializer(
        many=True, help_text="The responses that could not be identified, in index order."
    )


class PageSerializer(serializers.Serializer):
    """A page of search results."""

    count = serializers.IntegerField()
    count_is_lower_bound = serializers.BooleanField(
        help_text="True when more entries match than search counts (1,000): "
        "count is then the least there are."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RankedEntrySerializer(many=True)


class LookupResponseSerializer(serializers.Serializer):
    """Every entry with the looked-up code or alias."""

    count = serializers.IntegerField()
    results = RankedEntrySerializer(many=True)
    suggestions = ErrorEntrySerializer(
        many=True, help_text="When nothing has the code: the codes spelt most like it."
    )


class ServiceListSerializer(serializers.Serializer):
    """Every service."""

    count = serializers.IntegerField()
    results = ServiceSerializer(many=True)


class ServiceChangesSerializer(serializers.Serializer):
    """What publishing a catalog did (or, with dry_run, would do)."""

    service = serializers.SlugField()
    created = serializers.BooleanField()
    service_changed = serializers.BooleanField()
    added = serializers.ListField(child=serializers.CharField())
    changed = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())
    unchanged = serializers.IntegerField()
    categories_changed = serializers.BooleanField()
    guides_changed = serializers.BooleanField()
    dry_run = serializers.BooleanField()


class ProblemItemSerializer(serializers.Serializer):
    """One thing to fix: a catalog problem or an invalid field."""

    place = serializers.CharField()
    message = serializers.CharField()
    file = serializers.CharField(required=False)
    line = serializers.IntegerField(required=False, allow_null=True)


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every error of this API is sent."""

    type = serializers.URLField(help_text="The page of this code in the portal catalog.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What went wrong and what to change.")
    code = serializers.CharField(help_text="The stable code to branch on.")
    request_id = serializers.CharField(help_text="Also sent as the X-Request-ID header.")
    errors = ProblemItemSerializer(many=True, required=False)  # type: ignore[assignment]
