"""The one search over the catalog, behind the search page, the API and the CLI.

- `query`: what the user typed -> a `SearchQuery` (text and filters);
- `plan`: how its text is searched: code key, words, common words, misspellings;
- `engine`: what each database engine provides, and the code tiers they share;
- `sqlite`, `postgresql`: each engine's search SQL (the index itself is installed by
  migrations 0004 and 0006, which carry their SQL; sqlite.py keeps its tables and
  triggers for the one repair live code makes);
- `index`: putting SQLite's index triggers back after a table rebuild;
- `execute`: `search_errors`, one statement that matches, counts and ranks a page;
- `highlight`: the snippet under each hit; `results`: what a search answers.
"""

from __future__ import annotations
