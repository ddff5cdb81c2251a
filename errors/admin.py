"""The editors' admin: declarations. Behaviour lives in errors.forms, errors.catalog.history,
errors.lint and the admin's own pages in errors.admin_views."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from errors import admin_views
from errors.catalog import history
from errors.drift.drafts import DraftRefused, do_draft_from_fingerprint
from errors.forms import (
    CategoryForm,
    ErrorCodeForm,
    ExampleForm,
    ExampleInlineFormSet,
    GuideForm,
    ServiceForm,
)
from errors.lint import ERROR, error_findings
from errors.models import (
    Category,
    ErrorCode,
    ErrorCodeRevision,
    Example,
    Guide,
    ObservedFingerprint,
    Service,
)
from errors.querysets import can_see_drafts


class CatalogAdmin(admin.ModelAdmin):
    """Every active staff member may read the catalog; editing needs the Editors group."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_see_drafts(request.user) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


class StatusClassFilter(admin.SimpleListFilter):
    """1xx-5xx, and codes without an HTTP status."""

    title = "status class"
    parameter_name = "status_class"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [
            ("1", "1xx informational"),
            ("2", "2xx success"),
            ("3", "3xx redirection"),
            ("4", "4xx client error"),
            ("5", "5xx server error"),
            ("none", "No HTTP status"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ErrorCode]) -> QuerySet[ErrorCode]:
        value = self.value()
        if value == "none":
            return queryset.filter(http_status__isnull=True)
        if value in {"1", "2", "3", "4", "5"}:
            low = int(value) * 100
            return queryset.filter(http_status__gte=low, http_status__lte=low + 99)
        return queryset


class CategoryFilter(admin.SimpleListFilter):
    """Categories of the chosen service; across services, each named with its service."""

    title = "category"
    parameter_name = "category"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        categories = Category.objects.select_related("service").order_by(
            "service__name", "order", "name"
        )
        service = request.GET.get("service__id__exact", "")
        if service.isascii() and service.isdigit():
            return [(str(c.pk), c.name) for c in categories.filter(service_id=int(service))]
        return [(str(c.pk), f"{c.service.name}: {c.name}") for c in categories]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ErrorCode]) -> QuerySet[ErrorCode]:
        value = self.value() or ""
        if value.isascii() and value.isdigit():  # `²` is a digit to isdigit, not to int
            return queryset.filter(category_id=int(value))
        return queryset


class ProblemsFilter(admin.SimpleListFilter):
    """Codes lint would warn about, found by the cheap database-side checks."""

    title = "gaps"
    parameter_name = "gaps"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [
            ("resolution", "No resolution"),
            ("examples", "No example"),
            ("replacement", "Deprecated, no replacement"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ErrorCode]) -> QuerySet[ErrorCode]:
        value = self.value()
        if value == "resolution":
            return queryset.filter(resolution="")
        if value == "examples":
            return queryset.filter(examples__isnull=True)
        if value == "replacement":
            return queryset.filter(
                Q(lifecycle=ErrorCode.Lifecycle.DEPRECATED) & Q(replaced_by__isnull=True)
            )
        return queryset


class CategoryInline(admin.TabularInline):
    model = Category
    form = CategoryForm
    extra = 0
    fields = ("slug", "name", "order", "description")


class GuideInline(admin.StackedInline):
    model = Guide
    form = GuideForm
    extra = 0
    fields = ("slug", "title", "summary", "order", "body")


class ExampleInline(admin.StackedInline):
    model = Example
    form = ExampleForm
    formset = ExampleInlineFormSet
    extra = 0
    fields = (("title", "language", "order"), "body", "description")


