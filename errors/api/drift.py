"""The drift's API: observations in (POST /observations/), a service's drift out
(GET /services/<slug>/drift/). Both call errors.drift, as the page and the commands do."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from errors.api.exceptions import Problem
from errors.api.params import service_or_404
from errors.api.permissions import CanReportObservations
from errors.api.schema import COMMON_PROBLEMS, problems
from errors.api.views import ApiView
from errors.drift.ingest import MAX_BATCH, InvalidBatch, ingest_batch
from errors.drift.report import (
    API_WINDOW_PATTERN,
    DEFAULT_WINDOW,
    InvalidWindow,
    drift_report,
    window_days,
)

# A full batch of bodies near identify's 64 KiB each would be 64 MB; this is plenty for
# 1,000 real error bodies and keeps one request's memory bounded.
MAX_REQUEST_BYTES = 16 * 1024 * 1024


def _rows(name: str, **fields: serializers.Field) -> serializers.Serializer:
    return inline_serializer(name, fields, many=True)


ACCEPTED = inline_serializer(
    "ObservationsAccepted",
    {
        "accepted": serializers.IntegerField(),
        "matched": serializers.IntegerField(),
        "unmatched": serializers.IntegerField(),
        "rejected": inline_serializer(
            "RejectedObservation",
            {"index": serializers.IntegerField(), "detail": serializers.CharField()},
            many=True,
        ),
    },
)
DRIFT = inline_serializer(
    "Drift",
    {
        "service": serializers.CharField(),
        "window": inline_serializer(
            "DriftWindow", {"from": serializers.DateTimeField(), "to": serializers.DateTimeField()}
        ),
        "observed": serializers.IntegerField(),
        "undocumented": _rows(
            "DriftUndocumented",
            fingerprint=serializers.CharField(),
            status=serializers.IntegerField(),
            code=serializers.CharField(help_text="The body's code field; empty when none."),
            message=serializers.CharField(help_text="The message with its values removed."),
            count=serializers.IntegerField(),
            first_seen=serializers.DateTimeField(),
            last_seen=serializers.DateTimeField(),
            sample=serializers.JSONField(help_text="A body with every value replaced."),
        ),
        "never_seen": _rows(
            "DriftNeverSeen",
            code=serializers.CharField(),
            http_status=serializers.IntegerField(allow_null=True),
            html_url=serializers.URLField(),
        ),
        "status_mismatch": _rows(
            "DriftStatusMismatch",
            code=serializers.CharField(),
            documented_status=serializers.IntegerField(),
            observed_status=serializers.IntegerField(),
            count=serializers.IntegerField(),
        ),
        "retired_in_use": _rows(
            "DriftRetiredInUse",
            code=serializers.CharField(),
            lifecycle=serializers.CharField(),
            count=serializers.IntegerField(),
            last_seen=serializers.DateTimeField(),
        ),
        "message_drift": _rows(
            "DriftMessage",
            code=serializers.CharField(),
            message=serializers.CharField(),
            count=serializers.IntegerField(),
        ),
    },
)


class ObservationsView(ApiView):
    """Error responses seen by a gateway, log pipeline or contract test."""

    permission_classes = [CanReportObservations]

    @extend_schema(
        operation_id="report_observations",
        summary="Report error responses seen in traffic (at most 1,000 a request)",
        # Each item is checked on its own (a bad one is rejected by index, the rest kept), so
        # the request's schema takes any items and its description says what a good one holds.
        request=inline_serializer(
            "Observations",
            {
                "observations": serializers.ListField(
                    child=serializers.JSONField(),
                    max_length=1000,
                    help_text="Up to 1,000 observations, each an object: status (100-599, "
                    "required), and optionally service, body (a JSON value or the raw text), "
                    "headers, method, path, seen_at (default now) and count (default 1). A bad "
                    "item is answered in `rejected` with its index; the others are kept.",
                )
            },
        ),
        responses={202: ACCEPTED, **problems(400, 413, 415, *COMMON_PROBLEMS)},
        examples=[
            OpenApiExample(
                "One rate-limit response",
                request_only=True,
                value={
                    "observations": [
                        {
                            "service": "sigsentry",
                            "status": 429,
                            "body": {
                                "success": False,
                                "error": {"code": "RATE_LIMITED", "message": "Slow down"},
                            },
                            "method": "GET",
                            "path": "/v1/projects/42",
                            "seen_at": "2026-12-01T10:00:00Z",
                        }
                    ]
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        size = int(request.META.get("CONTENT_LENGTH") or 0)
        if size > MAX_REQUEST_BYTES:
            raise Problem(
                "body_too_large",
                f"The request is {size:,} bytes: at most {MAX_REQUEST_BYTES:,} (16 MiB); "
                "send fewer observations per request.",
            )
        data = request.data
        if not isinstance(data, dict) or "observations" not in data:
            raise Problem(
                "invalid_parameter",
                'Send a JSON object {"observations": [...]}: a list of at most '
                f"{MAX_BATCH:,} observations.",
            )
        try:
            result = ingest_batch(data["observations"])
        except InvalidBatch as exc:
            raise Problem("invalid_parameter", str(exc)) from exc
        return Response(result.as_dict(), status=202)


class DriftView(ApiView):
    """Where a service's catalog and its traffic disagree."""

    query_parameters = frozenset({"since"})

    @extend_schema(
        operation_id="service_drift",
        summary="Where a service's catalog and its traffic disagree",
        parameters=[
            OpenApiParameter(
                "since",
                {"type": "string", "pattern": API_WINDOW_PATTERN},
                description="The window: 1-366 days, 1-52 weeks or 1-8784 hours (rounded up "
                "to days), like 7d, 2w or 48h. Default 7d.",
                required=False,
            )
        ],
        responses={200: DRIFT, **problems(400, 404, *COMMON_PROBLEMS)},
    )
    def get(self, request: Request, slug: str) -> Response:
        service = service_or_404(slug)
        since = request.query_params.get("since", DEFAULT_WINDOW)
        if not re.fullmatch(API_WINDOW_PATTERN, since):
            raise Problem(
                "invalid_parameter",
                f"since={since[:20]!r} is not a window: write 1-366 days, 1-52 weeks or "
                "1-8784 hours, like 7d, 2w or 48h.",
            )
        try:
            days = window_days(since)
        except InvalidWindow as exc:
            raise Problem("invalid_parameter", str(exc)) from exc
        return Response(drift_report(service, days, url=request.build_absolute_uri))
