"""The admin's own pages: Markdown preview, catalog import with a dry run, catalog
export, per-code history with revert, deleted codes, and the deprecate action's form.

Each view checks permissions, calls one function of errors.catalog (its importer and history) and
renders; admin.py wires them into the ModelAdmins' URLs.
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin, helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from errors.catalog import history
from errors.catalog.canonical import canonical_error, canonical_from_db
from errors.catalog.export import dump_catalog, export_catalog
from errors.catalog.importer import import_catalog_text
from errors.catalog.problems import CatalogInvalid
from errors.forms import CatalogApplyForm, CatalogUploadForm, DeprecateForm, catalog_signature
from errors.markdown import render_markdown
from errors.models import ErrorCode, ErrorCodeRevision, Example, Service
from errors.openapi.importer import catalog_text_for_upload

MAX_PREVIEW_CHARS = 100_000
PENDING_IMPORT = "errors_pending_catalog_import"


@require_POST
def markdown_preview(request: HttpRequest) -> JsonResponse:
    """Render Markdown with the site's own renderer, for the editors' live preview."""
    text = request.POST.get("text", "")
    if len(text) > MAX_PREVIEW_CHARS:
        return JsonResponse(
            {"error": f"Too long to preview: keep it under {MAX_PREVIEW_CHARS} characters."},
            status=413,
        )
    return JsonResponse({"html": str(render_markdown(text))})


# --------------------------------------------------------------------------- catalogs


def catalog_download(text: str | bytes, filename: str, content_type: str) -> HttpResponse:
    """A file download of catalog text."""
    response = HttpResponse(text, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_service(
    model_admin: ModelAdmin[Service], request: HttpRequest, object_id: str
) -> HttpResponse:
    """Download one service's whole catalog, YAML by default or ?format=json."""
    service = get_object_or_404(Service, pk=object_id)
    if not model_admin.has_view_or_change_permission(request, service):
        raise PermissionDenied
    fmt = "json" if request.GET.get("format") == "json" else "yaml"
    content_type = "application/json" if fmt == "json" else "application/yaml"
    return catalog_download(
        export_catalog(service, fmt), f"{service.slug}.{fmt}", f"{content_type}; charset=utf-8"
    )


def export_codes(errors: QuerySet[ErrorCode]) -> HttpResponse:
    """A catalog file of the selected codes' service; a zip of one file per service."""
    selected: dict[int, set[int]] = defaultdict(set)
    for service_id, pk in errors.values_list("service_id", "pk"):
        selected[service_id].add(pk)
    services = Service.objects.filter(pk__in=selected).order_by("slug")
    files = {}
    for service in services:
        catalog = canonical_from_db(service)
        rows = (
            service.errors.filter(pk__in=selected[service.pk])
            .select_related("category", "replaced_by")
            .prefetch_related(
                Prefetch("examples", queryset=Example.objects.order_by("order", "pk"))
            )
            .order_by("order", "pk")
        )
        catalog["errors"] = [canonical_error(error) for error in rows]
        files[f"{service.slug}.yaml"] = dump_catalog(catalog, "yaml")
    if len(files) == 1:
        name, text = next(iter(files.items()))
        return catalog_download(text, name, "application/yaml; charset=utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return catalog_download(buffer.getvalue(), "catalogs.zip", "application/zip")


def import_catalog(model_admin: ModelAdmin[Service], request: HttpRequest) -> HttpResponse:
    """Upload a catalog file, see its dry run, then apply it or cancel."""
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Import a catalog file",
    }
    if request.method == "POST" and "apply" in request.POST:
        return _apply_import(model_admin, request, context)
    form = CatalogUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        text: str = form.cleaned_data["file"]
        name = form.file_name
        try:
            # An OpenAPI spec goes through the same dry run and apply as its catalog.
            converted = catalog_text_for_upload(text, name, form.cleaned_data["service"])
            if converted is not None:
                text, name = converted
            changes = import_catalog_text(text, name, dry_run=True)
        except CatalogInvalid as exc:
            context["problems"] = exc.problems
        else:
            digest = catalog_signature(text)
            request.session[PENDING_IMPORT] = {"digest": digest, "name": name, "text": text}
            apply_form = CatalogApplyForm(initial={"digest": digest})
            context.update(
                title=f"Dry run of {name}",
                changes=changes,
                changed=sorted(changes.changed.items()),
                apply_form=apply_form,
            )
            return TemplateResponse(request, "admin/errors/service/import_preview.html", context)
    context["form"] = form
    return TemplateResponse(request, "admin/errors/service/import.html", context)


