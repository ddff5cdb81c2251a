"""The catalog: services, their categories, error codes, examples and guides.

Markdown fields are rendered once, when a row is saved (or imported), into a `*_html`
field that templates print as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from errors.bodies import example_shape
from errors.code_patterns import PatternTooSlow, code_matches
from errors.codes import code_key, reason_phrase
from errors.markdown import highlight_code, render_markdown
from errors.message_values import forms_are_current, stored_forms
from errors.querysets import ErrorCodeQuerySet, ServiceQuerySet
from errors.validators import (
    RETRY_DELAY_VALIDATOR,
    SLUG_VALIDATOR,
    validate_code,
    validate_envelope_alternatives,
    validate_json_pointer,
    validate_regex,
    validate_search_synonyms,
)


class Service(models.Model):
    """An HTTP API whose errors the portal documents, with its error envelope."""

    slug = models.SlugField(max_length=60, unique=True, validators=[SLUG_VALIDATOR])
    name = models.CharField(max_length=120)
    summary = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(blank=True, editable=False)
    owner_team = models.CharField(max_length=120, blank=True)
    contact = models.CharField(max_length=200, blank=True, help_text="E-mail, channel or URL.")
    base_url = models.CharField(max_length=300, blank=True)
    code_pattern = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_regex],
        help_text="Optional regular expression every code of this service must match, "
        "e.g. ^[A-Z][A-Z0-9_]*$",
    )
    envelope_example = models.TextField(
        blank=True, help_text="An example error body, as the API sends it."
    )
    envelope_fields = models.JSONField(
        default=list, blank=True, help_text='A list of {"name", "type", "description"}.'
    )
    code_pointer = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_json_pointer],
        help_text="JSON pointer to the error code in a body, e.g. /error/code. "
        "Empty when errors are told apart by HTTP status alone.",
    )
    message_pointer = models.CharField(
        max_length=200, blank=True, validators=[validate_json_pointer]
    )
    details_pointer = models.CharField(
        max_length=200, blank=True, validators=[validate_json_pointer]
    )
    request_id_pointer = models.CharField(
        max_length=200, blank=True, validators=[validate_json_pointer]
    )
    status_pointer = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_json_pointer],
        help_text="JSON pointer to an HTTP status the body repeats, e.g. /status.",
    )
    stability = models.TextField(
        blank=True, help_text="Markdown: the stability and retry policy of the codes."
    )
    # Issue 15: other error bodies the service sends, and its own search vocabulary.
    envelope_alternatives = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_envelope_alternatives],
        help_text="Other error bodies the service sends, each a {code_pointer, "
        "message_pointer, details_pointer, request_id_pointer, status_pointer} object: "
        "identify tries each.",
    )
    search_synonyms = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_search_synonyms],
        help_text='Groups of words that mean the same to searchers, e.g. [["analysis", '
        '"scan"], ["ws", "workspace"]]: a search for one finds the others.',
    )
    stability_html = models.TextField(blank=True, editable=False)
    publishers = models.ManyToManyField(
        "auth.User",
        blank=True,
        related_name="published_services",
        help_text="The users whose API tokens may publish this service's catalog: one CI "
        "user per service. Staff may always; a token that creates a service is listed here.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ServiceQuerySet.as_manager()

    # Set on the services that ServiceQuerySet.with_code_counts() reads (and
    # errors.code_counts.counted_services, which keeps them per service version).
    code_count: int

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.render_html()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("errors:service", args=[self.slug])

    def may_be_published_by(self, user: Any) -> bool:
        """Whether `user` may replace this catalog through the API: staff (who can change
        any code in the admin anyway) and the service's listed publishers."""
        if user.is_superuser or user.is_staff:
            return True
        return self.publishers.filter(pk=user.pk).exists()

    def render_html(self) -> None:
        """Render the Markdown fields into their `*_html` twins."""
        self.description_html = render_markdown(self.description)
        self.stability_html = render_markdown(self.stability)

    @property
    def is_status_only(self) -> bool:
        """True when bodies carry no code, so clients tell errors apart by HTTP status."""
        return not self.code_pointer


