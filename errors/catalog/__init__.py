"""Catalog files <-> database: reading, validation, canonical form, export and import.

A catalog file holds one service's whole catalog and is the truth for it: importing it
adds, changes and removes rows until the database says what the file says. Both sides
are turned into one canonical form (`canonical`), so comparing, exporting and the round
trip export -> import -> export all rest on the same dictionaries.

- `problems`: what is wrong with a file, located by file, line and entry;
- `files`: reading YAML or JSON text into a `CatalogFile` with line numbers;
- `validation`: the JSON Schema (`schema.json`) and the rules it cannot state;
- `canonical`: both sides in one form; `export`: that form as YAML or JSON text;
- `importer`: files -> database, all or nothing; `bulk_writes`: its many-row inserts;
- `history`: every change of a code (admin, import, revert), reverts and restores;
- `synthetic`: large generated catalogs for benchmarks; `demo/`: the demo catalogs.
"""

from __future__ import annotations
