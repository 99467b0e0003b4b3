"""The HTTP interface: health, metrics, the JSON API, reload."""