def _apply_import(
    model_admin: ModelAdmin[Service], request: HttpRequest, context: dict[str, Any]
) -> HttpResponse:
    form = CatalogApplyForm(request.POST, pending=request.session.get(PENDING_IMPORT))
    changelist = reverse("admin:errors_service_changelist")
    if not form.is_valid():
        for message in form.non_field_errors() or ["The import form was incomplete."]:
            messages.error(request, str(message))
        return HttpResponseRedirect(reverse("admin:errors_service_import"))
    try:
        changes = import_catalog_text(
            form.cleaned_data["text"], form.cleaned_data["name"], acting_user=request.user
        )
    except CatalogInvalid as exc:
        # The database changed since the dry run in a way the file now contradicts.
        context.update(form=CatalogUploadForm(), problems=exc.problems)
        return TemplateResponse(request, "admin/errors/service/import.html", context)
    request.session.pop(PENDING_IMPORT, None)
    messages.success(
        request,
        f"Imported {changes.slug}: {len(changes.added)} added, {len(changes.changed)} "
        f"changed, {len(changes.removed)} removed, {changes.unchanged} unchanged.",
    )
    return HttpResponseRedirect(changelist)


# --------------------------------------------------------------------------- history


def code_history(
    model_admin: ModelAdmin[ErrorCode], request: HttpRequest, object_id: str
) -> HttpResponse:
    """Every revision of one code, with a revert button each."""
    error = get_object_or_404(ErrorCode.objects.select_related("service"), pk=object_id)
    if not model_admin.has_view_or_change_permission(request, error):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": error,
        "title": f"History of {error}",
        "revisions": history.history_of(error),
        "can_revert": model_admin.has_change_permission(request, error),
    }
    return TemplateResponse(request, "admin/errors/errorcode/history.html", context)


def deleted_codes(model_admin: ModelAdmin[ErrorCode], request: HttpRequest) -> HttpResponse:
    """Codes deleted by an editor or an import, each restorable."""
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": "Deleted error codes",
        "revisions": history.deleted_codes(),
        "can_restore": model_admin.has_add_permission(request),
    }
    return TemplateResponse(request, "admin/errors/errorcode/deleted.html", context)


def revert_revision(
    model_admin: ModelAdmin[ErrorCode], request: HttpRequest, revision_id: int
) -> HttpResponse:
    """Bring a code back to a revision's state (restoring it if it was deleted)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    revision = get_object_or_404(
        ErrorCodeRevision.objects.select_related("service"), pk=revision_id
    )
    restoring = revision.action == ErrorCodeRevision.Action.DELETED
    allowed = (
        model_admin.has_add_permission(request)
        if restoring
        else model_admin.has_change_permission(request, revision.error)
    )
    if not allowed:
        raise PermissionDenied
    try:
        error = history.do_revert(revision, acting_user=request.user)
    except history.RevertRefused as exc:
        messages.error(request, str(exc))
        # Back where the editor was, if that is on this site; never to another one.
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = reverse("admin:index")
        return HttpResponseRedirect(back)
    verb = "Restored" if restoring else "Reverted"
    when = f"{revision.created_at:%Y-%m-%d %H:%M} UTC"
    messages.success(request, f"{verb} {error} to its state of {when}.")
    return HttpResponseRedirect(reverse("admin:errors_errorcode_change", args=[error.pk]))


# --------------------------------------------------------------------------- actions


def deprecate_codes(
    model_admin: ModelAdmin[ErrorCode], request: HttpRequest, queryset: QuerySet[ErrorCode]
) -> HttpResponse | None:
    """Ask for the replacement, then deprecate the selected codes pointing at it."""
    services = set(queryset.values_list("service_id", flat=True))
    if len(services) != 1:
        model_admin.message_user(
            request,
            "Deprecate codes of one service at a time: a replacement must be a code of "
            "the same service. Filter the list by service first.",
            messages.ERROR,
        )
        return None
    service = Service.objects.get(pk=services.pop())
    selected = list(queryset.values_list("pk", flat=True))
    form = DeprecateForm(
        request.POST if "replacement" in request.POST else None,
        service=service,
        selected=selected,
    )
    if form.is_valid():
        count = history.do_update_codes(
            queryset.select_related("service"),
            acting_user=request.user,
            lifecycle=ErrorCode.Lifecycle.DEPRECATED,
            replaced_by=form.cleaned_data["replacement"],
            lifecycle_since=form.cleaned_data["since"],
        )
        model_admin.message_user(
            request,
            f"Deprecated {count} code(s) in favour of {form.cleaned_data['replacement'].code}.",
            messages.SUCCESS,
        )
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Deprecate {len(selected)} code(s) of {service.name}",
        "form": form,
        "errors": queryset.order_by("code"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/errors/errorcode/deprecate.html", context)
