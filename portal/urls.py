"""The portal's URLs: pages, the JSON API and the admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from errors import health
from errors.access import ThrottledAdminLoginForm, ThrottledLoginForm

admin.site.login_form = ThrottledAdminLoginForm
handler500 = "errors.resilience.handler500"

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
    path("", include("errors.urls")),
]
