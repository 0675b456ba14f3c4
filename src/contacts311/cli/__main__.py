"""``python -m contacts311.cli`` runs the command line."""

import sys

from contacts311.cli import console

sys.exit(console())
