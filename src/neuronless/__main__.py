"""``python -m neuronless`` runs the command line."""

import sys

from .cli import main

sys.exit(main())
