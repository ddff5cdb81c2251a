"""The portal's URLs: pages, the JSON API and the admin."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerView

from errors.api.views import unknown_address

handler500 = "errors.api.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("errors.api.urls")),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="api-docs"),
    re_path(r"^api/", unknown_address),
    path("", include("errors.urls")),
]