class Category(models.Model):
    """A group of a service's codes, as its error page groups them."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="categories")
    slug = models.SlugField(max_length=60, validators=[SLUG_VALIDATOR])
    name = models.CharField(max_length=120)
    order = models.PositiveIntegerField(default=0)
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["service", "order", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["service", "slug"],
                name="category_slug_unique_per_service",
                violation_error_message="This service already has a category with this slug.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.render_html()
        super().save(*args, **kwargs)

    def render_html(self) -> None:
        """Render the Markdown description."""
        self.description_html = render_markdown(self.description)


# What the codes' key index holds beside the key on PostgreSQL: what search reads of each
# code it matches and what its filters test (errors.search.engine.OnCodes).
KEY_INDEX_HOLDS = ["id", "published", "http_status", "service", "order", "lifecycle", "category"]
# And the index of each service's codes, by id.
SERVICE_INDEX_HOLDS = ["published", "http_status", "code_key", "order", "lifecycle", "category"]


class ErrorCode(models.Model):
    """One error a service can answer with: the heart of the catalog."""

    class Retry(models.TextChoices):
        # The default: a page states a rule only where the service's own docs do.
        NOT_STATED = "not_stated", "Not stated"
        NEVER = "never", "Never retry"
        SAFE = "safe", "Safe to retry"
        BACKOFF = "backoff", "Retry with backoff"
        RETRY_AFTER = "retry_after", "Retry after a delay"

    class Lifecycle(models.TextChoices):
        ACTIVE = "active", "Active"
        DEPRECATED = "deprecated", "Deprecated"
        REMOVED = "removed", "Removed"

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="errors", db_index=False
    )  # indexed in Meta, with the ids
    code = models.CharField(
        max_length=100,
        validators=[validate_code],
        help_text="As the API sends it. An entry known only by its HTTP status uses the "
        'status as its code: "404".',
    )
    code_key = models.CharField(max_length=100, editable=False)  # indexed in Meta
    http_status = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(100), MaxValueValidator(599)],
        help_text="100-599; empty for catalogs without HTTP statuses (SQLSTATE, gRPC).",
    )
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True, help_text="One line: what it means.")
    description = models.TextField(blank=True, help_text="Markdown.")
    description_html = models.TextField(blank=True, editable=False)
    resolution = models.TextField(blank=True, help_text="Markdown: what the caller should do.")
    resolution_html = models.TextField(blank=True, editable=False)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="errors"
    )
    retry = models.CharField(
        max_length=20,
        choices=Retry.choices,
        default=Retry.NOT_STATED,
        help_text="Only a rule the service's documentation states.",
    )
    retry_delay_from = models.CharField(
        max_length=120,
        blank=True,
        validators=[RETRY_DELAY_VALIDATOR],
        help_text="Where the delay before a retry comes from, if the documentation says: "
        '"header:Retry-After" or "body:/details/retry_after" (a JSON pointer).',
    )
    details_shape = models.TextField(
        blank=True, help_text="The shape of the details the body carries for this code."
    )
    lifecycle = models.CharField(max_length=20, choices=Lifecycle.choices, default=Lifecycle.ACTIVE)
    lifecycle_since = models.CharField(
        max_length=60, blank=True, help_text="Version or date of the last lifecycle change."
    )
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # errorcode_replaced_by_idx, of the few codes replaced
        related_name="replaces",
        help_text="The code to use instead, for a deprecated or removed code.",
    )
    aliases = models.JSONField(default=list, blank=True, help_text="Legacy names of this code.")
    messages = models.JSONField(
        default=list,
        blank=True,
        help_text="Typical message texts a body carries; they recognise a body without a code.",
    )
    message_forms = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="The typical messages' skeletons and loose words, worked out when they are "
        "saved (errors.message_values.stored_forms): identify reads them.",
    )
    tags = models.JSONField(default=list, blank=True)
    operations = models.JSONField(
        default=list,
        blank=True,
        help_text='The operations documented to answer this code: a list of {"method": "POST", '
        '"path": "/v1/orders"}.',
    )
    published = models.BooleanField(default=False, help_text="Drafts are visible to staff only.")
    order = models.PositiveIntegerField(
        default=0, help_text="Position in the service's catalog file and tables."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ErrorCodeQuerySet.as_manager()

    MARKDOWN_FIELDS = ("description", "resolution")

    class Meta:
        ordering = ["service", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                Lower("code"),
                "service",
                name="errorcode_code_unique_per_service_ci",
                violation_error_message="This service already has this code (ignoring case).",
            ),
            models.CheckConstraint(
                condition=models.Q(http_status__isnull=True)
                | models.Q(http_status__gte=100, http_status__lte=599),
                name="errorcode_http_status_range",
                violation_error_message="The HTTP status must be from 100 to 599.",
            ),
        ]
        indexes = [
            # A status filter's codes, counted per service and read a service at a time
            # in page order without reading their rows (search's `_browse`).
            models.Index(
                fields=["http_status", "service", "order", "code", "published"],
                name="errorcode_status_idx",
            ),
            # The codes by key, for lookups and search's exact code and prefix: on
            # PostgreSQL with what search reads of a code (migration 0021 says why).
            models.Index(
                fields=["code_key"],
                opclasses=["varchar_pattern_ops"],
                include=KEY_INDEX_HOLDS,
                name="errorcode_key_idx",
            ),
            # A service's codes by id: on PostgreSQL with what search reads of a code
            # (migration 0022 says why).
            models.Index(
                fields=["service", "id"],
                include=SERVICE_INDEX_HOLDS,
                name="errorcode_service_idx",
            ),
            # The codes a code replaces, and each service's drafts, which the code page
            # and the counts of published codes read: partial indexes of the few codes
            # concerned (migration 0023 says why).
            models.Index(
                fields=["replaced_by"],
                condition=models.Q(replaced_by__isnull=False),
                name="errorcode_replaced_by_idx",
            ),
            models.Index(
                fields=["service"],
                condition=models.Q(published=False),
                name="errorcode_draft_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.slug} {self.code}" if self.service_id else self.code

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.render_html()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("errors:error", args=[self.service.slug, self.code])

    def render_html(self, fields: Collection[str] = MARKDOWN_FIELDS) -> None:
        """Render the Markdown fields (or only those named) and refresh the lookup key
        and the typical messages' forms."""
        self.code_key = code_key(self.code)
        if not forms_are_current(self.message_forms, self.messages):
            self.message_forms = stored_forms(self.messages)
        if "description" in fields:
            self.description_html = render_markdown(self.description)
        if "resolution" in fields:
            self.resolution_html = render_markdown(self.resolution)

    def clean(self) -> None:
        """Rules that span fields: category and replacement belong to the same service."""
        errors: dict[str, str] = {}
        category = self.category if self.category_id else None
        if category is not None and self.service_id and category.service_id != self.service_id:
            errors["category"] = "Choose a category of this code's own service."
        replacement = self.replaced_by if self.replaced_by_id else None
        if replacement is not None:
            if replacement.pk == self.pk:
                errors["replaced_by"] = "A code cannot replace itself."
            elif self.service_id and replacement.service_id != self.service_id:
                errors["replaced_by"] = "Choose a replacement from the same service."
        if self.retry_delay_from and self.retry not in (
            self.Retry.RETRY_AFTER,
            self.Retry.BACKOFF,
        ):
            errors["retry_delay_from"] = (
                'A delay source goes with "Retry after a delay" or "Retry with backoff": '
                "choose one of them or clear the source."
            )
        pattern = self.service.code_pattern if self.service_id else ""
        try:
            if pattern and self.code and not code_matches(pattern, self.code):
                errors["code"] = (
                    f"{self.code!r} does not match this service's code pattern {pattern!r}."
                )
        except PatternTooSlow as exc:
            errors["code"] = f"This service's code pattern cannot be checked: {exc}"
        if errors:
            raise ValidationError(errors)

    @property
    def reason_phrase(self) -> str:
        """The standard phrase of the HTTP status, e.g. `Not Found`."""
        return reason_phrase(self.http_status)


