"""``python -m knowledge``: build, search, export and evaluate the knowledge index."""

import sys

from knowledge.cli import main

sys.exit(main())
