"""``python -m contacts311`` runs the command line."""

import sys

from contacts311.cli import console

sys.exit(console())