class Example(models.Model):
    """An example body, request or code sample for one error code."""

    class Language(models.TextChoices):
        JSON = "json", "JSON"
        HTTP = "http", "HTTP"
        PYTHON = "python", "Python"
        CURL = "curl", "curl"
        SHELL = "shell", "Shell"
        JAVASCRIPT = "javascript", "JavaScript"
        TYPESCRIPT = "typescript", "TypeScript"
        GO = "go", "Go"
        JAVA = "java", "Java"
        RUBY = "ruby", "Ruby"
        YAML = "yaml", "YAML"
        XML = "xml", "XML"
        TEXT = "text", "Plain text"

    error = models.ForeignKey(ErrorCode, on_delete=models.CASCADE, related_name="examples")
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True, help_text="Markdown: what the example shows.")
    description_html = models.TextField(blank=True, editable=False)
    language = models.CharField(max_length=20, choices=Language.choices, default=Language.JSON)
    body = models.TextField()
    body_html = models.TextField(blank=True, editable=False)
    shape = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The key paths of a JSON body, worked out when saved: identify reads them.",
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["error", "order", "pk"]

    def __str__(self) -> str:
        return self.title or f"Example {self.order + 1}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.render_html()
        super().save(*args, **kwargs)

    def render_html(self) -> None:
        """Render the explanation, highlight the body and work out its shape."""
        for name, value in self.rendered(self.description, self.language, self.body).items():
            setattr(self, name, value)

    @staticmethod
    def rendered(description: str, language: str, body: str) -> dict[str, Any]:
        """The fields an example's texts give: its explanation's HTML, its highlighted
        body and the body's shape (what `render_html` sets)."""
        return {
            "description_html": render_markdown(description),
            "body_html": highlight_code(body, language),
            "shape": example_shape(language, body),
        }


