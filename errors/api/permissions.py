"""Who may read and who may publish through the API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from errors.models import Service


class CatalogReadPermission(permissions.BasePermission):
    """Reads are open, unless the portal requires login (PORTAL_REQUIRE_LOGIN)."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if getattr(settings, "PORTAL_REQUIRE_LOGIN", False):
            return bool(request.user and request.user.is_authenticated)
        return True


class CanPublishCatalog(permissions.BasePermission):
    """Publishing a catalog takes a user who may change error codes."""

    message = (
        "Publishing a catalog needs a user with the 'errors.change_errorcode' permission: "
        "ask an admin to grant it to the token's user."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return CatalogReadPermission().has_permission(request, view)
        user = request.user
        if not (user and user.is_authenticated and user.has_perm("errors.change_errorcode")):
            return False
        # Scoped per service: a token may publish only the services that list its user
        # (a new slug is free: its first publisher is listed).
        # errors.api.views.settle_publishers checks again once the publish holds the lock.
        service = Service.objects.filter(slug=view.kwargs.get("slug", "")).first()
        if service is None or service.may_be_published_by(user):
            return True
        self.message = not_a_publisher(user, service)
        return False


def not_a_publisher(user: Any, service: Service) -> str:
    """Why `user` may not publish `service`, and what to do about it."""
    return (
        f"The token's user {user.get_username()!r} is not a publisher of {service.slug!r}: "
        "ask an admin to add it under the service's Publishers (one CI user per service)."
    )


class CanReportObservations(permissions.BasePermission):
    """Sending observations takes a user granted 'errors.report_observations' (in the
    admin, on the user or a group, like every other permission)."""

    message = (
        "Reporting observations needs a user with the 'errors.report_observations' "
        "permission: ask an admin to grant it to the token's user."
    )

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("errors.report_observations"))
