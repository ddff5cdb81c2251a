"""The editors' forms: validation with messages that say what to fix, optimistic locking,
the Markdown preview widget, and the forms behind the admin's import and bulk actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse_lazy
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join

from errors.catalog.history import Revision, changes_since, snapshot_of
from errors.catalog.validation import example_body_problems
from errors.lint import entry_of, envelope_of
from errors.models import Category, ErrorCode, Example, Guide, Service

MAX_CATALOG_BYTES = 5 * 1024 * 1024


class MarkdownTextarea(forms.Textarea):
    """A Markdown textarea; static/errors/admin/markdown-preview.js renders it beside."""

    def __init__(self, attrs: dict | None = None):
        super().__init__(
            {
                "rows": 8,
                "data-markdown-preview": reverse_lazy("admin:errors_errorcode_preview"),
                **(attrs or {}),
            }
        )

    class Media:
        js = ["errors/admin/markdown-preview.js"]
        # The preview reads like the public page, code highlighting too (issue 14).
        css = {"all": ["errors/admin/admin.css", "errors/highlight.css"]}


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = [
            "slug", "name", "summary", "description", "owner_team", "contact", "base_url",
            "code_pattern", "envelope_example", "envelope_fields", "code_pointer",
            "message_pointer", "details_pointer", "request_id_pointer", "status_pointer",
            "stability", "envelope_alternatives", "search_synonyms", "publishers",
        ]  # fmt: skip
        widgets = {"description": MarkdownTextarea, "stability": MarkdownTextarea}


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["service", "slug", "name", "order", "description"]
        widgets = {"description": MarkdownTextarea({"rows": 3})}


class GuideForm(forms.ModelForm):
    class Meta:
        model = Guide
        fields = ["service", "slug", "title", "summary", "order", "body"]
        widgets = {"body": MarkdownTextarea({"rows": 12})}


class ExampleForm(forms.ModelForm):
    class Meta:
        model = Example
        fields = ["error", "title", "language", "order", "body", "description"]
        widgets = {
            "description": MarkdownTextarea({"rows": 3}),
            "body": forms.Textarea(
                {"rows": 8, "class": "errors-code-input", "spellcheck": "false"}
            ),
        }


class ExampleInlineFormSet(BaseInlineFormSet):
    """Examples must parse and agree with their entry's code and status."""

    def clean(self) -> None:
        super().clean()
        error = self.instance
        if not error.service_id:
            return
        entry, envelope = entry_of(error), envelope_of(error.service)
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("body"):
                continue
            language = data.get("language") or Example.Language.JSON
            for message in example_body_problems(entry, envelope, language, data["body"]):
                form.add_error("body", _sentence(message))


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:]


