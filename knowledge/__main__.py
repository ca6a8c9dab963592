"""``python -m knowledge``: build, search, export and evaluate the knowledge index, and
suggest draft entries from the unanswered questions (``insights.suggest``: this entry point
composes its process, so it may reach the feature)."""

import sys

from insights.suggest import add_suggest
from knowledge.cli import main

sys.exit(main(extra=(add_suggest,)))
