"""The API's addresses, under /api/v1/ (namespace `api`)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from errors.api import clients, drift, identify_views, openapi_views, views

app_name = "api"

urlpatterns = [
    path("services/", views.ServiceListView.as_view(), name="services"),
    path("services/<slug:slug>/", views.ServiceDetailView.as_view(), name="service"),
    path(
        "services/<slug:slug>/errors/<str:code>/",
        views.ErrorDetailView.as_view(),
        name="error",
    ),
    path("services/<slug:slug>/catalog/", views.CatalogView.as_view(), name="catalog"),
    path("errors/", views.ErrorListView.as_view(), name="errors"),
    path("lookup/", views.LookupView.as_view(), name="lookup"),
    path("identify/", identify_views.IdentifyView.as_view(), name="identify"),
    path("identify/batch/", identify_views.IdentifyBatchView.as_view(), name="identify-batch"),
    # Drift (issue 16): observed error responses in, a service's drift out.
    path("observations/", drift.ObservationsView.as_view(), name="observations"),
    path("services/<slug:slug>/drift/", drift.DriftView.as_view(), name="drift"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Issue 18: a service's codes as source in each language.
    path(
        "services/<slug:slug>/clients/<str:language>/",
        clients.ClientSourceView.as_view(),
        name="client-source",
    ),
    # issue 17: OpenAPI in and out
    path("services/<slug:slug>/openapi/", openapi_views.OpenApiView.as_view(), name="openapi"),
]
