"""Generated error constants: a service's catalog as Python, TypeScript, Go and Java source.

One module per language turns a ClientCatalog (errors.clients.source) into one source
file; errors.clients.naming holds the identifier rules they share. The API
(`GET /api/v1/services/<slug>/clients/<language>/`) and `manage.py generate_clients`
both call `generate_client`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from errors.clients import go, java, python, typescript
from errors.clients.source import ClientCatalog, client_catalog
from errors.models import Service


@dataclass(frozen=True)
class Language:
    """A language the portal generates: its name, file name and generator."""

    slug: str
    name: str
    filename: Callable[[ClientCatalog], str]
    generate: Callable[[ClientCatalog], str]


LANGUAGES: dict[str, Language] = {
    language.slug: language
    for language in (
        Language("python", "Python", python.filename, python.generate),
        Language("typescript", "TypeScript", typescript.filename, typescript.generate),
        Language("go", "Go", go.filename, go.generate),
        Language("java", "Java", java.filename, java.generate),
    )
}


class UnknownLanguage(LookupError):
    """The language is not one the portal generates."""

    def __init__(self, language: str) -> None:
        self.language = language
        super().__init__(
            f"The portal does not generate {language!r}: choose one of {', '.join(LANGUAGES)}."
        )


@dataclass(frozen=True)
class GeneratedClient:
    """One generated source file: where it goes (a relative path) and its text."""

    filename: str
    text: str


def language_named(slug: str) -> Language:
    """The language `slug` names (ignoring case); UnknownLanguage lists the others."""
    try:
        return LANGUAGES[slug.strip().lower()]
    except KeyError:
        raise UnknownLanguage(slug) from None


def generate_client(service: Service, language: str, base_url: str) -> GeneratedClient:
    """The published codes of `service` as source in `language`, linking to the portal
    at `base_url`. Two queries; the same catalog always gives the same text."""
    chosen = language_named(language)
    catalog = client_catalog(service, base_url)
    return GeneratedClient(chosen.filename(catalog), chosen.generate(catalog))


def write_clients(
    services: Iterable[Service], languages: Iterable[str], base_url: str, directory: Path
) -> list[Path]:
    """Write each service's source in each language under `directory` (a folder per
    language), and return the paths written."""
    written = []
    chosen = [language_named(language) for language in languages]
    for service in services:
        for language in chosen:
            client = generate_client(service, language.slug, base_url)
            path = directory / language.slug / client.filename
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(client.text, encoding="utf-8")
            written.append(path)
    return written