@admin.register(Service)
class ServiceAdmin(CatalogAdmin):
    form = ServiceForm
    change_list_template = "admin/errors/service/change_list.html"
    change_form_template = "admin/errors/service/change_form.html"
    list_display = ("name", "slug", "owner_team", "error_count", "updated_at")
    search_fields = ("name", "slug", "owner_team")
    inlines = [CategoryInline, GuideInline]
    filter_horizontal = ("publishers",)
    actions = ["export_catalogs"]
    fieldsets = [
        (None, {"fields": ("slug", "name", "summary", "description", "owner_team", "contact")}),
        ("Codes", {"fields": ("code_pattern", "stability", "base_url")}),
        ("Publishing", {"fields": ("publishers",)}),
        (
            "Error envelope",
            {
                "fields": (
                    "envelope_example",
                    "envelope_fields",
                    "code_pointer",
                    "message_pointer",
                    "details_pointer",
                    "request_id_pointer",
                    "status_pointer",
                    "envelope_alternatives",
                )
            },
        ),
        ("Search", {"fields": ("search_synonyms",)}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Service]:
        services: QuerySet[Service] = (
            super().get_queryset(request).annotate(code_count=Count("errors"))
        )
        return services

    @admin.display(description="codes", ordering="code_count")
    def error_count(self, service: Service) -> int:
        return service.code_count

    @admin.action(description="Export catalogs of the selected services", permissions=["view"])
    def export_catalogs(self, request: HttpRequest, queryset: QuerySet[Service]) -> HttpResponse:
        return admin_views.export_codes(ErrorCode.objects.filter(service__in=queryset))

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(partial(admin_views.import_catalog, self)),
                 name="errors_service_import"),
            path("<path:object_id>/export/", wrap(partial(admin_views.export_service, self)),
                 name="errors_service_export"),
            *super().get_urls(),
        ]  # fmt: skip


@admin.register(Category)
class CategoryAdmin(CatalogAdmin):
    form = CategoryForm
    list_display = ("name", "slug", "service", "order")
    list_filter = ("service",)
    list_select_related = ("service",)
    search_fields = ("name", "slug", "service__slug")


@admin.register(ErrorCode)
class ErrorCodeAdmin(CatalogAdmin):
    form = ErrorCodeForm
    change_list_template = "admin/errors/errorcode/change_list.html"
    change_form_template = "admin/errors/errorcode/change_form.html"
    list_display = (
        "code",
        "service",
        "http_status",
        "title",
        "category",
        "lifecycle",
        "published",
        "updated_at",
        "problems",
    )
    list_display_links = ("code", "title")
    list_filter = (
        "service",
        StatusClassFilter,
        CategoryFilter,
        "lifecycle",
        "published",
        ProblemsFilter,
    )
    list_select_related = ("service", "category")
    list_per_page = 100
    search_fields = ("code", "=code_key", "title", "summary", "=service__slug")
    autocomplete_fields = ("service", "category", "replaced_by")
    readonly_fields = ("problem_list", "created_at", "updated_at")
    inlines = [ExampleInline]
    actions = ["publish", "unpublish", "deprecate", "export_selected"]
    fieldsets = [
        (None, {"fields": ("service", "code", "http_status", "title", "summary", "category")}),
        (
            "Explanation",
            {"fields": ("description", "resolution", "details_shape", "retry", "retry_delay_from")},
        ),
        ("Lifecycle", {"fields": ("published", "lifecycle", "lifecycle_since", "replaced_by")}),
        (
            "Recognising bodies",
            {"fields": ("aliases", "messages", "tags"), "classes": ["collapse"]},
        ),
        ("Checks", {"fields": ("problem_list", "created_at", "updated_at", "version")}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ErrorCode]:
        # The problems column reads each code's examples.
        errors: QuerySet[ErrorCode] = super().get_queryset(request)
        return errors.prefetch_related(
            Prefetch("examples", queryset=Example.objects.order_by("order"))
        )

    @admin.display(description="problems")
    def problems(self, error: ErrorCode) -> str:
        # The change form runs every check; a page of a hundred codes skips identify's.
        findings = error_findings(error, identify_examples=False)
        errors = sum(finding.level == ERROR for finding in findings)
        if not findings:
            return "none"
        css = "errors-lint-error" if errors else "errors-lint-warning"
        label = f"{errors} error(s)" if errors else f"{len(findings)} warning(s)"
        tooltip = "\n".join(f"{finding.field}: {finding.message}" for finding in findings)
        return format_html('<span class="{}" title="{}">{}</span>', css, tooltip, label)

    @admin.display(description="problems")
    def problem_list(self, error: ErrorCode) -> str:
        if not error.pk:
            return "Checked when saved."
        findings = error_findings(error)
        if not findings:
            return "None: the entry passes every check."
        return format_html(
            '<ul class="errors-lint">{}</ul>',
            format_html_join(
                "",
                '<li class="errors-lint-{}"><strong>{}</strong> {}: {}</li>',
                ((f.level, f.level, f.field, f.message) for f in findings),
            ),
        )

    @admin.action(description="Publish the selected codes", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[ErrorCode]) -> None:
        count = history.do_update_codes(queryset, acting_user=request.user, published=True)
        self.message_user(request, f"Published {count} code(s).", messages.SUCCESS)

    @admin.action(
        description="Unpublish the selected codes (back to draft)", permissions=["change"]
    )
    def unpublish(self, request: HttpRequest, queryset: QuerySet[ErrorCode]) -> None:
        count = history.do_update_codes(queryset, acting_user=request.user, published=False)
        self.message_user(request, f"Unpublished {count} code(s).", messages.SUCCESS)

    @admin.action(description="Deprecate the selected codes, with a replacement…",
                  permissions=["change"])  # fmt: skip
    def deprecate(self, request: HttpRequest, queryset: QuerySet[ErrorCode]) -> HttpResponse | None:
        return admin_views.deprecate_codes(self, request, queryset)

    @admin.action(description="Export the selected codes as a catalog file", permissions=["view"])
    def export_selected(self, request: HttpRequest, queryset: QuerySet[ErrorCode]) -> HttpResponse:
        return admin_views.export_codes(queryset)

    def save_related(
        self, request: HttpRequest, form: ErrorCodeForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        history.record_change(form.instance, form.before, acting_user=request.user)

    def delete_model(self, request: HttpRequest, obj: ErrorCode) -> None:
        history.record_deletions([obj], acting_user=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ErrorCode]) -> None:
        history.record_deletions(queryset.select_related("service"), acting_user=request.user)
        super().delete_queryset(request, queryset)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return admin_views.code_history(self, request, object_id)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("preview/", wrap(admin_views.markdown_preview), name="errors_errorcode_preview"),
            path("deleted/", wrap(partial(admin_views.deleted_codes, self)),
                 name="errors_errorcode_deleted"),
            path("revisions/<int:revision_id>/revert/",
                 wrap(partial(admin_views.revert_revision, self)),
                 name="errors_errorcode_revert"),
            *super().get_urls(),
        ]  # fmt: skip


