"""`python -m bridge` entry point."""

import sys

from bridge.cli import main

sys.exit(main())
