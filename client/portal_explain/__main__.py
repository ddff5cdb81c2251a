"""`python -m portal_explain`, the same as the `portal-explain` command."""

import sys

from portal_explain.cli import main

sys.exit(main())