class Guide(models.Model):
    """A prose page of a service: handling errors, retries, request ids, ..."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="guides")
    slug = models.SlugField(max_length=80, validators=[SLUG_VALIDATOR])
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Markdown.")
    body_html = models.TextField(blank=True, editable=False)
    order = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service", "order", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "slug"],
                name="guide_slug_unique_per_service",
                violation_error_message="This service already has a guide with this slug.",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.render_html()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("errors:guide", args=[self.service.slug, self.slug])

    def render_html(self) -> None:
        """Render the Markdown body."""
        self.body_html = render_markdown(self.body)


class ErrorCodeRevision(models.Model):
    """One recorded change of an error code: who, when, what, and the state after it.

    The snapshot is the entry in catalog form (errors.catalog.canonical.canonical_error),
    so a revision can be reverted to, and a deleted code restored, without the row.
    """

    class Action(models.TextChoices):
        ADDED = "added", "Added"
        CHANGED = "changed", "Changed"
        DELETED = "deleted", "Deleted"

    class Source(models.TextChoices):
        ADMIN = "admin", "Admin"
        IMPORT = "import", "Catalog import"
        REVERT = "revert", "Revert"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="revisions")
    error = models.ForeignKey(
        ErrorCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="revisions"
    )
    code = models.CharField(max_length=100)
    action = models.CharField(max_length=10, choices=Action.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ADMIN)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [old, new]}.")
    snapshot = models.JSONField(default=dict, help_text="The entry after the change.")
    # Whether readers see it (its snapshot is not a draft's): the home page and the
    # changelogs filter on this column, where they parsed every revision's snapshot. The
    # history writes it with every revision (errors.catalog.history.is_public); a revision
    # written without it stays private.
    public = models.BooleanField(default=False, editable=False)
    user = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Shared by the revisions one write made together (an import, a bulk action): the
    # changelog shows them as one entry, however long the write took.
    batch = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["service", "-created_at"], name="revision_service_idx"),
            # One batch of one service: an import's batch spans its services, and the
            # home page counts the newest few (migration 0023 says why).
            models.Index(fields=["batch", "service"], name="revision_batch_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.get_action_display().lower()} {self.created_at:%Y-%m-%d %H:%M}"


class CatalogState(models.Model):
    """One row whose `version` moves on every write to the catalog tables.

    Database triggers bump it (errors/catalog_version.py), so bulk imports, queryset updates
    and writes from any app server move it in the same transaction: every cache keyed by
    it is stale the moment the write commits, on every server.
    """

    # A new random epoch whenever the row is created: a recreated database never reuses
    # the versions, and so the cached answers, of an earlier one.
    epoch = models.CharField(max_length=32)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "catalog state"

    def __str__(self) -> str:
        return f"catalog version {self.epoch}-{self.version}"


class ServiceState(models.Model):
    """A service's own version, moved by triggers on every write to its row, its codes
    and their examples (errors/service_version.py): caches built per service are rebuilt
    only for the services whose version moved."""

    # No foreign key: the row goes with its service by trigger, and a write bumping the
    # version of a service being deleted must not block the delete.
    service_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "service state"

    def __str__(self) -> str:
        return f"service {self.service_id} version {self.version}"


# The drift tables (errors/drift/models.py) belong to this app; importing them here is
# what registers them. They refer to the models above by name, so no cycle.
from errors.drift.models import ObservationDay as ObservationDay  # noqa: E402
from errors.drift.models import ObservedFingerprint as ObservedFingerprint  # noqa: E402
