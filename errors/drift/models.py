"""The aggregate tables of observed error responses: one row per fingerprint, one row
per day and group, never one row per observation.

Registered in the `errors` app (errors/models.py imports this module); foreign keys name
their targets as strings so that this module imports nothing of errors.models.
"""

from __future__ import annotations

from django.db import models


class ObservedFingerprint(models.Model):
    """One kind of error response as it was seen: status, code field, message skeleton
    and body shape, with a redacted sample body. Never holds a raw value."""

    fingerprint = models.CharField(max_length=32, unique=True)
    service = models.ForeignKey(
        "errors.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="observed_fingerprints",
    )
    status = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=100, blank=True, help_text="The body's code field.")
    message = models.TextField(blank=True, help_text="The message with its values removed.")
    shape = models.TextField(blank=True, help_text="The body's key paths, two levels deep.")
    sample = models.JSONField(
        null=True, blank=True, help_text="One body, every value replaced by a placeholder."
    )
    draft = models.ForeignKey(
        "errors.ErrorCode",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="drafted_from",
        help_text="The entry made from this fingerprint in the admin.",
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        app_label = "errors"
        ordering = ["-last_seen"]
        permissions = [("report_observations", "Can report observed error responses")]

    def __str__(self) -> str:
        label = self.code or self.message[:60] or self.shape[:60] or "no body"
        return f"{self.status} {label}"


class ObservationDay(models.Model):
    """How often one group (service, entry or fingerprint, status, method, path
    template) was seen on one day (UTC), with the first and last time."""

    day = models.DateField()
    key = models.CharField(max_length=32, help_text="A hash of the group's columns.")
    service = models.ForeignKey(
        "errors.Service", on_delete=models.CASCADE, null=True, related_name="observation_days"
    )
    error = models.ForeignKey(
        "errors.ErrorCode",
        on_delete=models.SET_NULL,
        null=True,
        related_name="observation_days",
        help_text="The entry identify recognised; empty when none matched.",
    )
    fingerprint = models.ForeignKey(
        ObservedFingerprint,
        to_field="fingerprint",
        on_delete=models.CASCADE,
        related_name="days",
    )
    status = models.PositiveSmallIntegerField()
    method = models.CharField(max_length=10, blank=True)
    path = models.CharField(max_length=300, blank=True, help_text="The path template.")
    count = models.BigIntegerField()
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        app_label = "errors"
        constraints = [
            models.UniqueConstraint(fields=["day", "key"], name="errors_observationday_group")
        ]
        indexes = [
            models.Index(fields=["service", "day"], name="errors_obsday_service_day"),
            models.Index(fields=["error", "day"], name="errors_obsday_error_day"),
            models.Index(fields=["day"], name="errors_obsday_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.status} x{self.count}"
