"""Test-run environment, loaded as a pytest plugin (``-p tests.environment``) so that it
is set before pytest-django imports the settings."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ.setdefault("DJANGO_STATIC_MANIFEST", "0")
