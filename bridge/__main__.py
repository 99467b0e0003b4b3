"""`python -m bridge` entry point."""

import sys

from bridge.cli.main import main

sys.exit(main())
