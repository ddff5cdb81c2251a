"""OpenAPI in and out (issue 17): a spec's errors read into a catalog and imported
through the catalog importer, a service's catalog written out as OpenAPI 3.1 (or merged
into a team's own spec), and the check that a spec and a catalog agree.

- `document`: parsing, the OpenAPI 3.0/3.1 check, `$ref`s with place names;
- `operations`: the error responses of every operation, their schemas and examples;
- `envelope`: the shared error schema and its JSON pointers;
- `codes`: the codes from every place specs put them; `to_catalog`: the catalog;
- `merge`: that catalog over the service's current one; `importer`: the import;
- `export`: the OpenAPI 3.1 document; `publish`: the merge into a team's spec;
- `check`: where a spec and a catalog disagree; `synthetic`: a large spec for benchmarks.
"""
