"""The JSON API for tools, mounted at /api/v1/ (see docs/api.md)."""

from __future__ import annotations
