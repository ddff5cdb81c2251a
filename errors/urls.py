"""The reference pages and the services' public changelogs."""

from __future__ import annotations

from django.urls import path

from errors import changelog, views
from errors.api.code_page import code_page

app_name = "errors"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.suggest, name="suggest"),
    path("status/<int:status>/", views.status_page, name="status"),
    path("status/<int:status>/page/<int:number>/", views.status_page, name="status-page"),
    path("services/<slug:slug>/", views.service_page, name="service"),
    # A service of more codes than one page holds (pages.SERVICE_PAGE_CODES).
    path("services/<slug:slug>/page/<int:number>/", views.service_page, name="service-page"),
    path("services/<slug:slug>/errors/<str:code>/", code_page, name="error"),
    path("services/<slug:slug>/guides/<slug:guide>/", views.guide_page, name="guide"),
    # Drift (issue 16): what the service really sends, against its catalog.
    path("services/<slug:slug>/drift/", views.service_drift, name="drift"),
    # A service's public changelog, built from the history, and its Atom feed.
    path("services/<slug:slug>/changes/", changelog.changelog_page, name="changelog"),
    path(
        "services/<slug:slug>/changes/feed/",
        changelog.ServiceChangesFeed(),
        name="changelog-feed",
    ),
    # Issue 18: the catalog for tools and language models.
    path("llms.txt", views.llms, name="llms"),
    path("e/<slug:slug>/<str:code>", views.short_link, name="short-link"),
    path("e/<slug:slug>/<str:code>/", views.short_link),
    path(
        "services/<slug:slug>/errors/<str:code>.md",
        views.error_markdown,
        name="error-markdown",
    ),
]
