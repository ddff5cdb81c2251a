"""Drift: what the services really send, against what the catalog says.

Gateways, log pipelines and contract tests send the error responses they see
(`ingest`); each is recognised with `errors.identify`, reduced to a fingerprint and a
redacted sample (`fingerprint`, `redact`: no raw body, message or header is ever
stored) and counted per day (`models`). `report` compares the counts with the catalog;
`chart` draws them as inline SVG.
"""
