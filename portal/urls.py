"""The portal's URLs: pages, the JSON API and the admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from errors.api.mcp import McpView
from errors.api.views import api_docs, unknown_address
from portal import health
from portal.access import ThrottledAdminLoginForm, ThrottledLoginForm

admin.site.login_form = ThrottledAdminLoginForm
# issue 14: the admin is branded as the portal.
admin.site.site_header = "Error portal administration"
admin.site.site_title = "Error portal admin"
admin.site.index_title = "Catalog and access"
# The app list beside every page took a quarter of 1280 px from the code list's columns;
# the breadcrumbs and the index lead to the same places.
admin.site.enable_nav_sidebar = False
handler404 = "portal.failures.handler404"
handler500 = "portal.failures.handler500"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledLoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("errors.api.urls")),
    path("api/docs/", api_docs, name="api-docs"),
    re_path(r"^api/", unknown_address),
    # Issue 18: the MCP server over streamable HTTP, with the API's login rules.
    path("mcp/", csrf_exempt(McpView.as_view()), name="mcp"),
    path("", include("errors.urls")),
]
