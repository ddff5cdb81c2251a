"""WSGI entry point for gunicorn and other WSGI servers."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

django_application = get_wsgi_application()

from portal.health import with_version_probe  # noqa: E402 - needs the settings above

application = with_version_probe(django_application)
