"""What comes in from other monitors (webhooks, PagerDuty-style events) becomes tickets."""

from bridge.intake.routes import add_routes as add_intake_routes
from bridge.intake.silence import resolve_silent_alerts

__all__ = ["add_intake_routes", "resolve_silent_alerts"]
