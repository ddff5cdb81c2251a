"""The identify endpoints: one raw error response (wrapped, bare, or as text) or a batch
of them -> the entries each most likely is, with a threshold that says when none is."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers as drf
from rest_framework.request import Request
from rest_framework.response import Response

from errors import identify as identification
from errors import lookup
from errors.api import serializers
from errors.api.exceptions import Problem, validation_detail
from errors.api.params import no_service
from errors.api.parsers import ApiJsonParser, IdentifyHtmlParser, IdentifyTextParser
from errors.api.schema import COMMON_PROBLEMS, problems
from errors.api.views import ApiView

IDENTIFY_MAX_BYTES = 64 * 1024
BATCH_MAX_BYTES = 2 * 1024 * 1024  # under Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
BATCH_MAX_RESPONSES = 1000
# The keys of the wrapper form ({"body": ..., "status": ...}); any other object is a bare body.
WRAPPER_KEYS = frozenset({"body", "status", "headers", "service"})


def _check_size(request: Request, limit: int, fix: str) -> None:
    """Refuse a request over `limit` bytes, by its Content-Length before reading it."""
    size = int(request.META.get("CONTENT_LENGTH") or 0)
    if size <= limit:
        size = len(request.body)
    if size > limit:
        raise Problem(
            "body_too_large",
            f"The request is {size} bytes: this endpoint reads at most {limit} "
            f"({limit // 1024} KiB); {fix}.",
        )


def _is_wrapper(data: Any) -> bool:
    return isinstance(data, dict) and "body" in data and set(data) <= WRAPPER_KEYS


def _misspelt_body(data: Any) -> str:
    """The key of a wrapper whose `body` is misspelt (`{"status": 401, "bdy": {...}}`,
    every other key the wrapper's): read as a bare body, it would be answered by its
    status alone, with confidence. '' for anything else."""
    if not isinstance(data, dict) or "body" in data:
        return ""
    others = [key for key in data if key not in WRAPPER_KEYS]
    if "status" not in data or len(others) != 1:
        return ""
    return others[0] if get_close_matches(others[0], ["body"], n=1, cutoff=0.75) else ""


def _read_one(data: Any, defaults: dict[str, Any]) -> identification.Seen:
    """One response, from the wrapper form or a bare body (status and service then come
    from the query string); a ValidationError names what to fix."""
    misspelt = _misspelt_body(data)
    if misspelt:
        raise drf.ValidationError(
            {
                misspelt: [
                    'did you mean \'body\'? The wrapper is {"status", "headers", '
                    '"body", "service"}; an error body on its own is sent as it is.'
                ]
            }
        )
    wrapped = data if _is_wrapper(data) else {**defaults, "body": data}
    given = serializers.IdentifyRequestSerializer(data=wrapped)
    if not given.is_valid():
        raise drf.ValidationError(given.errors)
    fields = given.validated_data
    body = fields["body"]
    content_type = fields.get("headers", {}).get("content-type", "")
    if isinstance(body, str) and content_type and "json" not in content_type:
        body = identification.PlainText(body)
    return identification.Seen(body, fields.get("status"), fields.get("service") or None)


def _query_defaults(request: Request) -> dict[str, Any]:
    return {
        name: request.query_params[name]
        for name in ("status", "service")
        if name in request.query_params
    }


def _answer(found: list[identification.Identification], request: Request) -> dict[str, Any]:
    strong, weak = identification.confident(found)
    context = {"request": request}
    return {
        "match": "confident" if strong else "none",
        "threshold": identification.CONFIDENT,
        "results": serializers.IdentifiedEntrySerializer(strong, many=True, context=context).data,
        "weak": serializers.IdentifiedEntrySerializer(weak, many=True, context=context).data,
    }


class IdentifyView(ApiView):
    parser_classes = [ApiJsonParser, IdentifyTextParser, IdentifyHtmlParser]
    query_parameters = frozenset({"status", "service"})

    @extend_schema(
        operation_id="identify",
        summary="Which entries a raw error response is, best first",
        # The wrapper form is documented; a bare body (any JSON value) and text are taken
        # too, so what the schema admits is what the endpoint reads.
        request={
            "application/json": {
                "anyOf": [
                    {
                        "type": "object",
                        "description": "The wrapper form.",
                        "required": ["body"],
                        "properties": {
                            "body": {"description": "The error body: a JSON value or text."},
                            "status": {"type": "integer", "minimum": 100, "maximum": 599},
                            "headers": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                            "service": {"type": "string"},
                        },
                    },
                    {
                        "description": "A bare error body: any JSON value; status and service "
                        "then come from the query string."
                    },
                ]
            },
            # Text is read as it comes (whatever it holds), so no type is stated; only an
            # empty body is refused.
            "text/plain": {"minLength": 1, "description": "The body as text."},
            "text/html": {"minLength": 1, "description": "An HTML error page."},
        },
        responses={
            200: serializers.IdentifyResponseSerializer,
            **problems(400, 404, 413, 415, *COMMON_PROBLEMS),
        },
        examples=[
            OpenApiExample(
                "A body without a code field",
                request_only=True,
                value={
                    "status": 400,
                    "body": {
                        "error": "Bad Request",
                        "message": "weight must be between 0 and 1",
                        "status": 400,
                    },
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        _check_size(request, IDENTIFY_MAX_BYTES, "send the first 64 KiB of the body")
        if not request.body:
            raise Problem(
                "invalid_parameter",
                "The request has no body: send the error response's body as it is (JSON or "
                'text), or {"status": 429, "body": ...}.',
            )
        data = request.data
        defaults = _query_defaults(request)
        if isinstance(data, str):  # text/plain: the body itself, read as text
            data = {**defaults, "body": data, "headers": {"content-type": "text/plain"}}
        (found,) = identification.identify_many([_read_one(data, defaults)], user=request.user)
        if isinstance(found, lookup.UnknownService):
            raise Problem("unknown_service", no_service(found.args[0]))
        return Response(_answer(found, request))


class IdentifyBatchView(ApiView):
    @extend_schema(
        operation_id="identify_batch",
        summary=f"Identify up to {BATCH_MAX_RESPONSES} responses at once, one answer each",
        request=serializers.IdentifyBatchRequestSerializer,
        responses={
            200: serializers.IdentifyBatchResponseSerializer,
            **problems(400, 413, 415, *COMMON_PROBLEMS),
        },
    )
    def post(self, request: Request) -> Response:
        _check_size(request, BATCH_MAX_BYTES, "split the batch, or cut each body to 2 KiB")
        responses = request.data.get("responses") if isinstance(request.data, dict) else None
        if not isinstance(responses, list):
            raise Problem(
                "invalid_parameter",
                'Send {"responses": [...]}: a list of responses, each a body or '
                '{"status", "headers", "body", "service"}.',
            )
        if len(responses) > BATCH_MAX_RESPONSES:
            raise Problem(
                "invalid_parameter",
                f"The batch has {len(responses)} responses: send at most "
                f"{BATCH_MAX_RESPONSES} per request.",
            )
        # A bad response is rejected alone, by its index: the others are answered.
        seen: dict[int, identification.Seen] = {}
        rejected: list[dict[str, Any]] = []
        for index, item in enumerate(responses):
            try:
                seen[index] = _read_one(item, {})
            except drf.ValidationError as exc:
                detail = validation_detail(exc.detail)
                rejected.append({"index": index, "code": "invalid_parameter", "detail": detail})
        found = identification.identify_many(list(seen.values()), user=request.user)
        results: list[dict[str, Any] | None] = [None] * len(responses)
        for index, answer in zip(seen, found, strict=True):
            if isinstance(answer, lookup.UnknownService):
                detail = no_service(answer.args[0])
                rejected.append({"index": index, "code": "unknown_service", "detail": detail})
            else:
                results[index] = _answer(answer, request)
        rejected.sort(key=lambda item: item["index"])
        return Response({"results": results, "rejected": rejected})
