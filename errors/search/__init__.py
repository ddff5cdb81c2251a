"""The one search over the catalog, behind the search page, the API and the CLI.

- `query`: what the user typed -> a `SearchQuery` (text and filters);
- `plan`: how its text is searched: code key, words, common words, misspellings;
- `engine`: what each database engine provides, and the code tiers they share;
- `sqlite`, `postgresql`: each engine's SQL, its index and triggers included;
- `index`: installing and repairing the index on either engine;
- `execute`: `search_errors`, one statement that matches, counts and ranks a page;
- `highlight`: the snippet under each hit; `results`: what a search answers.
"""

from __future__ import annotations