class ErrorCodeForm(forms.ModelForm):
    """An error code, refused when someone else saved it after this form was opened."""

    http_status = forms.IntegerField(
        required=False,
        min_value=100,
        max_value=599,
        error_messages={
            "min_value": "An HTTP status is from 100 to 599 (e.g. 404); leave it empty for "
            "codes without one.",
            "max_value": "An HTTP status is from 100 to 599 (e.g. 404); leave it empty for "
            "codes without one.",
        },
        help_text=ErrorCode._meta.get_field("http_status").help_text,
        label="HTTP status",
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ErrorCode
        fields = [
            "service", "code", "http_status", "title", "summary", "category", "description",
            "resolution", "details_shape", "retry", "retry_delay_from", "published", "lifecycle",
            "lifecycle_since", "replaced_by", "aliases", "messages", "tags",
        ]  # fmt: skip
        widgets = {"description": MarkdownTextarea, "resolution": MarkdownTextarea}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.updated_at.isoformat()
        # The state before this save, for the history's field diff.
        self.before = snapshot_of(self.instance) if self.is_bound and self.instance.pk else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._refuse_if_changed_meanwhile()
        service, code = data.get("service"), data.get("code")
        if service and code:
            taken = service.errors.with_code(code).exclude(pk=self.instance.pk).first()
            if taken is not None:
                self.add_error(
                    "code",
                    f"{service.name} already has the code {taken.code!r} (codes are compared "
                    "ignoring case): choose another code or edit that entry.",
                )
        return data

    def _refuse_if_changed_meanwhile(self) -> None:
        if not self.instance.pk:
            return
        token = parse_datetime(self.cleaned_data.get("version") or "")
        if token is None:
            raise ValidationError(
                "This form does not say which version of the code it edits, so saving it "
                "could overwrite someone else's changes: open the code again and redo your "
                "edits.",
                code="no_version",
            )
        # The admin saves inside a transaction: the row stays locked until this save
        # commits, so of two editors saving at once the second waits, then sees the
        # first's save and is refused (without the lock both were accepted).
        saved = (
            ErrorCode.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("updated_at", flat=True)
            .first()
        )
        if saved is None or saved == token:
            return
        raise ValidationError(conflict_message(self.instance, token), code="conflict")


def conflict_message(error: ErrorCode, since: datetime) -> str:
    """Say who changed what since `since`, so the editor can merge by hand."""
    revisions = changes_since(error, since)
    if not revisions:
        return (
            "Someone saved this code after you opened it. Nothing of yours was saved: "
            "open it again (your edits are still in this form to copy) and redo them."
        )
    items = format_html_join(
        "",
        "<li>{} by {} at {}: {}</li>",
        (
            (
                revision.get_action_display(),
                revision.user or "an import",
                f"{revision.created_at:%Y-%m-%d %H:%M:%S} UTC",
                describe_changes(revision),
            )
            for revision in revisions
        ),
    )
    return format_html(
        "Someone else saved this code after you opened it, so your save was refused and "
        "nothing was overwritten. Their changes:<ul>{}</ul>Open the code again to see "
        "them, then redo your edits (they are still in this form to copy).",
        items,
    )


def describe_changes(revision: Revision) -> str:
    """`title: 'Old' → 'New'; examples changed`."""
    parts = []
    for name, (old, new) in sorted(revision.changes.items()):
        if name == "examples":
            parts.append("examples changed")
        else:
            parts.append(f"{name}: {_short(old)} → {_short(new)}")
    return "; ".join(parts) or "no field changes"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…'"


class DeprecateForm(forms.Form):
    """The intermediate page of the 'deprecate with a replacement' action."""

    replacement = forms.ModelChoiceField(
        queryset=ErrorCode.objects.none(),
        help_text="The code clients should use instead.",
    )
    since = forms.CharField(
        max_length=60, required=False, help_text="Version or date, e.g. 2026-11 or v3."
    )

    def __init__(self, *args: Any, service: Service, selected: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["replacement"].queryset = (  # type: ignore[attr-defined]
            service.errors.exclude(pk__in=selected)
            .exclude(lifecycle=ErrorCode.Lifecycle.REMOVED)
            .select_related("service")
            .order_by("code")
        )


class CatalogUploadForm(forms.Form):
    """A catalog file to import into the database after a dry run."""

    file = forms.FileField(
        help_text="A catalog file, YAML or JSON (docs/catalog-format.md), or an OpenAPI 3 "
        "spec whose errors become the service's catalog (docs/openapi.md)."
    )
    # issue 17: an OpenAPI spec names no slug; a catalog file carries its own.
    service = forms.SlugField(
        required=False,
        max_length=60,
        help_text="For an OpenAPI spec: the service's slug (by default from its info.title).",
    )

    file_name = ""

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        self.file_name = upload.name or "catalog.yaml"
        if upload.size > MAX_CATALOG_BYTES:
            raise ValidationError(
                f"The file is {upload.size // 1024} KB; catalog files are at most "
                f"{MAX_CATALOG_BYTES // 1024 // 1024} MB: split the service or trim it."
            )
        try:
            return normalise_newlines(upload.read().decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text: save it as UTF-8.") from exc


def normalise_newlines(text: str) -> str:
    """Browsers send form values with CRLF line breaks; sign and compare LF text."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def catalog_signature(text: str) -> str:
    """Ties the dry run an editor saw to the text they apply."""
    return salted_hmac("errors.catalog-import", text, algorithm="sha256").hexdigest()


class CatalogApplyForm(forms.Form):
    """Applies the dry run an editor saw: the text waits in their session under its digest.

    The session, not a hidden field, holds the text: a catalog of thousands of codes is
    larger than Django's limit for form fields, and the editor cannot alter it between
    the dry run and the apply.
    """

    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, pending: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending = pending or {}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not constant_time_compare(self.pending.get("digest", ""), data.get("digest", "")):
            raise ValidationError(
                "This dry run is no longer the latest one (another upload replaced it, or "
                "the session ended): upload the file again to see what it would do."
            )
        return {**data, "name": self.pending["name"], "text": self.pending["text"]}
