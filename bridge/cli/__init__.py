"""The command line: `bridge check|run|probe|report|incidents|…` and its API client."""