@admin.register(ErrorCodeRevision)
class ErrorCodeRevisionAdmin(CatalogAdmin):
    list_display = ("created_at", "service", "code", "action", "source", "user", "changed_fields")
    list_filter = ("action", "source", "service")
    list_select_related = ("service", "user")
    search_fields = ("code", "=service__slug", "user__username")
    date_hierarchy = "created_at"

    @admin.display(description="fields")
    def changed_fields(self, revision: ErrorCodeRevision) -> str:
        return ", ".join(sorted(revision.changes))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: ErrorCodeRevision | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: ErrorCodeRevision | None = None
    ) -> bool:
        return False


# --------------------------------------------------------------------------- drift (issue 16)


@admin.register(ObservedFingerprint)
class ObservedFingerprintAdmin(CatalogAdmin):
    """What services sent, as fingerprints (never raw bodies); an undocumented one
    becomes a draft entry with one action."""

    list_display = ["status", "code", "message", "service", "last_seen", "draft"]
    list_filter = ["service", "status"]
    search_fields = ["code", "message", "fingerprint"]
    list_select_related = ["service", "draft"]
    readonly_fields = ["fingerprint", "service", "status", "code", "message", "shape",
                       "sample", "draft", "first_seen", "last_seen"]  # fmt: skip
    actions = ["make_draft"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_draft_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("errors.add_errorcode")

    @admin.action(description="Make a draft entry from each fingerprint", permissions=["draft"])
    def make_draft(self, request: HttpRequest, queryset: QuerySet[ObservedFingerprint]) -> None:
        batch = history.new_batch()  # one action, one batch in the history
        for found in queryset.select_related("service", "draft"):
            try:
                error = do_draft_from_fingerprint(found, acting_user=request.user, batch=batch)
            except DraftRefused as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                self.message_user(
                    request,
                    format_html(
                        'Draft <a href="{}">{}</a> made: check it, then publish it.',
                        reverse("admin:errors_errorcode_change", args=[error.pk]),
                        error.code,
                    ),
                    messages.SUCCESS,
                )
